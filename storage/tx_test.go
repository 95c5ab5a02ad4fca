package storage_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

func TestWithTxCommitsOrRollsBack(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		fn        func(ctx context.Context, tx *storage.Tx) error
		wantErr   error
		wantPanic bool
		wantRows  int
	}{
		{
			name:     "a function returning nil commits",
			fn:       insertItem("a", nil),
			wantRows: 1,
		},
		{
			name:     "a function returning an error rolls back and returns that error",
			fn:       insertItem("a", errBoom),
			wantErr:  errBoom,
			wantRows: 0,
		},
		{
			name: "a function that panics rolls back and the panic continues",
			fn: func(ctx context.Context, tx *storage.Tx) error {
				if err := insertItem("a", nil)(ctx, tx); err != nil {
					return err
				}
				panic("boom")
			},
			wantPanic: true,
			wantRows:  0,
		},
	}
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "test", itemsTable)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				mustExec(t, db, "DELETE FROM items")
				var err error
				panicked := func() (panicked bool) {
					defer func() { panicked = recover() != nil }()
					err = db.WithTx(t.Context(), tt.fn)
					return false
				}()
				if panicked != tt.wantPanic {
					t.Errorf("panicked = %v, want %v", panicked, tt.wantPanic)
				}
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
					t.Errorf("WithTx error = %v, want %v", err, tt.wantErr)
				}
				if n := count(t, db, "SELECT COUNT(*) FROM items"); n != tt.wantRows {
					t.Errorf("rows after WithTx = %d, want %d", n, tt.wantRows)
				}
				// The writer must be free again: on SQLite a leaked
				// transaction would hold its only connection.
				mustExec(t, db, "INSERT INTO items (name) VALUES ($1)", "after")
			})
		}
	})
}

func insertItem(name string, result error) func(ctx context.Context, tx *storage.Tx) error {
	return func(ctx context.Context, tx *storage.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO items (name) VALUES ($1)", name); err != nil {
			return err
		}
		return result
	}
}

func TestWritingThroughDBInsideWithTxFails(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "test", itemsTable)
		err := db.WithTx(t.Context(), func(ctx context.Context, tx *storage.Tx) error {
			if _, err := db.Exec(ctx, "INSERT INTO items (name) VALUES ('x')"); !errors.Is(err, storage.ErrWriteInsideTx) {
				t.Errorf("db.Exec inside WithTx = %v, want ErrWriteInsideTx", err)
			}
			if err := db.ExecReturning(ctx, "INSERT INTO items (name) VALUES ('y') RETURNING id").Scan(new(int64)); !errors.Is(err, storage.ErrWriteInsideTx) {
				t.Errorf("db.ExecReturning inside WithTx = %v, want ErrWriteInsideTx", err)
			}
			nested := db.WithTx(ctx, func(context.Context, *storage.Tx) error { return nil })
			if !errors.Is(nested, storage.ErrWriteInsideTx) {
				t.Errorf("nested WithTx = %v, want ErrWriteInsideTx", nested)
			}
			// Reads through db are allowed: they never wait for the writer.
			count(t, db, "SELECT COUNT(*) FROM items")
			return nil
		})
		if err != nil {
			t.Fatalf("WithTx: %v", err)
		}
	})
}

func TestReadOnlyTransactionsSeeASnapshotAndRefuseWrites(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "test", itemsTable)
		mustExec(t, db, "INSERT INTO items (name) VALUES ('a')")
		err := db.WithTx(t.Context(), func(ctx context.Context, tx *storage.Tx) error {
			if n := count(t, tx, "SELECT COUNT(*) FROM items"); n != 1 {
				t.Errorf("rows = %d, want 1", n)
			}
			_, err := tx.Exec(ctx, "INSERT INTO items (name) VALUES ('b')")
			return err
		}, storage.ReadOnly())
		if err == nil {
			t.Error("insert in a read-only transaction succeeded, want an error")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM items"); n != 1 {
			t.Errorf("rows after the refused insert = %d, want 1", n)
		}
	})
}

func TestReadsThroughDBCannotWrite(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		if db.Backend() != storage.BackendSQLite {
			t.Skip("PostgreSQL reads and writes share one pool")
		}
		mustMigrate(t, db, "test", itemsTable)
		rows, err := db.Query(t.Context(), "INSERT INTO items (name) VALUES ('a') RETURNING id")
		if err == nil {
			rows.Close()
			t.Fatal("insert through a reader succeeded, want a read-only error")
		}
	})
}

func TestSQLiteWriterIsDurable(t *testing.T) {
	db := storagetest.NewSQLite(t)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
	}
	err := db.WithTx(t.Context(), func(ctx context.Context, tx *storage.Tx) error {
		for _, tt := range tests {
			var got string
			if err := tx.QueryRow(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				return err
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteWithTxRetriesWhileAnotherProcessHoldsTheWriteLock opens the file
// twice, as the server and an admin command would, and lets the second
// writer wait for the first beyond its busy timeout.
func TestSQLiteWithTxRetriesWhileAnotherProcessHoldsTheWriteLock(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		wantErr     bool
	}{
		{"with retries the second writer succeeds once the first commits", 0, false},
		{"without retries the second writer gets a serialization failure", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := storagetest.SQLiteConfig(t)
			first := storagetest.Open(t, cfg)
			mustMigrate(t, first, "test", itemsTable)

			cfg.BusyTimeout = 10 * time.Millisecond
			cfg.TxMaxAttempts = tt.maxAttempts
			retried := make(chan struct{}, 1)
			second, err := storage.Open(t.Context(), cfg, slog.New(signalHandler{message: "retrying transaction after a conflict", seen: retried}))
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()

			holding, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				firstDone <- first.WithTx(t.Context(), func(ctx context.Context, tx *storage.Tx) error {
					if err := insertItem("first", nil)(ctx, tx); err != nil {
						return err
					}
					close(holding)
					<-release
					return nil
				})
			}()
			recv(t, holding, "the first writer to take the lock")

			secondDone := make(chan error, 1)
			go func() { secondDone <- second.WithTx(t.Context(), insertItem("second", nil)) }()
			if tt.wantErr {
				err := recv(t, secondDone, "the second writer to give up")
				close(release)
				if !storage.IsSerializationFailure(err) {
					t.Errorf("second writer error = %v, want a serialization failure", err)
				}
			} else {
				recv(t, retried, "the second writer to retry")
				close(release)
				if err := recv(t, secondDone, "the second writer"); err != nil {
					t.Errorf("second writer: %v", err)
				}
			}
			if err := recv(t, firstDone, "the first writer"); err != nil {
				t.Errorf("first writer: %v", err)
			}
			want := 2
			if tt.wantErr {
				want = 1
			}
			if n := count(t, first, "SELECT COUNT(*) FROM items"); n != want {
				t.Errorf("rows = %d, want %d", n, want)
			}
		})
	}
}
