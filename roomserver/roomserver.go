// Package roomserver owns the room DAG: it accepts events, checks them
// against the auth rules and the room state, stores them with their state,
// and publishes what it accepted on the bus. See package api for its
// contract with the other components.
//
// Writes to a room are serialised by locking the room's row for the
// duration of the transaction that stores an event (on SQLite the single
// writer already serialises everything), so several instances can share one
// database. Accepted events reach the bus through an outbox written in the
// same transaction (outbox.go).
package roomserver

import (
	"context"
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/background"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
)

// Roomserver is the roomserver component; it implements api.API.
type Roomserver struct {
	db         *storage.DB
	bus        *bus.Bus
	cfg        config.Config
	signingKey signing.SigningKey
	log        *slog.Logger

	outbox *outbox.Outbox
	expiry background.Loop
}

var _ api.API = (*Roomserver)(nil)

// New builds the component.
func New(db *storage.DB, b *bus.Bus, cfg config.Config, key signing.SigningKey, log *slog.Logger) *Roomserver {
	log = log.With(slog.String("component", "roomserver"))
	return &Roomserver{
		db:         db,
		bus:        b,
		cfg:        cfg,
		signingKey: key,
		log:        log,
		outbox:     newOutbox(db, b, log),
	}
}

// Name identifies the component in logs and migrations.
func (r *Roomserver) Name() string { return "roomserver" }

// Migrations returns the component's schema history.
func (r *Roomserver) Migrations() []storage.Migration { return migrations }

// Streams returns the bus streams the component publishes to.
func (r *Roomserver) Streams() []bus.StreamSpec { return api.Streams() }

// Register mounts nothing: the roomserver has no HTTP endpoints.
func (r *Roomserver) Register(httpapi.Routes) {}

// Start runs the outbox publisher, which first publishes whatever an
// earlier run left in the outbox, and the expiry of old transactions.
func (r *Roomserver) Start(ctx context.Context) error {
	if err := r.outbox.Start(ctx); err != nil {
		return err
	}
	r.expiry.Start(r.expireLoop)
	return nil
}

// Stop ends the publisher. Rows it did not publish stay in the outbox for
// the next start or another instance.
func (r *Roomserver) Stop(ctx context.Context) error {
	if _, err := r.expiry.Stop(ctx); err != nil {
		return err
	}
	return r.outbox.Stop(ctx)
}

// notifyPublisher wakes the publisher without blocking.
func (r *Roomserver) notifyPublisher() { r.outbox.Notify() }
