package storage_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// TestConcurrentWritersAndReadersNeverSeeALockError hammers one database
// with writers in transactions, plain writes and readers, from two handles
// on the same file for SQLite (the server and an admin command). Every
// call must succeed: "database is locked" must never reach a caller.
func TestConcurrentWritersAndReadersNeverSeeALockError(t *testing.T) {
	const (
		writers       = 8
		writesEach    = 25
		readers       = 4
		outsideWrites = 25
		// Readers stop early on a slow machine so as not to starve the
		// writers they are meant to overlap with.
		readsEach = 100
	)
	forEachConfig(t, func(t *testing.T, cfg storage.Config) {
		db := storagetest.Open(t, cfg)
		other := storagetest.Open(t, cfg)
		mustMigrate(t, db, "test", itemsTable)
		ctx := t.Context()

		var writersDone sync.WaitGroup
		errs := make(chan error, writers+readers+1)
		for w := range writers {
			writersDone.Go(func() {
				for i := range writesEach {
					name := fmt.Sprintf("w%d-%d", w, i)
					var err error
					if i%2 == 0 {
						err = db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
							if _, err := tx.Exec(ctx, "INSERT INTO items (name) VALUES ($1)", name); err != nil {
								return err
							}
							_, err := tx.Exec(ctx, "UPDATE items SET hits = hits + 1 WHERE name = $1", name)
							return err
						})
					} else {
						_, err = db.Exec(ctx, "INSERT INTO items (name, hits) VALUES ($1, 1)", name)
					}
					if err != nil {
						errs <- fmt.Errorf("writer %d: %w", w, err)
						return
					}
				}
			})
		}
		writersDone.Go(func() {
			for i := range outsideWrites {
				if err := other.WithTx(ctx, insertItem(fmt.Sprintf("other-%d", i), nil)); err != nil {
					errs <- fmt.Errorf("second handle: %w", err)
					return
				}
			}
		})

		var stop atomic.Bool
		var readersDone sync.WaitGroup
		for r := range readers {
			readersDone.Go(func() {
				last := 0
				for range readsEach {
					if stop.Load() {
						return
					}
					var n int
					if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM items").Scan(&n); err != nil {
						errs <- fmt.Errorf("reader %d: %w", r, err)
						return
					}
					if n < last {
						errs <- fmt.Errorf("reader %d: row count went back from %d to %d", r, last, n)
						return
					}
					last = n
				}
			})
		}
		writersDone.Wait()
		stop.Store(true)
		readersDone.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM items WHERE hits = 1"); n != writers*writesEach {
			t.Errorf("rows written by the writers = %d, want %d", n, writers*writesEach)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM items"); n != writers*writesEach+outsideWrites {
			t.Errorf("rows = %d, want %d", n, writers*writesEach+outsideWrites)
		}
	})
}
