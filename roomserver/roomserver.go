// Package roomserver owns the room DAG: it accepts events, checks them
// against the auth rules and the room state, stores them with their state,
// and publishes what it accepted on the bus. See package api for its
// contract with the other components.
package roomserver

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
)

var errNotBuilt = errors.New("roomserver: not built yet")

// Roomserver is the roomserver component; it implements api.API.
type Roomserver struct {
	db         *storage.DB
	bus        *bus.Bus
	cfg        config.Config
	signingKey signing.SigningKey
	log        *slog.Logger
}

var _ api.API = (*Roomserver)(nil)

// New builds the component.
func New(db *storage.DB, b *bus.Bus, cfg config.Config, key signing.SigningKey, log *slog.Logger) *Roomserver {
	return &Roomserver{db: db, bus: b, cfg: cfg, signingKey: key, log: log.With(slog.String("component", "roomserver"))}
}

// Name identifies the component in logs and migrations.
func (r *Roomserver) Name() string { return "roomserver" }

// Migrations returns the component's schema history.
func (r *Roomserver) Migrations() []storage.Migration { return nil }

// Streams returns the bus streams the component publishes to.
func (r *Roomserver) Streams() []bus.StreamSpec { return api.Streams() }

// Register mounts nothing: the roomserver has no HTTP endpoints.
func (r *Roomserver) Register(httpapi.Routes) {}

// Start runs the background work.
func (r *Roomserver) Start(ctx context.Context) error { return nil }

// Stop ends the background work.
func (r *Roomserver) Stop(ctx context.Context) error { return nil }

func (r *Roomserver) Submit(ctx context.Context, reqs ...api.SubmitRequest) ([]api.SubmitResponse, error) {
	return nil, errNotBuilt
}

func (r *Roomserver) RoomInfo(ctx context.Context, roomID string) (api.RoomInfo, error) {
	return api.RoomInfo{}, errNotBuilt
}

func (r *Roomserver) CurrentState(ctx context.Context, roomID string, keys ...auth.StateKey) ([]*event.Event, error) {
	return nil, errNotBuilt
}

func (r *Roomserver) StateAfter(ctx context.Context, eventID string, keys ...auth.StateKey) ([]*event.Event, error) {
	return nil, errNotBuilt
}

func (r *Roomserver) Events(ctx context.Context, eventIDs ...string) ([]*event.Event, error) {
	return nil, errNotBuilt
}

func (r *Roomserver) Membership(ctx context.Context, roomID, userID string) (api.Membership, error) {
	return api.Membership{}, errNotBuilt
}

func (r *Roomserver) RoomsOfUser(ctx context.Context, userID, membership string) ([]string, error) {
	return nil, errNotBuilt
}
