package storage_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// goOffCall is the classic write skew: a doctor may go off call only while
// another one stays on call. Two such transactions running side by side at
// READ COMMITTED would both succeed and leave nobody on call; at SERIALIZABLE
// PostgreSQL fails one of them with 40001.
//
// Each transaction's first attempt waits, after reading, until the other has
// read too, so the two are sure to overlap.
func goOffCall(doctor string, attempts *atomic.Int32, readDone chan<- struct{}, otherRead <-chan struct{}) func(ctx context.Context, tx *storage.Tx) error {
	return func(ctx context.Context, tx *storage.Tx) error {
		attempt := attempts.Add(1)
		var onCall int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM doctors WHERE on_call").Scan(&onCall); err != nil {
			return err
		}
		if attempt == 1 {
			close(readDone)
			select {
			case <-otherRead:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if onCall < 2 {
			return nil
		}
		_, err := tx.Exec(ctx, "UPDATE doctors SET on_call = FALSE WHERE name = $1", doctor)
		return err
	}
}

func TestSerializableTransactionsThatConflictAreRetried(t *testing.T) {
	tests := []struct {
		name         string
		maxAttempts  int
		wantFailures int
		wantOnCall   int
		wantRetries  int32
	}{
		{"with retries the loser runs again and sees the winner's write", 0, 0, 1, 1},
		{"without retries the loser gets a serialization failure", 1, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := storagetest.PostgresConfig(t)
			cfg.TxMaxAttempts = tt.maxAttempts
			db := storagetest.Open(t, cfg)
			mustMigrate(t, db, "test", storage.Migration{Version: 1, Name: "doctors", Up: `
				CREATE TABLE doctors (name TEXT PRIMARY KEY, on_call BOOLEAN NOT NULL);
				INSERT INTO doctors VALUES ('alice', TRUE), ('bob', TRUE);`})

			ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
			defer cancel()
			var aliceAttempts, bobAttempts atomic.Int32
			aliceRead, bobRead := make(chan struct{}), make(chan struct{})
			results := make(chan error, 2)
			go func() {
				results <- db.WithTx(ctx, goOffCall("alice", &aliceAttempts, aliceRead, bobRead), storage.Serializable())
			}()
			go func() {
				results <- db.WithTx(ctx, goOffCall("bob", &bobAttempts, bobRead, aliceRead), storage.Serializable())
			}()

			failures := 0
			for range 2 {
				err := recv(t, results, "a transaction")
				switch {
				case err == nil:
				case storage.IsSerializationFailure(err) && !errors.Is(err, context.DeadlineExceeded):
					failures++
				default:
					t.Errorf("WithTx: %v", err)
				}
			}
			if failures != tt.wantFailures {
				t.Errorf("serialization failures returned = %d, want %d", failures, tt.wantFailures)
			}
			if retries := aliceAttempts.Load() + bobAttempts.Load() - 2; retries != tt.wantRetries {
				t.Errorf("retries = %d, want %d", retries, tt.wantRetries)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM doctors WHERE on_call"); n != tt.wantOnCall {
				t.Errorf("doctors on call = %d, want %d", n, tt.wantOnCall)
			}
		})
	}
}
