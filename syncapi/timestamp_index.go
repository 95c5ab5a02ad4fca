package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/storage"
)

// originTSBackfill fills syncapi_events.origin_ts for the events stored
// before the column existed. Until a room's events all have it,
// timestamp_to_event scans the room instead of using the index.
var originTSBackfill = backfillJob{what: "event timestamps", progress: "syncapi_origin_ts_backfill", apply: backfillOriginTS}

func backfillOriginTS(ctx context.Context, tx *storage.Tx, pos int64, ev *event.Event) error {
	if _, err := tx.Exec(ctx, `UPDATE syncapi_events SET origin_ts = $1 WHERE stream_pos = $2 AND origin_ts IS NULL`,
		ev.OriginServerTS(), pos); err != nil {
		return fmt.Errorf("backfilling the timestamp of %s: %w", ev.EventID(), err)
	}
	return nil
}

// timestampsIndexed reports whether every event of the room has its
// origin_ts, so the index answers timestamp_to_event.
func (s *SyncAPI) timestampsIndexed(ctx context.Context, roomID string) (bool, error) {
	var one int
	err := s.db.QueryRow(ctx, `SELECT 1 FROM syncapi_origin_ts_backfill`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the timestamp backfill: %w", err)
	}
	err = s.db.QueryRow(ctx, `SELECT 1 FROM syncapi_events WHERE room_id = $1 AND origin_ts IS NULL LIMIT 1`, roomID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking the timestamps of %s: %w", roomID, err)
	}
	return false, nil
}

// closestByIndex walks the room's events from ts in the direction of the
// search on the (room_id, origin_ts, stream_pos) index and returns the
// first the user may see. Of events with the same timestamp the first in
// the room's order comes first forwards and the last backwards, as in the
// scan.
func (s *SyncAPI) closestByIndex(ctx context.Context, roomID string, upTo, ts int64, dir direction, vis *visibility) (*timestampToEventResponse, error) {
	query := `SELECT stream_pos, event_id, type, sender, state_key, origin_ts FROM syncapi_events
		WHERE room_id = $1 AND stream_pos <= $2 AND origin_ts >= $3 AND (origin_ts, stream_pos) > ($4, $5)
		ORDER BY origin_ts, stream_pos LIMIT $6`
	curTS, curPos := ts, int64(-1)
	if dir != forwards {
		query = `SELECT stream_pos, event_id, type, sender, state_key, origin_ts FROM syncapi_events
		WHERE room_id = $1 AND stream_pos <= $2 AND origin_ts <= $3 AND (origin_ts, stream_pos) < ($4, $5)
		ORDER BY origin_ts DESC, stream_pos DESC LIMIT $6`
		curPos = upTo + 1
	}
	for {
		rows, err := s.db.Query(ctx, query, roomID, upTo, ts, curTS, curPos, timestampScanBatch)
		if err != nil {
			return nil, fmt.Errorf("reading the events of %s by time: %w", roomID, err)
		}
		var found *timestampToEventResponse
		n := 0
		for rows.Next() && found == nil {
			var e eventRow
			var sk sql.NullString
			if err := rows.Scan(&e.pos, &e.eventID, &e.evType, &e.sender, &sk, &curTS); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scanning events: %w", err)
			}
			n++
			curPos = e.pos
			if sk.Valid {
				e.stateKey = &sk.String
			}
			if vis.canSee(&e) {
				found = &timestampToEventResponse{EventID: e.eventID, OriginServerTS: curTS}
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("reading events: %w", err)
		}
		if found != nil || n < timestampScanBatch {
			return found, nil
		}
	}
}
