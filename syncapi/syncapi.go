// Package syncapi serves what clients read: /sync, /messages, /context and
// the ephemeral streams. It keeps its own read-optimised copy of rooms,
// filled from the roomserver's output stream, and never writes room state.
package syncapi

import (
	"context"
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
)

// SyncAPI is the sync component.
type SyncAPI struct {
	db    *storage.DB
	bus   *bus.Bus
	cfg   config.Config
	rooms api.API
	authn httpapi.Authenticator
	log   *slog.Logger
}

// New builds the component.
func New(db *storage.DB, b *bus.Bus, cfg config.Config, rooms api.API, authn httpapi.Authenticator, log *slog.Logger) *SyncAPI {
	return &SyncAPI{db: db, bus: b, cfg: cfg, rooms: rooms, authn: authn, log: log.With(slog.String("component", "syncapi"))}
}

// Name identifies the component in logs and migrations.
func (s *SyncAPI) Name() string { return "syncapi" }

// Migrations returns the component's schema history.
func (s *SyncAPI) Migrations() []storage.Migration { return nil }

// Streams returns the bus streams the component publishes to.
func (s *SyncAPI) Streams() []bus.StreamSpec { return nil }

// Register mounts the component's client endpoints.
func (s *SyncAPI) Register(routes httpapi.Routes) {}

// Start runs the background work.
func (s *SyncAPI) Start(ctx context.Context) error { return nil }

// Stop ends the background work.
func (s *SyncAPI) Stop(ctx context.Context) error { return nil }
