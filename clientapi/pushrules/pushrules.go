// Package pushrules serves the push rules API (/pushrules/...): it stores
// what each user changed of the server-default rules, merges it with the
// defaults for clients and for the sync API's notification counts, and
// announces every change on the bus (clientapi/api.PushRulesChanged)
// through its outbox, in the transaction that stores it.
//
// https://spec.matrix.org/latest/client-server-api/#push-rules-api
package pushrules

import (
	"context"
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/storage"
)

const outboxTable = "clientapi_push_rules_outbox"

// PushRules is the push rules component.
type PushRules struct {
	db     *storage.DB
	authn  httpapi.Authenticator
	outbox *outbox.Outbox
	log    *slog.Logger
}

// New builds the component.
func New(db *storage.DB, b *bus.Bus, authn httpapi.Authenticator, log *slog.Logger) *PushRules {
	log = log.With(slog.String("component", "clientapi_push_rules"))
	return &PushRules{
		db: db, authn: authn, log: log,
		outbox: outbox.New(db, b, outboxTable, api.PushRulesSubject, log),
	}
}

// Name identifies the component in logs and migrations.
func (p *PushRules) Name() string { return "clientapi_push_rules" }

// Migrations returns the component's schema history.
func (p *PushRules) Migrations() []storage.Migration { return migrations }

// Streams returns the bus streams the component publishes to.
func (p *PushRules) Streams() []bus.StreamSpec { return api.PushRulesStreams() }

// Register mounts the /pushrules endpoints.
func (p *PushRules) Register(routes httpapi.Routes) { p.registerRoutes(routes) }

// Start runs the outbox publisher.
func (p *PushRules) Start(ctx context.Context) error { return p.outbox.Start(ctx) }

// Stop ends the publisher; unsent changes stay in the outbox.
func (p *PushRules) Stop(ctx context.Context) error { return p.outbox.Stop(ctx) }

// clientapi_push_rules holds, per user who changed anything, the
// customisations of the defaults (pushrules.Customisations) as JSON, and a
// revision that increases with each change.
var migrations = []storage.Migration{{
	Version: 1,
	Name:    "push rule customisations per user; outbox",
	Up: `
CREATE TABLE clientapi_push_rules (
	user_id    TEXT PRIMARY KEY,
	rules_json TEXT NOT NULL,
	revision   BIGINT NOT NULL
);
` + outbox.Schema(outboxTable),
}}
