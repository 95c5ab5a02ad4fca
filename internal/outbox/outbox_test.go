package outbox_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

const (
	table   = "test_outbox"
	subject = "test.outbox"
)

type note struct {
	N int `json:"n"`
}

func migrate(t *testing.T, db *storage.DB) {
	t.Helper()
	if err := db.Migrate(t.Context(), "outboxtest", []storage.Migration{{Version: 1, Name: "outbox", Up: outbox.Schema(table)}}); err != nil {
		t.Fatal(err)
	}
}

func enqueue(t *testing.T, db *storage.DB, o *outbox.Outbox, from, to int) {
	t.Helper()
	err := db.WithTx(t.Context(), func(ctx context.Context, tx *storage.Tx) error {
		for i := from; i <= to; i++ {
			if err := o.Enqueue(ctx, tx, note{N: i}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	o.Notify()
}

// received collects the numbers consumed from the subject, in order.
type received struct {
	mu sync.Mutex
	ns []int
}

func (r *received) handler(_ context.Context, m bus.Message) error {
	var n note
	if err := m.Decode(&n); err != nil {
		return bus.Permanent(err)
	}
	r.mu.Lock()
	r.ns = append(r.ns, n.N)
	r.mu.Unlock()
	return nil
}

func (r *received) waitFor(t *testing.T, want []int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got := slices.Clone(r.ns)
		r.mu.Unlock()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRowsCommittedBeforeStartAndAfterArePublishedInOrderOnce(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		migrate(t, db)
		b := bustest.Embedded(t)(t)
		if err := b.EnsureStreams(t.Context(), bus.StreamSpec{Name: "TEST_OUTBOX", Subjects: []string{subject}}); err != nil {
			t.Fatal(err)
		}
		var got received
		sub, err := b.Consume(t.Context(), "TEST_OUTBOX", "test", got.handler, bus.WithOrderedDelivery())
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Stop()

		first := outbox.New(db, b, table, subject, storagetest.Logger(t))
		enqueue(t, db, first, 1, 3) // before any publisher runs
		if err := first.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		enqueue(t, db, first, 4, 5)
		got.waitFor(t, []int{1, 2, 3, 4, 5})
		if err := first.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}

		// A second instance takes over the released lease at once.
		second := outbox.New(db, b, table, subject, storagetest.Logger(t))
		if err := second.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer second.Stop(context.Background())
		enqueue(t, db, first, 6, 6)
		got.waitFor(t, []int{1, 2, 3, 4, 5, 6})

		// A row is deleted once the bus acknowledged it, which may be just
		// after the consumer saw it.
		deadline := time.Now().Add(10 * time.Second)
		for {
			var left int
			if err := db.QueryRow(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d rows left in the outbox after publishing", left)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestEnqueueRefusesWhatCannotBeEncoded(t *testing.T) {
	db := storagetest.NewSQLite(t)
	migrate(t, db)
	o := outbox.New(db, nil, table, subject, storagetest.Logger(t))
	err := db.WithTx(t.Context(), func(ctx context.Context, tx *storage.Tx) error {
		return o.Enqueue(ctx, tx, json.RawMessage(`{not json`))
	})
	if err == nil {
		t.Fatal("enqueueing invalid JSON succeeded")
	}
}
