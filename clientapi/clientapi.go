// Package clientapi serves the Client-Server API: the endpoints Element,
// FluffyChat and bots call under /_matrix/client. Endpoint families live in
// sub-packages (accounts, rooms); this package assembles them.
//
// https://spec.matrix.org/latest/client-server-api/
package clientapi

import (
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/clientapi/accounts"
	"github.com/ocomms/ocomms/clientapi/rooms"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
)

// ClientAPI is the Client-Server API component (accounts are a component of
// their own, because every other component authenticates through them).
type ClientAPI struct {
	cfg   config.Config
	authn httpapi.Authenticator
	log   *slog.Logger
	rooms *rooms.Rooms
}

// New builds the component.
func New(cfg config.Config, db *storage.DB, rs api.API, authn httpapi.Authenticator, log *slog.Logger) *ClientAPI {
	log = log.With(slog.String("component", "clientapi"))
	return &ClientAPI{cfg: cfg, authn: authn, log: log, rooms: rooms.New(cfg, db, rs, authn, log)}
}

// Name identifies the component in logs and migrations.
func (c *ClientAPI) Name() string { return "clientapi" }

// Migrations returns the component's schema history.
func (c *ClientAPI) Migrations() []storage.Migration { return c.rooms.Migrations() }

// Streams returns the bus streams the component publishes to.
func (c *ClientAPI) Streams() []bus.StreamSpec { return nil }

// Forgotten tells /sync which rooms users have forgotten
// (POST /rooms/{roomId}/forget).
func (c *ClientAPI) Forgotten() rooms.Forgotten { return c.rooms }

// RoomParter leaves the rooms of users whose accounts are deactivated.
func (c *ClientAPI) RoomParter() accounts.RoomParter { return c.rooms }

// Register mounts the component's routes.
func (c *ClientAPI) Register(routes httpapi.Routes) {
	registerVersions(routes.Client)
	registerCapabilities(routes.Client, c.cfg, c.authn)
	registerWellKnown(routes.Client, c.cfg.WellKnown)
	c.rooms.Register(routes)
}
