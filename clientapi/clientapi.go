// Package clientapi serves the Client-Server API: the endpoints Element,
// FluffyChat and bots call under /_matrix/client.
//
// https://spec.matrix.org/latest/client-server-api/
package clientapi

import (
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/storage"
)

// ClientAPI is the Client-Server API component.
type ClientAPI struct {
	log *slog.Logger
}

// New builds the component.
func New(log *slog.Logger) *ClientAPI {
	return &ClientAPI{log: log.With(slog.String("component", "clientapi"))}
}

// Name identifies the component in logs and migrations.
func (c *ClientAPI) Name() string { return "clientapi" }

// Migrations returns the component's schema history.
func (c *ClientAPI) Migrations() []storage.Migration { return nil }

// Streams returns the bus streams the component publishes to.
func (c *ClientAPI) Streams() []bus.StreamSpec { return nil }

// Register mounts the component's routes.
func (c *ClientAPI) Register(routes httpapi.Routes) {
	registerVersions(routes.Client)
}
