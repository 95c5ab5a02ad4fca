package syncapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

func (s *SyncAPI) registerTimestampToEvent(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/rooms/{roomId}/timestamp_to_event",
		httpapi.Authenticated(s.authn, s.handleTimestampToEvent), httpapi.ClientV1)
}

type timestampToEventResponse struct {
	EventID        string `json:"event_id"`
	OriginServerTS int64  `json:"origin_server_ts"`
}

// timestampScanBatch is how many events one query of the scan reads.
const timestampScanBatch = 500

// handleTimestampToEvent finds the event the user may see whose
// origin_server_ts is closest to ts: the earliest at or after it for
// dir=f, the latest at or before it for dir=b. Only events this server
// has are searched; it does not ask other servers.
//
// origin_server_ts is set by the sending server and need not grow with
// the room's order, so the search uses the (room_id, origin_ts) index;
// a room whose older events still wait for the timestamp backfill is
// scanned instead.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1roomsroomidtimestamp_to_event
func (s *SyncAPI) handleTimestampToEvent(r *http.Request, device *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(r)["roomId"]
	q := r.URL.Query()
	if q.Get("ts") == "" {
		return nil, errcode.MissingParam("ts is required")
	}
	ts, err := strconv.ParseInt(q.Get("ts"), 10, 64)
	if err != nil {
		return nil, errcode.InvalidParam("ts must be an integer (milliseconds since the Unix epoch)")
	}
	dir, err := parseDirection(q.Get("dir"), nil)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	now, err := s.currentPosition(ctx)
	if err != nil {
		return nil, err
	}
	vis, err := s.roomReader(ctx, device.UserID, roomID, now)
	if err != nil {
		return nil, err
	}
	indexed, err := s.timestampsIndexed(ctx, roomID)
	if err != nil {
		return nil, err
	}
	closest := s.closestByTimestamp
	if indexed {
		closest = s.closestByIndex
	}
	found, err := closest(ctx, roomID, now, ts, dir, vis)
	if err != nil {
		return nil, err
	}
	if found == nil {
		word := "backward"
		if dir == forwards {
			word = "forward"
		}
		return nil, errcode.Newf(errcode.CodeNotFound, "unable to find event from %d in %s direction", ts, word)
	}
	return found, nil
}

// closestByTimestamp scans the room's events up to position upTo in
// stream order. Of events with the same timestamp, the first in the
// room's order wins forwards and the last backwards, so paging on from
// the answer in that direction does not skip any of them.
func (s *SyncAPI) closestByTimestamp(ctx context.Context, roomID string, upTo, ts int64, dir direction, vis *visibility) (*timestampToEventResponse, error) {
	var best *timestampToEventResponse
	for after := int64(0); ; {
		rows, err := s.db.Query(ctx, `SELECT stream_pos, event_id, type, sender, state_key, event_json FROM syncapi_events
			WHERE room_id = $1 AND stream_pos > $2 AND stream_pos <= $3 ORDER BY stream_pos LIMIT $4`,
			roomID, after, upTo, timestampScanBatch)
		if err != nil {
			return nil, fmt.Errorf("reading the events of %s: %w", roomID, err)
		}
		n, err := scanTimestamps(rows, func(e *eventRow, evTS int64) {
			after = e.pos
			better := best == nil
			if dir == forwards {
				better = evTS >= ts && (better || evTS < best.OriginServerTS)
			} else {
				better = evTS <= ts && (better || evTS >= best.OriginServerTS)
			}
			if better && vis.canSee(e) {
				best = &timestampToEventResponse{EventID: e.eventID, OriginServerTS: evTS}
			}
		})
		if err != nil {
			return nil, err
		}
		if n < timestampScanBatch {
			return best, nil
		}
	}
}

// scanTimestamps calls fn with each row's event (what visibility needs of
// it) and origin_server_ts, and returns how many rows there were.
func scanTimestamps(rows *sql.Rows, fn func(e *eventRow, ts int64)) (int, error) {
	defer rows.Close()
	n := 0
	for rows.Next() {
		var e eventRow
		var sk sql.NullString
		var pdu string
		if err := rows.Scan(&e.pos, &e.eventID, &e.evType, &e.sender, &sk, &pdu); err != nil {
			return n, fmt.Errorf("scanning events: %w", err)
		}
		n++
		if sk.Valid {
			e.stateKey = &sk.String
		}
		var ev struct {
			OriginServerTS int64 `json:"origin_server_ts"`
		}
		if err := json.Unmarshal([]byte(pdu), &ev); err != nil {
			return n, fmt.Errorf("decoding event %s: %w", e.eventID, err)
		}
		fn(&e, ev.OriginServerTS)
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("reading events: %w", err)
	}
	return n, nil
}
