package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/event"
)

// Limits of /threads, as Synapse has them.
const (
	defaultThreadsLimit = 5
	maxThreadsLimit     = 100
)

func (s *SyncAPI) registerThreads(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/rooms/{roomId}/threads",
		httpapi.Authenticated(s.authn, s.handleThreads), httpapi.ClientV1)
}

type threadsResponse struct {
	Chunk     []json.RawMessage `json:"chunk"`
	NextBatch string            `json:"next_batch,omitempty"`
}

// threadRef is a thread root and the stream position of its latest reply.
type threadRef struct {
	rootID    string
	latestPos int64
}

// handleThreads lists the room's thread roots the user may see, the thread
// with the latest reply first, each with its bundled aggregations. The
// next_batch token is a room stream position: the following page holds
// the threads whose latest reply is at or before it.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1roomsroomidthreads
func (s *SyncAPI) handleThreads(r *http.Request, device *httpapi.Device) (any, error) {
	roomID, q := httpapi.Vars(r)["roomId"], r.URL.Query()
	participated := false
	switch q.Get("include") {
	case "", "all":
	case "participated":
		participated = true
	default:
		return nil, errcode.InvalidParam("include must be all or participated")
	}
	limit := defaultThreadsLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, errcode.InvalidParam("limit must be an integer greater than zero")
		}
		limit = min(n, maxThreadsLimit)
	}
	ctx := r.Context()
	now, err := s.currentPosition(ctx)
	if err != nil {
		return nil, err
	}
	cursor := now
	if v := q.Get("from"); v != "" {
		tok, err := parseSyncToken(v)
		if err != nil {
			return nil, errcode.InvalidParam("unknown pagination token")
		}
		cursor = min(tok.Rooms, now)
	}
	vis, err := s.roomReader(ctx, device.UserID, roomID, now)
	if err != nil {
		return nil, err
	}

	var roots []*eventRow
	var resp threadsResponse
	batch, scanned := limit+1, 0
	for len(roots) < limit {
		refs, err := s.threadRoots(ctx, roomID, cursor, batch, participated, device.UserID)
		if err != nil {
			return nil, err
		}
		evs, err := s.eventsByID(ctx, rootIDs(refs))
		if err != nil {
			return nil, err
		}
		byID := make(map[string]*eventRow, len(evs))
		for _, e := range evs {
			byID[e.eventID] = e
		}
		for i, ref := range refs {
			scanned++
			cursor = ref.latestPos - 1
			if e := byID[ref.rootID]; e != nil && vis.canSee(e) {
				roots = append(roots, e)
			}
			if len(roots) == limit {
				if i < len(refs)-1 || len(refs) == batch {
					resp.NextBatch = syncToken{Rooms: cursor}.String()
				}
				break
			}
		}
		if len(roots) == limit || len(refs) < batch {
			break
		}
		if scanned >= pageScanLimit {
			resp.NextBatch = syncToken{Rooms: cursor}.String()
			break
		}
		batch = min(batch*2, 500)
	}
	if err := s.attachBundles(ctx, device.UserID, now, roomEvents{vis: vis, events: roots}); err != nil {
		return nil, err
	}
	resp.Chunk = newFormatter(device.UserID, device.DeviceID, nil).events(roots)
	return resp, nil
}

// threadRoots reads up to limit threads of the room whose latest reply is
// at or before position upTo, latest first; with participated, only those
// whose root or a reply the user sent.
// https://spec.matrix.org/latest/client-server-api/#server-side-aggregation-of-mthread-relationships
func (s *SyncAPI) threadRoots(ctx context.Context, roomID string, upTo int64, limit int, participated bool, userID string) ([]threadRef, error) {
	query := `SELECT t.root_id, t.latest_pos FROM syncapi_threads t WHERE t.room_id = $1 AND t.latest_pos <= $2`
	args := []any{roomID, upTo, limit}
	if participated {
		query += ` AND (EXISTS (SELECT 1 FROM syncapi_events e WHERE e.event_id = t.root_id AND e.sender = $4)
			OR EXISTS (SELECT 1 FROM syncapi_relations r WHERE r.parent_id = t.root_id AND r.rel_type = $5 AND r.sender = $4))`
		args = append(args, userID, event.RelThread)
	}
	rows, err := s.db.Query(ctx, query+` ORDER BY t.latest_pos DESC LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing threads of %s: %w", roomID, err)
	}
	defer rows.Close()
	var out []threadRef
	for rows.Next() {
		var t threadRef
		if err := rows.Scan(&t.rootID, &t.latestPos); err != nil {
			return nil, fmt.Errorf("scanning threads: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func rootIDs(refs []threadRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.rootID
	}
	return out
}
