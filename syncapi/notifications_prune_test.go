package syncapi

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

func TestPruneNotificationsDropsOnlyOldReadOnes(t *testing.T) {
	const cutoff = 1_000_000
	const old, recent = cutoff - 1, cutoff + 1
	type row struct {
		name       string
		user, room string
		pos        int64
		thread     string
		ts         int64
		wantPruned bool
	}
	rows := []row{
		{"old and read by the unthreaded receipt", "@a:t", "!r1:t", 10, threadMain, old, true},
		{"old and at the receipt itself", "@a:t", "!r1:t", 20, threadMain, old, true},
		{"old but after the receipt", "@a:t", "!r1:t", 21, threadMain, old, false},
		{"read but recent", "@a:t", "!r1:t", 5, threadMain, recent, false},
		{"old and read by its thread's receipt", "@a:t", "!r2:t", 30, "$root", old, true},
		{"old in a thread read only in the main timeline", "@a:t", "!r2:t", 31, "$other", old, false},
		{"old in the main timeline read by its receipt", "@a:t", "!r2:t", 12, threadMain, old, true},
		{"old where only another user read", "@b:t", "!r1:t", 10, threadMain, old, false},
		{"old in a room without receipts", "@a:t", "!r3:t", 1, threadMain, old, false},
	}
	receipts := []struct {
		user, room, thread string
		eventPos           int64
	}{
		{"@a:t", "!r1:t", "", 20},
		{"@a:t", "!r2:t", "$root", 35},
		{"@a:t", "!r2:t", threadMain, 15},
	}
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, _ := startAlone(t, db)
		if _, err := s.sweeper.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			insertNotificationRow(t, db, r.user, r.room, r.pos, r.thread, r.ts)
		}
		for i, rc := range receipts {
			if _, err := db.Exec(ctx, `INSERT INTO syncapi_receipts (room_id, user_id, receipt_type, thread_id, event_id, event_pos, ts, stream_pos)
				VALUES ($1, $2, 'm.read', $3, $4, $5, 0, $6)`, rc.room, rc.user, rc.thread, fmt.Sprint("$e", i), rc.eventPos, i+1); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.pruneNotifications(ctx, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		left := notificationKeys(t, db)
		var wantN int64
		for _, r := range rows {
			if r.wantPruned {
				wantN++
			}
			t.Run(r.name, func(t *testing.T) {
				if kept := slices.Contains(left, fmt.Sprint(r.user, r.room, r.pos)); kept == r.wantPruned {
					t.Errorf("kept = %v, want %v", kept, !r.wantPruned)
				}
			})
		}
		if n != wantN {
			t.Errorf("pruned %d rows, want %d", n, wantN)
		}
		// Pruning again finds nothing: every instance may sweep.
		if n, err := s.pruneNotifications(ctx, cutoff); err != nil || n != 0 {
			t.Errorf("a second prune deleted %d (%v), want 0", n, err)
		}
	})
}

func TestPruneNotificationsWorksThroughManyBatches(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, _ := startAlone(t, db)
		if _, err := s.sweeper.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		// Several users per event, so batches end inside an event's rows.
		const events, users = 1200, 3
		err := db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
			for pos := int64(1); pos <= events; pos++ {
				var notifs []notification
				for u := range users {
					notifs = append(notifs, notification{userID: fmt.Sprint("@u", u, ":t"), threadID: threadMain})
				}
				if err := insertNotifications(ctx, tx, pos, "!r:t", notifs); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Every user read up to the middle; all rows are old.
		for u := range users {
			if _, err := db.Exec(ctx, `INSERT INTO syncapi_receipts (room_id, user_id, receipt_type, thread_id, event_id, event_pos, ts, stream_pos)
				VALUES ('!r:t', $1, 'm.read', '', '$e', $2, 0, $3)`, fmt.Sprint("@u", u, ":t"), events/2, u+1); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Exec(ctx, `UPDATE syncapi_notifications SET ts = stream_pos % 7`); err != nil {
			t.Fatal(err)
		}
		n, err := s.pruneNotifications(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(events / 2 * users); n != want {
			t.Errorf("pruned %d, want %d", n, want)
		}
		var left, unread int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN stream_pos > $1 THEN 1 ELSE 0 END), 0) FROM syncapi_notifications`,
			events/2).Scan(&left, &unread); err != nil {
			t.Fatal(err)
		}
		if left != unread || left != events/2*users {
			t.Errorf("%d rows left of which %d unread, want %d unread only", left, unread, events/2*users)
		}
	})
}

func insertNotificationRow(t *testing.T, db *storage.DB, user, room string, pos int64, thread string, ts int64) {
	t.Helper()
	if _, err := db.Exec(t.Context(), `INSERT INTO syncapi_notifications (user_id, room_id, stream_pos, thread_id, highlight, actions, ts)
		VALUES ($1, $2, $3, $4, false, '["notify"]', $5)`, user, room, pos, thread, ts); err != nil {
		t.Fatal(err)
	}
}

func notificationKeys(t *testing.T, db *storage.DB) []string {
	t.Helper()
	rows, err := db.Query(t.Context(), `SELECT user_id, room_id, stream_pos FROM syncapi_notifications`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u, r string
		var pos int64
		if err := rows.Scan(&u, &r, &pos); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(u, r, pos))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
