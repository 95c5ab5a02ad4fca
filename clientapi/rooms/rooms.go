// Package rooms serves the client endpoints that act on rooms: creating,
// joining, inviting, leaving, sending, state, redactions, aliases, the room
// directory, upgrades, reports and the profiles that member events carry. It
// asks the roomserver to build and store events; its own tables hold what
// is not room state (aliases, the published directory, profiles, forgotten
// rooms, reports).
//
// https://spec.matrix.org/latest/client-server-api/#rooms
package rooms

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/ratelimit"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// Rooms is the room endpoints' part of the client API.
type Rooms struct {
	cfg   config.Config
	db    *storage.DB
	rooms api.API
	authn httpapi.Authenticator
	users UserDirectory
	log   *slog.Logger
	send  *ratelimit.Limiter
	// mediaQuota, when set, bounds the media a room's events refer to.
	mediaQuota RoomMediaQuota

	invitePerms InvitePermissions // nil: invites are never blocked
}

// UserDirectory tells whether a local account exists. The accounts
// component implements it next to httpapi.Authenticator; profiles of
// unknown users answer 404 as the spec requires.
type UserDirectory interface {
	UserExists(ctx context.Context, userID string) (bool, error)
}

// New builds it. When authn is also a UserDirectory (the accounts component
// is), profile look-ups tell existing users from unknown ones through it.
func New(cfg config.Config, db *storage.DB, rooms api.API, authn httpapi.Authenticator, log *slog.Logger) *Rooms {
	r := &Rooms{
		cfg:   cfg,
		db:    db,
		rooms: rooms,
		authn: authn,
		log:   log.With(slog.String("component", "rooms")),
		send:  ratelimit.New(cfg.RateLimits.Send),
	}
	if u, ok := authn.(UserDirectory); ok {
		r.users = u
	}
	return r
}

// Migrations returns the schema history of its tables.
func (r *Rooms) Migrations() []storage.Migration { return migrations }

// Register mounts the endpoints, one family per file.
func (r *Rooms) Register(routes httpapi.Routes) {
	c := routes.Client
	r.registerCreateRoom(c)
	r.registerMembership(c)
	r.registerProfile(c)
	r.registerSend(c)
	r.registerState(c)
	r.registerAliases(c)
	r.registerDirectory(c)
	r.registerUpgrade(c)
	r.registerReport(c)
	r.registerUserReport(c)
	r.registerAdminReports(c)
	r.registerUserDirectory(c)
	r.registerHierarchy(c)
	r.registerRoomSummary(c)
}

// handle mounts an endpoint that needs an access token of a full
// account under r0 and v3.
func (r *Rooms) handle(router *mux.Router, method, path string, h httpapi.AuthedHandlerFunc) {
	r.handleGuests(router, method, path, func(req *http.Request, dev *httpapi.Device) (any, error) {
		if dev.IsGuest {
			return nil, errcode.GuestAccessForbidden("guest accounts cannot use this endpoint")
		}
		return h(req, dev)
	})
}

// handleGuests mounts an endpoint that guest accounts may also use, one of
// those the spec lists for them.
//
// https://spec.matrix.org/latest/client-server-api/#client-behaviour-14
func (r *Rooms) handleGuests(router *mux.Router, method, path string, h httpapi.AuthedHandlerFunc) {
	httpapi.HandleClient(router, method, path, httpapi.Authenticated(r.authn, h), httpapi.ClientR0V3)
}

// handlePublic mounts an endpoint anyone may call.
func (r *Rooms) handlePublic(router *mux.Router, method, path string, h httpapi.HandlerFunc) {
	httpapi.HandleClient(router, method, path, h, httpapi.ClientR0V3)
}
