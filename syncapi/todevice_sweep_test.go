package syncapi

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/clientapi/accounts"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

func TestSweepToDeviceDropsOldMessagesOfMissingDevices(t *testing.T) {
	const cutoff = 1_000_000
	const old, recent = cutoff - 1, cutoff + 1
	messages := []struct {
		name         string
		user, device string
		ts           int64
		wantSwept    bool
	}{
		{"old, for an existing device", "@alice:test", "LIVE", old, false},
		{"old, for a deleted device", "@alice:test", "GONE", old, true},
		{"recent, for a deleted device", "@alice:test", "GONE", recent, false},
		{"old, for a device of a user without devices", "@bob:test", "NEVER", old, true},
	}
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, b := startAlone(t, db)
		if _, err := s.sweeper.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		cfg := config.Defaults()
		cfg.ServerName = "test"
		accts := accounts.New(db, b, cfg, storagetest.Logger(t))
		if err := db.Migrate(ctx, accts.Name(), accts.Migrations()); err != nil {
			t.Fatal(err)
		}
		alice, err := accts.CreateUser(ctx, "alice", "correct horse battery", false)
		if err != nil {
			t.Fatal(err)
		}
		if alice != "@alice:test" {
			t.Fatalf("created %s", alice)
		}
		if err := db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
			return accts.CreateDeviceWithoutSession(ctx, tx, alice, "LIVE", nil)
		}); err != nil {
			t.Fatal(err)
		}
		s.SetDevices(accts)
		for i, m := range messages {
			if _, err := db.Exec(ctx, `INSERT INTO syncapi_to_device (stream_pos, message_id, user_id, device_id, sender, type, content, ts)
				VALUES ($1, $2, $3, $4, '@x:test', 'm.test', '{}', $5)`, i+1, fmt.Sprint("m", i), m.user, m.device, m.ts); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.sweepToDevice(ctx, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		left := toDeviceIDs(t, db)
		var want int64
		for _, m := range messages {
			if m.wantSwept {
				want++
			}
		}
		for i, m := range messages {
			t.Run(m.name, func(t *testing.T) {
				if kept := slices.Contains(left, fmt.Sprint("m", i)); kept == m.wantSwept {
					t.Errorf("kept = %v, want %v", kept, !m.wantSwept)
				}
			})
		}
		if n != want {
			t.Errorf("swept %d, want %d", n, want)
		}
		if n, err := s.sweepToDevice(ctx, cutoff); err != nil || n != 0 {
			t.Errorf("a second sweep deleted %d (%v), want 0", n, err)
		}
	})
}

func toDeviceIDs(t *testing.T, db *storage.DB) []string {
	t.Helper()
	rows, err := db.Query(t.Context(), `SELECT message_id FROM syncapi_to_device`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
