// Package rooms serves the client endpoints that act on rooms: creating,
// joining, inviting, leaving, sending, state, redactions, aliases and the
// room directory. It asks the roomserver to build and store events.
package rooms

import (
	"log/slog"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
)

// Rooms is the room endpoints' part of the client API.
type Rooms struct {
	cfg   config.Config
	db    *storage.DB
	rooms api.API
	authn httpapi.Authenticator
	log   *slog.Logger
}

// New builds it.
func New(cfg config.Config, db *storage.DB, rooms api.API, authn httpapi.Authenticator, log *slog.Logger) *Rooms {
	return &Rooms{cfg: cfg, db: db, rooms: rooms, authn: authn, log: log.With(slog.String("component", "rooms"))}
}

// Migrations returns the schema history of its tables (aliases, directory).
func (r *Rooms) Migrations() []storage.Migration { return nil }

// Register mounts the endpoints.
func (r *Rooms) Register(routes httpapi.Routes) {}
