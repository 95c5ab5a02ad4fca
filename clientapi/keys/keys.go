// Package keys serves end-to-end encryption's part of the Client-Server
// API: device and one-time keys, cross-signing keys and signatures, server
// side key backups and send-to-device messages. The server never sees
// plaintext; it stores, checks and hands out keys exactly as the spec
// says, and announces what changed (device lists, to-device messages) on
// the bus through an outbox written in the same transaction, so nothing it
// acknowledged is lost.
//
// https://spec.matrix.org/latest/client-server-api/#end-to-end-encryption
package keys

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

// Accounts is what the key store needs from the accounts component:
// authenticating callers, the devices users have, and user-interactive
// authentication for replacing cross-signing keys.
type Accounts interface {
	httpapi.Authenticator
	DeviceNames(ctx context.Context, userIDs []string) (map[string]map[string]string, error)
	InteractiveAuth(ctx context.Context, caller *httpapi.Device, kind string, auth json.RawMessage) (
		consume func(context.Context, *storage.Tx) error, challenge *httpapi.Response, err error)
}

// Keys is the key store.
type Keys struct {
	cfg      config.Config
	db       *storage.DB
	bus      *bus.Bus
	accounts Accounts
	log      *slog.Logger
	out      *outboxes
}

// New builds it.
func New(cfg config.Config, db *storage.DB, b *bus.Bus, accounts Accounts, log *slog.Logger) *Keys {
	log = log.With(slog.String("component", "keys"))
	return &Keys{cfg: cfg, db: db, bus: b, accounts: accounts, log: log, out: newOutboxes(db, b, log)}
}

// Name identifies the key store in logs and migrations.
func (k *Keys) Name() string { return "keys" }

// Migrations returns the schema history of its tables.
func (k *Keys) Migrations() []storage.Migration { return migrations }

// Streams returns the bus streams it publishes to.
func (k *Keys) Streams() []bus.StreamSpec { return k.out.streams() }

// Start runs the outbox publishers, which first publish what an earlier
// run left.
func (k *Keys) Start(ctx context.Context) error { return k.out.start(ctx) }

// Stop ends the publishers; unpublished rows stay for the next start.
func (k *Keys) Stop(ctx context.Context) error { return k.out.stop(ctx) }

// Register mounts the endpoints, one family per file.
func (k *Keys) Register(routes httpapi.Routes) {
	c := routes.Client
	k.registerUpload(c)
	k.registerQuery(c)
	k.registerClaim(c)
	k.registerCrossSigning(c)
	k.registerSignatures(c)
	k.registerBackupVersions(c)
	k.registerBackupKeys(c)
	k.registerToDevice(c)
}

// handle mounts an endpoint for an authenticated caller under r0 and v3.
func (k *Keys) handle(r *mux.Router, method, path string, h httpapi.AuthedHandlerFunc) {
	httpapi.HandleClient(r, method, path, httpapi.Authenticated(k.accounts, h), httpapi.ClientR0V3)
}

// isLocal reports whether a well-formed user ID belongs to this server;
// the error is M_INVALID_PARAM for a malformed one.
func (k *Keys) isLocal(userID string) (bool, error) {
	u, err := id.ParseUserID(userID)
	if err != nil {
		return false, errcode.InvalidParam("invalid user ID " + strconv.Quote(userID))
	}
	return string(u.ServerName()) == k.cfg.ServerName, nil
}

// remoteFailure is what failures holds for a server this one cannot ask:
// federated key queries and claims come with the federation component.
func remoteFailure() map[string]any {
	return map[string]any{"status": http.StatusServiceUnavailable, "message": "federation is not available on this server"}
}

func serverOf(userID string) string {
	_, server, _ := strings.Cut(userID, ":")
	return server
}

// placeholders returns "$from, $from+1, ..." for n values.
func placeholders(from, n int) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(marks, ", ")
}

func nowMS() int64 { return time.Now().UnixMilli() }

// errNoRows tells handlers' transactions that a row they expected is gone.
var errNoRows = errors.New("keys: row not found")
