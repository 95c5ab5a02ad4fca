package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/ocomms/ocomms/spec/errcode"
	"strings"
)

// eventRow is a stored event with what formatting it for clients needs.
type eventRow struct {
	pos, depth   int64
	eventID      string
	roomID       string
	evType       string
	sender       string
	stateKey     *string
	containsURL  bool
	pdu          []byte
	prevPDU      []byte // the state event this one replaced, if any
	redactionPDU []byte // the redaction that redacted this one, if any
	replaces     string // ID of prevPDU
	redactedBy   string // ID of redactionPDU
	txnUser      string
	txnDevice    string
	txnID        string
	roomVersion  string
	// erasedAt is the room stream position at which the sender was
	// erased, 0 when they were not; set by markErased (erasure.go).
	erasedAt int64
	// relations are the bundled aggregations, set by attachBundles
	// before formatting; nil when the event has none or none were loaded.
	relations *bundle
	// membership is the requesting user's membership just after the
	// event (unsigned.membership), set by markMembership before
	// formatting; empty leaves the field out.
	membership string
}

// point is the topological point just after the event.
func (e *eventRow) point() topoToken { return topoToken{Depth: e.depth, Pos: e.pos} }

// before is the topological point just before the event.
func (e *eventRow) before() topoToken { return topoToken{Depth: e.depth, Pos: e.pos - 1} }

const eventColumns = `e.stream_pos, e.depth, e.event_id, e.room_id, e.type, e.sender, e.state_key, e.contains_url, e.event_json,
	COALESCE(p.event_json, ''), COALESCE(r.event_json, ''), COALESCE(e.replaces_state, ''), COALESCE(e.redacted_because, ''),
	COALESCE(e.txn_user_id, ''), COALESCE(e.txn_device_id, ''), COALESCE(e.txn_id, ''), e.room_version
	FROM syncapi_events e
	LEFT JOIN syncapi_events p ON p.event_id = e.replaces_state
	LEFT JOIN syncapi_events r ON r.event_id = e.redacted_because`

func scanEvents(rows *sql.Rows) ([]*eventRow, error) {
	defer rows.Close()
	var out []*eventRow
	for rows.Next() {
		var e eventRow
		var sk sql.NullString
		var pdu, prev, red string
		if err := rows.Scan(&e.pos, &e.depth, &e.eventID, &e.roomID, &e.evType, &e.sender, &sk, &e.containsURL, &pdu,
			&prev, &red, &e.replaces, &e.redactedBy, &e.txnUser, &e.txnDevice, &e.txnID, &e.roomVersion); err != nil {
			return nil, fmt.Errorf("scanning events: %w", err)
		}
		if sk.Valid {
			e.stateKey = &sk.String
		}
		e.pdu = []byte(pdu)
		if prev != "" {
			e.prevPDU = []byte(prev)
		}
		if red != "" {
			e.redactionPDU = []byte(red)
		}
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	return out, nil
}

// currentPosition is the room event stream position of the last committed
// event: everything at or below it is readable.
func (s *SyncAPI) currentPosition(ctx context.Context) (int64, error) {
	var pos int64
	if err := s.db.QueryRow(ctx, `SELECT position FROM syncapi_stream_positions WHERE stream = $1`, streamRoomEvents).Scan(&pos); err != nil {
		return 0, fmt.Errorf("reading the stream position: %w", err)
	}
	return pos, nil
}

// eventByID returns a stored event, or nil when unknown.
func (s *SyncAPI) eventByID(ctx context.Context, eventID string) (*eventRow, error) {
	evs, err := s.eventsByID(ctx, []string{eventID})
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0], nil
}

// eventsByID returns the stored events among ids, in stream order.
func (s *SyncAPI) eventsByID(ctx context.Context, ids []string) ([]*eventRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i] = id
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := s.db.Query(ctx, `SELECT `+eventColumns+` WHERE e.event_id IN (`+strings.Join(marks, ", ")+`) ORDER BY e.stream_pos`, args...)
	if err != nil {
		return nil, fmt.Errorf("loading events: %w", err)
	}
	return scanEvents(rows)
}

