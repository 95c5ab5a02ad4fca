// Package clientapi serves the Client-Server API: the endpoints Element,
// FluffyChat and bots call under /_matrix/client. Endpoint families live in
// sub-packages (accounts, rooms); this package assembles them.
//
// https://spec.matrix.org/latest/client-server-api/
package clientapi

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/clientapi/accounts"
	"github.com/ocomms/ocomms/clientapi/keys"
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
	bus   *bus.Bus
	authn httpapi.Authenticator
	log   *slog.Logger
	rooms *rooms.Rooms
	keys  *keys.Keys

	userDirectory bus.Subscription
	stop          context.CancelFunc
}

// New builds the component. The end-to-end encryption endpoints need
// more of accounts than authentication: when authn is the accounts
// component (keys.Accounts), they are built too.
func New(cfg config.Config, db *storage.DB, b *bus.Bus, rs api.API, authn httpapi.Authenticator, log *slog.Logger) *ClientAPI {
	log = log.With(slog.String("component", "clientapi"))
	c := &ClientAPI{cfg: cfg, bus: b, authn: authn, log: log, rooms: rooms.New(cfg, db, rs, authn, log)}
	if accts, ok := authn.(keys.Accounts); ok {
		c.keys = keys.New(cfg, db, b, accts, log)
	}
	return c
}

// SetRoomMediaQuota has sends and state changes checked against the
// rooms' media quotas (the media component) before they are accepted.
func (c *ClientAPI) SetRoomMediaQuota(q rooms.RoomMediaQuota) { c.rooms.SetRoomMediaQuota(q) }

// Keys is the key store of end-to-end encryption, a component of its own
// (its tables, streams and publishers), or nil without accounts.
func (c *ClientAPI) Keys() *keys.Keys { return c.keys }

// Name identifies the component in logs and migrations.
func (c *ClientAPI) Name() string { return "clientapi" }

// Migrations returns the component's schema history.
func (c *ClientAPI) Migrations() []storage.Migration { return c.rooms.Migrations() }

// Streams returns the bus streams the component publishes to.
func (c *ClientAPI) Streams() []bus.StreamSpec { return nil }

// Forgotten tells /sync which rooms users have forgotten
// (POST /rooms/{roomId}/forget).
func (c *ClientAPI) Forgotten() rooms.Forgotten { return c.rooms }

// SetInvitePermissions makes invites honour the invitee's
// m.invite_permission_config, read through the account data component.
func (c *ClientAPI) SetInvitePermissions(p rooms.InvitePermissions) { c.rooms.SetInvitePermissions(p) }

// RoomParter leaves the rooms of users whose accounts are deactivated.
func (c *ClientAPI) RoomParter() accounts.RoomParter { return c.rooms }

// Start keeps the user directory up to date from the roomserver's output.
// The consumer outlives ctx until Stop, so events keep being applied
// while requests in flight finish during a shutdown.
func (c *ClientAPI) Start(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sub, err := c.rooms.StartUserDirectory(runCtx, c.bus)
	if err != nil {
		cancel()
		return err
	}
	c.userDirectory, c.stop = sub, cancel
	return nil
}

// Stop ends the user directory's consumer; an event being applied goes
// back to the stream.
func (c *ClientAPI) Stop(ctx context.Context) error {
	if c.userDirectory == nil {
		return nil
	}
	defer c.stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.userDirectory.Stop()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("clientapi: user directory consumer did not stop in time")
	}
}

// Register mounts the component's routes.
func (c *ClientAPI) Register(routes httpapi.Routes) {
	registerVersions(routes.Client)
	registerCapabilities(routes.Client, c.cfg, c.authn)
	registerWellKnown(routes.Client, c.cfg.WellKnown)
	registerVoIP(routes.Client, c.cfg.TURN, c.authn)
	registerThirdParty(routes.Client, c.authn)
	registerThreePID(routes.Client, c.authn)
	c.rooms.Register(routes)
}
