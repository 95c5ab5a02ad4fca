package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ocomms/ocomms/storage"
)

// insertNotifications records the users an event notifies, in the
// transaction that stores the event, so the counts never lag behind the
// timeline. ts is when the server recorded it (display only).
func insertNotifications(ctx context.Context, tx *storage.Tx, pos int64, roomID string, notifs []notification) error {
	const perInsert = 200
	for len(notifs) > 0 {
		batch := notifs[:min(perInsert, len(notifs))]
		notifs = notifs[len(batch):]
		var q strings.Builder
		q.WriteString(`INSERT INTO syncapi_notifications (user_id, room_id, stream_pos, thread_id, highlight, actions, ts) VALUES `)
		args := make([]any, 0, 7*len(batch))
		now := time.Now().UnixMilli()
		for i, n := range batch {
			if i > 0 {
				q.WriteByte(',')
			}
			b := 7 * i
			q.WriteString("($" + strconv.Itoa(b+1) + ", $" + strconv.Itoa(b+2) + ", $" + strconv.Itoa(b+3) +
				", $" + strconv.Itoa(b+4) + ", $" + strconv.Itoa(b+5) + ", $" + strconv.Itoa(b+6) + ", $" + strconv.Itoa(b+7) + ")")
			actions, err := json.Marshal(n.actions)
			if err != nil {
				return fmt.Errorf("recording notifications: %w", err)
			}
			args = append(args, n.userID, roomID, pos, n.threadID, n.highlight, string(actions), now)
		}
		q.WriteString(` ON CONFLICT (user_id, room_id, stream_pos) DO NOTHING`)
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("recording notifications: %w", err)
		}
	}
	return nil
}

// addUnreadCounts sets unread_notifications (and, when the filter asks,
// unread_thread_notifications) of every joined room of the response, as
// of the sync's room and receipt positions.
//
// https://spec.matrix.org/latest/client-server-api/#receiving-notifications
func (s *SyncAPI) addUnreadCounts(ctx context.Context, sc *syncContext, now syncToken) error {
	threaded := sc.req.filter.Room.Timeline.UnreadThreadNotifications
	for roomID, jr := range sc.resp.Rooms.Join {
		byThread, err := s.unreadByThread(ctx, sc.req.device.UserID, roomID, now)
		if err != nil {
			return err
		}
		var room unreadCounts
		for thread, c := range byThread {
			if threaded && thread != threadMain {
				if c.NotificationCount > 0 || c.HighlightCount > 0 {
					if jr.UnreadThreadNotifications == nil {
						jr.UnreadThreadNotifications = map[string]unreadCounts{}
					}
					jr.UnreadThreadNotifications[thread] = c
				}
				continue
			}
			room.NotificationCount += c.NotificationCount
			room.HighlightCount += c.HighlightCount
		}
		jr.UnreadNotifications = &room
	}
	return nil
}

// unreadByThread counts the user's notifying events of each thread of the
// room after their read horizon there: the later of their unthreaded
// receipt and the receipt of that thread ("main" for the main timeline),
// either m.read or m.read.private.
func (s *SyncAPI) unreadByThread(ctx context.Context, userID, roomID string, now syncToken) (map[string]unreadCounts, error) {
	horizons, err := s.readHorizons(ctx, userID, roomID, now.Receipts)
	if err != nil {
		return nil, err
	}
	unthreaded := horizons[""]
	counts, err := s.countNotifications(ctx, `SELECT thread_id, COUNT(*), COALESCE(SUM(CASE WHEN highlight THEN 1 ELSE 0 END), 0)
		FROM syncapi_notifications WHERE user_id = $1 AND room_id = $2 AND stream_pos > $3 AND stream_pos <= $4
		GROUP BY thread_id`, userID, roomID, unthreaded, now.Rooms)
	if err != nil {
		return nil, err
	}
	for thread, h := range horizons {
		if thread == "" || h <= unthreaded {
			continue
		}
		if _, ok := counts[thread]; !ok {
			continue
		}
		again, err := s.countNotifications(ctx, `SELECT thread_id, COUNT(*), COALESCE(SUM(CASE WHEN highlight THEN 1 ELSE 0 END), 0)
			FROM syncapi_notifications WHERE user_id = $1 AND room_id = $2 AND thread_id = $3 AND stream_pos > $4 AND stream_pos <= $5
			GROUP BY thread_id`, userID, roomID, thread, h, now.Rooms)
		if err != nil {
			return nil, err
		}
		counts[thread] = again[thread]
	}
	return counts, nil
}

// readHorizons maps thread IDs ("" for unthreaded) to the room stream
// position the user has read up to.
func (s *SyncAPI) readHorizons(ctx context.Context, userID, roomID string, receiptsPos int64) (map[string]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT thread_id, MAX(event_pos) FROM syncapi_receipts
		WHERE room_id = $1 AND user_id = $2 AND stream_pos <= $3 GROUP BY thread_id`, roomID, userID, receiptsPos)
	if err != nil {
		return nil, fmt.Errorf("reading receipts of %s in %s: %w", userID, roomID, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var thread string
		var pos int64
		if err := rows.Scan(&thread, &pos); err != nil {
			return nil, fmt.Errorf("reading receipts: %w", err)
		}
		out[thread] = pos
	}
	return out, rows.Err()
}

func (s *SyncAPI) countNotifications(ctx context.Context, query string, args ...any) (map[string]unreadCounts, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("counting notifications: %w", err)
	}
	defer rows.Close()
	out := map[string]unreadCounts{}
	for rows.Next() {
		var thread string
		var c unreadCounts
		if err := rows.Scan(&thread, &c.NotificationCount, &c.HighlightCount); err != nil {
			return nil, fmt.Errorf("counting notifications: %w", err)
		}
		out[thread] = c
	}
	return out, rows.Err()
}