// direction of a pagination.
type direction bool

const (
	backwards direction = false
	forwards  direction = true
)

// parseDirection reads a dir parameter: "b" or "f", or empty, which is
// fallback when the endpoint has a default and missing otherwise.
func parseDirection(v string, fallback *direction) (direction, error) {
	switch v {
	case "b":
		return backwards, nil
	case "f":
		return forwards, nil
	case "":
		if fallback != nil {
			return *fallback, nil
		}
		return backwards, errcode.MissingParam("dir is required")
	default:
		return backwards, errcode.InvalidParam("dir must be b or f")
	}
}

// pageQuery reads a batch of a room's events in topological order from a
// point, never past stop.
type pageQuery struct {
	roomID string
	dir    direction
	from   roomPoint
	// stop, when set, bounds the pagination (exclusive when paging back:
	// events must lie after it; inclusive forwards).
	stop  *roomPoint
	limit int
	// related, when set, reads only the children of an event
	// (relations.go).
	related *relationScope
}

// page returns up to q.limit events from q.from in direction q.dir.
func (s *SyncAPI) page(ctx context.Context, q pageQuery) ([]*eventRow, error) {
	args := []any{q.roomID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{"e.room_id = $1"}
	// t is the table whose depth and stream_pos order the page: the
	// relations' own copy when paging children, so their index serves it.
	t, with, join := "e", "", ""
	if q.related != nil {
		t = "rel"
		with, join = q.related.sql(arg, &where)
	}
	cond := func(p roomPoint, after bool) string {
		// after: events strictly after the point; otherwise at or before.
		if p.topo == nil {
			if after {
				return t + ".stream_pos > " + arg(p.stream)
			}
			return t + ".stream_pos <= " + arg(p.stream)
		}
		d, d2, ps := arg(p.topo.Depth), arg(p.topo.Depth), arg(p.topo.Pos)
		if after {
			return fmt.Sprintf("(%[1]s.depth > %[2]s OR (%[1]s.depth = %[3]s AND %[1]s.stream_pos > %[4]s))", t, d, d2, ps)
		}
		return fmt.Sprintf("(%[1]s.depth < %[2]s OR (%[1]s.depth = %[3]s AND %[1]s.stream_pos <= %[4]s))", t, d, d2, ps)
	}
	order := t + ".depth DESC, " + t + ".stream_pos DESC"
	if q.dir == forwards {
		order = t + ".depth ASC, " + t + ".stream_pos ASC"
		where = append(where, cond(q.from, true))
		if q.stop != nil {
			where = append(where, cond(*q.stop, false))
		}
	} else {
		where = append(where, cond(q.from, false))
		if q.stop != nil {
			where = append(where, cond(*q.stop, true))
		}
	}
	rows, err := s.db.Query(ctx, with+`SELECT `+eventColumns+join+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+order+` LIMIT `+arg(q.limit), args...)
	if err != nil {
		return nil, fmt.Errorf("paginating %s: %w", q.roomID, err)
	}
	return scanEvents(rows)
}

// roomRange reads a room's events with stream positions in (after, upTo],
// newest first, at most limit of them.
func (s *SyncAPI) roomRange(ctx context.Context, roomID string, after, upTo int64, limit int) ([]*eventRow, error) {
	rows, err := s.db.Query(ctx, `SELECT `+eventColumns+` WHERE e.room_id = $1 AND e.stream_pos > $2 AND e.stream_pos <= $3
		ORDER BY e.stream_pos DESC LIMIT $4`, roomID, after, upTo, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the timeline of %s: %w", roomID, err)
	}
	return scanEvents(rows)
}

// errNotFound is returned by lookups that found nothing.
var errNotFound = errors.New("not found")
