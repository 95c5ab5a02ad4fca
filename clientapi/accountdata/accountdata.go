// Package accountdata serves the account data endpoints: global and per
// room account data and room tags (stored as the m.tag room account data).
// Every change is stored with a bus message in one transaction, from which
// the sync API keeps its own copy for /sync.
//
// https://spec.matrix.org/latest/client-server-api/#client-config
// https://spec.matrix.org/latest/client-server-api/#room-tagging
package accountdata

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// AccountData is the account data component.
type AccountData struct {
	db     *storage.DB
	authn  httpapi.Authenticator
	outbox *outbox.Outbox
	log    *slog.Logger
}

var _ api.AccountData = (*AccountData)(nil)

// New builds the component.
func New(db *storage.DB, b *bus.Bus, authn httpapi.Authenticator, log *slog.Logger) *AccountData {
	log = log.With(slog.String("component", "accountdata"))
	return &AccountData{
		db: db, authn: authn, log: log,
		outbox: outbox.New(db, b, outboxTable, api.AccountDataSubject, log),
	}
}

// Name identifies the component in logs and migrations.
func (a *AccountData) Name() string { return "accountdata" }

// Migrations returns the component's schema history.
func (a *AccountData) Migrations() []storage.Migration { return migrations }

// Streams returns the bus streams the component publishes to.
func (a *AccountData) Streams() []bus.StreamSpec { return api.AccountDataStreams() }

// Start runs the outbox publisher, which first sends what an earlier run
// committed but did not publish.
func (a *AccountData) Start(ctx context.Context) error { return a.outbox.Start(ctx) }

// Stop ends the publisher; unpublished changes wait in the outbox.
func (a *AccountData) Stop(ctx context.Context) error { return a.outbox.Stop(ctx) }

// Register mounts the endpoints.
func (a *AccountData) Register(routes httpapi.Routes) {
	c := routes.Client
	a.handle(c, http.MethodGet, "/user/{userId}/account_data/{type}", a.get)
	a.handle(c, http.MethodPut, "/user/{userId}/account_data/{type}", a.put)
	a.handle(c, http.MethodGet, "/user/{userId}/rooms/{roomId}/account_data/{type}", a.get)
	a.handle(c, http.MethodPut, "/user/{userId}/rooms/{roomId}/account_data/{type}", a.put)
	a.handle(c, http.MethodGet, "/user/{userId}/rooms/{roomId}/tags", a.getTags)
	a.handle(c, http.MethodPut, "/user/{userId}/rooms/{roomId}/tags/{tag}", a.putTag)
	a.handle(c, http.MethodDelete, "/user/{userId}/rooms/{roomId}/tags/{tag}", a.deleteTag)
}

// handle mounts an endpoint of full accounts on r0 and v3: the spec does
// not list account data among the endpoints guests may use.
func (a *AccountData) handle(router *mux.Router, method, path string, h httpapi.AuthedHandlerFunc) {
	httpapi.HandleClient(router, method, path, httpapi.Authenticated(a.authn, func(r *http.Request, dev *httpapi.Device) (any, error) {
		if dev.IsGuest {
			return nil, errcode.GuestAccessForbidden("guest accounts cannot use account data")
		}
		return h(r, dev)
	}), httpapi.ClientR0V3)
}
