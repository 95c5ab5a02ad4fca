// Package receipts serves read receipts and read markers: POST
// /rooms/{roomId}/receipt/{receiptType}/{eventId} and POST
// /rooms/{roomId}/read_markers. It stores each user's
// latest receipt per room, type and thread, and announces every stored
// receipt on the bus (clientapi/api.Receipt) through its outbox, in the
// transaction that stores it, so the sync API and federation see every
// receipt a client was told was saved. The read marker (m.fully_read) is
// room account data, stored through the account data component.
//
// https://spec.matrix.org/latest/client-server-api/#receipts
package receipts

import (
	"context"
	"log/slog"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/outbox"
	rsapi "github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
)

const outboxTable = "clientapi_receipts_outbox"

// Receipts is the receipts component.
type Receipts struct {
	db     *storage.DB
	rooms  rsapi.API
	authn  httpapi.Authenticator
	outbox *outbox.Outbox
	// accountData stores m.fully_read.
	accountData api.AccountData
	log         *slog.Logger
}

// New builds the component.
func New(db *storage.DB, b *bus.Bus, rooms rsapi.API, authn httpapi.Authenticator, accountData api.AccountData, log *slog.Logger) *Receipts {
	log = log.With(slog.String("component", "clientapi_receipts"))
	return &Receipts{
		db: db, rooms: rooms, authn: authn, accountData: accountData, log: log,
		outbox: outbox.New(db, b, outboxTable, api.ReceiptsSubject, log),
	}
}

// Name identifies the component in logs and migrations.
func (r *Receipts) Name() string { return "clientapi_receipts" }

// Migrations returns the component's schema history.
func (r *Receipts) Migrations() []storage.Migration { return migrations }

// Streams returns the bus streams the component publishes to.
func (r *Receipts) Streams() []bus.StreamSpec { return api.ReceiptsStreams() }

// Register mounts the receipt endpoint.
func (r *Receipts) Register(routes httpapi.Routes) {
	r.registerReceipt(routes)
	r.registerReadMarkers(routes)
}

// Start runs the outbox publisher, which first sends what an earlier run
// left.
func (r *Receipts) Start(ctx context.Context) error { return r.outbox.Start(ctx) }

// Stop ends the publisher; unsent receipts stay in the outbox.
func (r *Receipts) Stop(ctx context.Context) error { return r.outbox.Stop(ctx) }

var migrations = []storage.Migration{{
	Version: 1,
	Name:    "latest receipt per user, room, type and thread; outbox",
	Up: `
CREATE TABLE clientapi_receipts (
	room_id      TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	receipt_type TEXT NOT NULL,
	-- '' for an unthreaded receipt.
	thread_id    TEXT NOT NULL,
	event_id     TEXT NOT NULL,
	ts           BIGINT NOT NULL,
	PRIMARY KEY (room_id, user_id, receipt_type, thread_id)
);
` + outbox.Schema(outboxTable),
}}
