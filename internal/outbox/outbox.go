// Package outbox delivers bus messages written inside a database
// transaction. A component enqueues a message in the transaction that
// stores what the message announces, so whatever it acknowledged to a
// client reaches the bus even if the process dies right after the commit
// or the bus is down: the row stays until the bus acknowledged it.
//
// One instance at a time publishes an outbox, the holder of a lease in the
// database, because rows must go out in order: two publishers would race
// each other and could swap two messages. The holder renews the lease while
// it runs and gives it up on Stop; when it dies, another instance takes
// over after leaseDuration. Rows published twice across such a hand-over
// (published, then the holder died before deleting them) carry the same
// bus message ID, so the stream drops the copy within its duplicates
// window and consumers must be idempotent past it.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/background"
	"github.com/ocomms/ocomms/storage"
)

// Schema is the DDL of an outbox stored in table: the rows and the lease.
// A component puts it in one of its migrations.
func Schema(table string) string {
	return `
CREATE TABLE ` + table + ` (
	seq     BIGSERIAL PRIMARY KEY,
	payload TEXT NOT NULL
);
CREATE TABLE ` + table + `_lease (
	id         INTEGER PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_ts BIGINT NOT NULL
);
INSERT INTO ` + table + `_lease (id, holder, expires_ts) VALUES (1, '', 0);
`
}

// Prepare turns a stored row back into the message to publish and the
// message ID the stream de-duplicates by. The default decodes the payload
// as is and uses table:seq.
type Prepare func(seq int64, payload []byte) (msg any, msgID string, err error)

// Outbox is one table of pending messages for one subject.
type Outbox struct {
	db      *storage.DB
	bus     *bus.Bus
	table   string
	subject string
	prepare Prepare
	log     *slog.Logger

	// instanceID names this process as the holder of the lease.
	instanceID string
	// wake nudges the publisher after a commit added rows.
	wake chan struct{}
	loop background.Loop
}

// Option adjusts an Outbox.
type Option func(*Outbox)

// WithPrepare sets how rows become messages.
func WithPrepare(p Prepare) Option { return func(o *Outbox) { o.prepare = p } }

// New builds the outbox stored in table (created by Schema(table)) whose
// messages go to subject.
func New(db *storage.DB, b *bus.Bus, table, subject string, log *slog.Logger, opts ...Option) *Outbox {
	o := &Outbox{
		db: db, bus: b, table: table, subject: subject,
		log:        log.With(slog.String("outbox", table)),
		instanceID: rand.Text(),
		wake:       make(chan struct{}, 1),
	}
	o.prepare = func(seq int64, payload []byte) (any, string, error) {
		return json.RawMessage(payload), table + ":" + strconv.FormatInt(seq, 10), nil
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// Enqueue writes msg, JSON-encoded, into the outbox inside tx. Call Notify
// after the transaction commits so the publisher sends it at once; without
// it the row goes out within pollInterval.
func (o *Outbox) Enqueue(ctx context.Context, tx *storage.Tx, msg any) error {
	payload, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("outbox %s: encode %T: %w", o.table, msg, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+o.table+` (payload) VALUES ($1)`, string(payload)); err != nil {
		return fmt.Errorf("outbox %s: enqueue: %w", o.table, err)
	}
	return nil
}

// Notify wakes the publisher without blocking.
func (o *Outbox) Notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Start runs the publisher, which first publishes whatever an earlier run
// left. It outlives ctx: Stop ends it.
func (o *Outbox) Start(context.Context) error {
	o.loop.Start(o.publishLoop)
	return nil
}

// Stop ends the publisher and gives up the lease. Rows it did not publish
// stay for the next start or another instance.
func (o *Outbox) Stop(ctx context.Context) error {
	running, err := o.loop.Stop(ctx)
	if running && err == nil {
		o.releaseLease(ctx)
	}
	return err
}
