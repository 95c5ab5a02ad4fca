// Package federation serves the Server-Server API on the federation
// listener. Today that is the server's published signing keys, which other
// servers fetch before they trust anything signed by this one; joins,
// /send, backfill and the outbound queues build on it.
//
// https://spec.matrix.org/latest/server-server-api/
package federation

import (
	"log/slog"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
)

// keyValidity is how long other servers may cache the published keys
// before fetching them again (Synapse's key_refresh_interval).
const keyValidity = 24 * time.Hour

// Federation is the federation component.
type Federation struct {
	serverName string
	key        signing.SigningKey
	log        *slog.Logger
	now        func() time.Time
}

// New builds the component for the server serverName signing with key.
func New(serverName string, key signing.SigningKey, log *slog.Logger) *Federation {
	return &Federation{
		serverName: serverName, key: key, now: time.Now,
		log: log.With(slog.String("component", "federation")),
	}
}

// Name identifies the component in logs and migrations.
func (f *Federation) Name() string { return "federation" }

// Migrations returns the component's schema history: no tables yet.
func (f *Federation) Migrations() []storage.Migration { return nil }

// Streams returns the bus streams the component publishes to: none yet.
func (f *Federation) Streams() []bus.StreamSpec { return nil }

// Register mounts the federation endpoints when the federation listener
// is on.
func (f *Federation) Register(routes httpapi.Routes) {
	if routes.Federation == nil {
		return
	}
	f.registerKeys(routes.Federation)
}
