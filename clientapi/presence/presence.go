// Package presence keeps local users' presence: PUT and GET
// /presence/{userId}/status, the set_presence of each /sync (through
// Synced, which the sync API calls) and the debounce that turns a user
// offline once no instance has seen them sync for presence.offline_after.
// Every change is written with an outbox message in one transaction, and
// the sync API keeps its own copy from the bus.
//
// https://spec.matrix.org/latest/client-server-api/#presence
package presence

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
)

// activeWindow is how recent the last activity of an online user must be
// for currently_active (Synapse's granularity of last_active_ts).
const activeWindow = time.Minute

// UserDirectory tells whether a local account exists, so GET answers 404
// for unknown users. The accounts component implements it.
type UserDirectory interface {
	UserExists(ctx context.Context, userID string) (bool, error)
}

// Presence is the presence component.
type Presence struct {
	db     *storage.DB
	rooms  api.API
	authn  httpapi.Authenticator
	users  UserDirectory
	cfg    config.Presence
	outbox *outbox.Outbox
	log    *slog.Logger

	// touched remembers, per user, the state this instance last wrote for
	// a sync and when, so a user syncing in a loop costs one write per
	// touchInterval instead of one per request.
	mu      sync.Mutex
	touched map[string]touch

	stop context.CancelFunc
	done chan struct{}
}

type touch struct {
	presence string
	at       time.Time
}

// New builds the component. authn, when it is also a UserDirectory (the
// accounts component is), tells unknown users apart.
func New(cfg config.Config, db *storage.DB, b *bus.Bus, rooms api.API, authn httpapi.Authenticator, log *slog.Logger) *Presence {
	log = log.With(slog.String("component", "presence"))
	p := &Presence{
		db: db, rooms: rooms, authn: authn, cfg: cfg.Presence, log: log,
		outbox:  outbox.New(db, b, outboxTable, clientapi.PresenceSubject, log),
		touched: map[string]touch{},
	}
	p.users, _ = authn.(UserDirectory)
	return p
}

// Name identifies the component in logs and migrations.
func (p *Presence) Name() string { return "clientapi_presence" }

// Migrations returns the schema history of its tables.
func (p *Presence) Migrations() []storage.Migration { return migrations }

// Streams returns the presence stream.
func (p *Presence) Streams() []bus.StreamSpec { return clientapi.PresenceStreams() }

// touchInterval is how often a user who keeps syncing has their last sync
// (and, online, their last activity) written: often enough that the
// sweeper never takes a syncing user for gone.
func (p *Presence) touchInterval() time.Duration {
	return min(p.cfg.OfflineAfter/3, 10*time.Second)
}

// Start runs the outbox publisher and the sweeper that turns idle users
// offline. Both outlive ctx until Stop.
func (p *Presence) Start(ctx context.Context) error {
	if err := p.outbox.Start(ctx); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.stop, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		p.sweepLoop(runCtx)
	}()
	return nil
}

// Stop ends the sweeper and the outbox publisher; unpublished rows stay
// for the next start or another instance.
func (p *Presence) Stop(ctx context.Context) error {
	if p.stop != nil {
		p.stop()
		select {
		case <-p.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return p.outbox.Stop(ctx)
}
