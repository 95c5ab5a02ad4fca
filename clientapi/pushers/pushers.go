// Package pushers owns the push notification pushers of local users: the
// endpoints that register them (GET /pushers, POST /pushers/set) and the
// delivery that calls their push gateways (such as Sygnal) for every event
// the sync API says notifies their user.
//
// Delivery lives here, not in a component of its own, because it is the
// other half of the same table: it reads the pushers and removes those a
// gateway rejects, which nothing outside this package may touch.
//
// https://spec.matrix.org/latest/client-server-api/#push-notifications
// https://spec.matrix.org/latest/push-gateway-api/
package pushers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/storage"
	syncout "github.com/ocomms/ocomms/syncapi/api"
)

// consumerName is the durable consumer of pushes shared by every
// instance.
const consumerName = "clientapi-pushers"

// deliveryConcurrency is how many pushes one instance delivers at once, so
// one slow gateway does not hold up everyone's notifications.
const deliveryConcurrency = 8

// Pushers is the pushers component.
type Pushers struct {
	db      *storage.DB
	bus     *bus.Bus
	cfg     config.Push
	authn   httpapi.Authenticator
	details syncout.PushDetails
	gateway *gateway
	sent    *sentSet
	log     *slog.Logger
	sub     bus.Subscription
}

// New builds the component; details describes notifying events (the sync
// API).
func New(db *storage.DB, b *bus.Bus, cfg config.Config, authn httpapi.Authenticator, details syncout.PushDetails, log *slog.Logger) (*Pushers, error) {
	gw, err := newGateway(cfg.Push)
	if err != nil {
		return nil, fmt.Errorf("pushers: %w", err)
	}
	return &Pushers{
		db: db, bus: b, cfg: cfg.Push, authn: authn, details: details, gateway: gw,
		sent: newSentSet(),
		log:  log.With(slog.String("component", "pushers")),
	}, nil
}

// Name identifies the component in logs and migrations.
func (p *Pushers) Name() string { return "pushers" }

// Migrations returns the component's schema history.
func (p *Pushers) Migrations() []storage.Migration { return migrations }

// Streams returns the push stream it consumes, so the consumer finds it
// whatever the start-up order.
func (p *Pushers) Streams() []bus.StreamSpec { return syncout.PushStreams() }

// Register mounts the endpoints.
func (p *Pushers) Register(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/pushers", httpapi.Authenticated(p.authn, p.getPushers), httpapi.ClientR0V3)
	httpapi.HandleClient(routes.Client, http.MethodPost, "/pushers/set", httpapi.Authenticated(p.authn, p.setPusher), httpapi.ClientR0V3)
}

// Start joins the shared consumer of pushes. Failed deliveries come back
// with the configured backoff until max_attempts.
func (p *Pushers) Start(ctx context.Context) error {
	sub, err := p.bus.Consume(context.WithoutCancel(ctx), syncout.PushStream, consumerName, p.handlePush,
		bus.WithFilterSubjects(syncout.PushSubject),
		bus.WithConcurrency(deliveryConcurrency), bus.WithPrefetch(deliveryConcurrency),
		bus.WithRetryBackoff(p.cfg.RetryInitial, p.cfg.RetryMax),
		// One more than the attempts: the last one logs and acknowledges.
		bus.WithMaxDeliver(p.cfg.MaxAttempts+1))
	if err != nil {
		return fmt.Errorf("pushers: consumer: %w", err)
	}
	p.sub = sub
	return nil
}

// Stop leaves the consumer; a push being delivered goes back to the
// stream.
func (p *Pushers) Stop(context.Context) error {
	if p.sub != nil {
		p.sub.Stop()
	}
	return nil
}

// DevicesDeleted removes the pushers the deleted devices set, in the
// transaction that deletes them (accounts.DeviceObserver): a phone that
// logged out gets no more notifications.
func (p *Pushers) DevicesDeleted(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string) error {
	return deleteDevicePushers(ctx, tx, userID, deviceIDs)
}

// DeviceRenamed changes nothing: a pusher keeps the device display name
// its client gave.
func (p *Pushers) DeviceRenamed(context.Context, *storage.Tx, string, string) error { return nil }
