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
	"runtime"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/internal/ratelimit"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// Accounts is the accounts component.
type Accounts struct {
	db       *storage.DB
	cfg      config.Config
	log      *slog.Logger
	hasher   *hasher
	lastSeen *lastSeen
	parter   RoomParter
	// eraser deletes account data on erasure; outbox carries the
	// erasure to the sync API (deactivation.go).
	eraser api.AccountDataEraser
	outbox *outbox.Outbox
	// dehydrated names the device GET /devices hides.
	dehydrated DehydratedDevices
	// observers are told about deleted and renamed devices.
	observers []DeviceObserver

	loginByIP    *ratelimit.Limiter
	loginByUser  *ratelimit.Limiter
	registerByIP *ratelimit.Limiter
	// tokenValidityByIP has the registration rates but its own buckets,
	// so checking a token does not use up the registration it is for.
	tokenValidityByIP *ratelimit.Limiter
	loginTokenByUser  *ratelimit.Limiter
}

// New builds the component. b may be nil in tools that run no publisher:
// erasures they commit wait in the outbox until a server publishes them.
func New(db *storage.DB, b *bus.Bus, cfg config.Config, log *slog.Logger) *Accounts {
	log = log.With(slog.String("component", "accounts"))
	return &Accounts{
		db:                db,
		cfg:               cfg,
		log:               log,
		outbox:            outbox.New(db, b, outboxTable, api.ErasureSubject, log),
		hasher:            newHasher(runtime.NumCPU()),
		lastSeen:          newLastSeen(),
		loginByIP:         ratelimit.New(cfg.RateLimits.Login),
		loginByUser:       ratelimit.New(cfg.RateLimits.Login),
		registerByIP:      ratelimit.New(cfg.RateLimits.Register),
		tokenValidityByIP: ratelimit.New(cfg.RateLimits.Register),
		loginTokenByUser:  ratelimit.New(cfg.RateLimits.Login),
	}
}

// Name identifies the component in logs and migrations.
func (a *Accounts) Name() string { return "accounts" }

// Migrations returns the component's schema history.
func (a *Accounts) Migrations() []storage.Migration { return migrations }

// Streams returns the bus streams the component publishes to.
func (a *Accounts) Streams() []bus.StreamSpec { return api.ErasureStreams() }

// Start runs the erasure outbox publisher, which first sends what an
// earlier run left.
func (a *Accounts) Start(ctx context.Context) error { return a.outbox.Start(ctx) }

// Stop ends the publisher; unpublished erasures wait in the outbox.
func (a *Accounts) Stop(ctx context.Context) error { return a.outbox.Stop(ctx) }

// Register mounts the component's client endpoints.
func (a *Accounts) Register(routes httpapi.Routes) {
	r := routes.Client
	a.registerAdminRegister(r)
	a.registerLogin(r)
	a.registerLoginToken(r)
	a.registerRefresh(r)
	a.registerRegister(r)
	a.registerAccount(r)
	a.registerDevices(r)
	a.registerRegistrationTokens(r)
	a.registerModeration(r)
}

// Authenticate resolves an access token to its device: M_UNKNOWN_TOKEN for
// tokens that were never issued or were logged out, and with soft_logout
// for refreshable tokens past their lifetime, so the client refreshes or
// logs in again as the same device. A locked account gets M_USER_LOCKED
// everywhere but logout (see lockedAllowed).
// https://spec.matrix.org/latest/client-server-api/#soft-logout
func (a *Accounts) Authenticate(ctx context.Context, accessToken string, r *http.Request) (*httpapi.Device, error) {
	return a.authenticate(ctx, accessToken, r, false)
}

func (a *Accounts) authenticate(ctx context.Context, accessToken string, r *http.Request, allowLocked bool) (*httpapi.Device, error) {
	o, found, err := lookupAccessToken(ctx, a.db, accessToken)
	if err != nil {
		return nil, err
	}
	if !found || o.deactivated {
		return nil, errcode.UnknownToken(false)
	}
	if o.expiresTs.Valid && nowMs() >= o.expiresTs.Int64 {
		return nil, errcode.UnknownToken(true)
	}
	if o.locked && !allowLocked {
		return nil, errLocked()
	}
	if r != nil {
		a.lastSeen.touch(ctx, a.db, a.log, o, r)
	}
	return &httpapi.Device{
		UserID:    o.userID,
		DeviceID:  o.deviceID,
		SessionID: o.sessionID,
		IsGuest:   o.isGuest,
		IsAdmin:   o.isAdmin,
		Suspended: o.suspended,
	}, nil
}
