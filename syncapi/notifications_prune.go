package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// notificationPruneBatch is about how many notifications one delete
// looks at: a batch ends at a (ts, stream_pos) key, so it also takes the
// other users' rows of its last event.
const notificationPruneBatch = 1000

// pruneNotifications deletes the notifications recorded before the
// millisecond timestamp before that their user has read: at or before
// the later of their unthreaded receipt and their receipt of the
// notification's thread in its room, the horizon unread counts and the
// read flag of GET /notifications use. Unread ones stay whatever their
// age. It walks the old rows in (ts, stream_pos) order, a batch per
// statement, and returns how many it deleted.
func (s *SyncAPI) pruneNotifications(ctx context.Context, before int64) (int64, error) {
	// ts is never negative, so (-1, 0) is before every row.
	curTS, curPos := int64(-1), int64(0)
	var pruned int64
	for {
		hiTS, hiPos, last := before, int64(0), true
		err := s.db.QueryRow(ctx, `SELECT ts, stream_pos FROM syncapi_notifications
			WHERE ts < $1 AND (ts, stream_pos) > ($2, $3) ORDER BY ts, stream_pos LIMIT 1 OFFSET $4`,
			before, curTS, curPos, notificationPruneBatch-1).Scan(&hiTS, &hiPos)
		switch {
		case err == nil:
			last = false
		case errors.Is(err, sql.ErrNoRows):
			// Fewer than a batch is left: this one takes the rest.
		default:
			return pruned, fmt.Errorf("finding notifications to prune: %w", err)
		}
		res, err := s.db.Exec(ctx, `DELETE FROM syncapi_notifications
			WHERE ts < $1 AND (ts, stream_pos) > ($2, $3) AND (ts, stream_pos) <= ($4, $5)
			AND stream_pos <= (SELECT COALESCE(MAX(r.event_pos), 0) FROM syncapi_receipts r
				WHERE r.room_id = syncapi_notifications.room_id AND r.user_id = syncapi_notifications.user_id
				AND r.thread_id IN ('', syncapi_notifications.thread_id))`,
			before, curTS, curPos, hiTS, hiPos)
		if err != nil {
			return pruned, fmt.Errorf("pruning read notifications: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return pruned, fmt.Errorf("pruning read notifications: %w", err)
		}
		pruned += n
		if last || ctx.Err() != nil {
			return pruned, ctx.Err()
		}
		curTS, curPos = hiTS, hiPos
	}
}
