// Package accounts owns users, devices, access tokens and everything that
// creates or ends a session: /register, /login, /logout, devices, password
// changes, deactivation, the shared-secret admin registration and the admin
// commands. Other components authenticate requests through its
// httpapi.Authenticator and never read its tables.
package accounts

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// Accounts is the accounts component.
type Accounts struct {
	db  *storage.DB
	cfg config.Config
	log *slog.Logger
}

// New builds the component.
func New(db *storage.DB, cfg config.Config, log *slog.Logger) *Accounts {
	return &Accounts{db: db, cfg: cfg, log: log.With(slog.String("component", "accounts"))}
}

// Name identifies the component in logs and migrations.
func (a *Accounts) Name() string { return "accounts" }

// Migrations returns the component's schema history.
func (a *Accounts) Migrations() []storage.Migration { return nil }

// Streams returns the bus streams the component publishes to.
func (a *Accounts) Streams() []bus.StreamSpec { return nil }

// Register mounts the component's client endpoints.
func (a *Accounts) Register(routes httpapi.Routes) {}

// Authenticate resolves an access token to its device.
func (a *Accounts) Authenticate(ctx context.Context, accessToken string, r *http.Request) (*httpapi.Device, error) {
	return nil, errcode.UnknownToken(false)
}
