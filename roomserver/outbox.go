package roomserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
)

// Submit writes an outbox row in the transaction that stores the event, so
// an event whose ID was returned is published even if the process dies
// right after the commit or the bus is down (see package outbox). One
// publisher at a time keeps each room's output in order.
const outboxTable = "roomserver_outbox"

// expireEvery is how often each instance expires old transactions.
const expireEvery = time.Hour

func newOutbox(db *storage.DB, b *bus.Bus, log *slog.Logger) *outbox.Outbox {
	// The row's sequence number travels in the message: consumers drop a
	// copy published twice across a hand-over of the lease by it.
	prepare := func(seq int64, payload []byte) (any, string, error) {
		var out api.OutputEvent
		if err := json.Unmarshal(payload, &out); err != nil {
			return nil, "", err
		}
		out.Sequence = seq
		return out, strconv.FormatInt(seq, 10) + ":" + out.EventID, nil
	}
	return outbox.New(db, b, outboxTable, api.OutputSubject, log, outbox.WithPrepare(prepare))
}

// expireLoop forgets old transaction IDs until ctx is done. Every instance
// runs it; the delete is idempotent.
func (r *Roomserver) expireLoop(ctx context.Context) {
	t := time.NewTicker(expireEvery)
	defer t.Stop()
	for {
		if err := r.expireTransactions(ctx); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "expiring transactions", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
