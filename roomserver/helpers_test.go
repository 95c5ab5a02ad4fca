package roomserver_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/roomserver"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

const serverName = "test.ocomms.local"

const (
	alice = "@alice:" + serverName
	bob   = "@bob:" + serverName
)

// backend is a database and a bus for roomserver instances.
type backend struct {
	db     *storage.DB
	cfg    storage.Config
	newBus bustest.NewBus
}

// forEachBackend runs fn on SQLite with the embedded bus and on
// PostgreSQL with the external bus (skipped without OCOMMS_TEST_POSTGRES
// and OCOMMS_TEST_NATS outside CI).
func forEachBackend(t *testing.T, fn func(t *testing.T, be backend)) {
	t.Helper()
	t.Run(storage.BackendSQLite, func(t *testing.T) {
		cfg := storagetest.SQLiteConfig(t)
		fn(t, backend{db: storagetest.Open(t, cfg), cfg: cfg, newBus: bustest.Embedded(t)})
	})
	t.Run(storage.BackendPostgres, func(t *testing.T) {
		cfg := storagetest.PostgresConfig(t)
		fn(t, backend{db: storagetest.Open(t, cfg), cfg: cfg, newBus: bustest.External(t)})
	})
}

// testKey is the signing key of every test instance: they are one server.
var testKey = func() signing.SigningKey {
	key, err := signing.GenerateSigningKey(rand.Reader, "ed25519:test")
	if err != nil {
		panic(err)
	}
	return key
}()

// newRoomserver builds an instance on the backend, migrated and started,
// with a bus connection of its own. It stops when the test ends.
func newRoomserver(t *testing.T, be backend) *roomserver.Roomserver {
	t.Helper()
	return newRoomserverOn(t, be.db, be.newBus(t))
}

func newRoomserverOn(t *testing.T, db *storage.DB, b *bus.Bus) *roomserver.Roomserver {
	t.Helper()
	cfg := config.Defaults()
	cfg.ServerName = serverName
	rs := roomserver.New(db, b, cfg, testKey, storagetest.Logger(t))
	if err := db.Migrate(t.Context(), rs.Name(), rs.Migrations()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := b.EnsureStreams(t.Context(), rs.Streams()...); err != nil {
		t.Fatalf("streams: %v", err)
	}
	if err := rs.Start(t.Context()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rs.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return rs
}

func ptr(s string) *string { return &s }

// createRoom creates a room in the version with alice as creator, joined,
// with default power levels, and returns its ID.
func createRoom(t *testing.T, rs api.API, version roomversion.ID) string {
	t.Helper()
	resps, err := rs.Submit(t.Context(),
		api.SubmitRequest{Type: "m.room.create", StateKey: ptr(""), Sender: alice, RoomVersion: version, Content: json.RawMessage(`{}`)},
		api.SubmitRequest{Type: "m.room.member", StateKey: ptr(alice), Sender: alice, Content: json.RawMessage(`{"membership":"join"}`)},
		api.SubmitRequest{Type: "m.room.power_levels", StateKey: ptr(""), Sender: alice, Content: powerLevels(version, map[string]int{alice: 100})},
		api.SubmitRequest{Type: "m.room.join_rules", StateKey: ptr(""), Sender: alice, Content: json.RawMessage(`{"join_rule":"public"}`)},
	)
	if err != nil {
		t.Fatalf("create room v%s: %v", version, err)
	}
	return resps[0].RoomID
}

// powerLevels leaves the creator out in room version 12, where creators
// may not be listed.
func powerLevels(version roomversion.ID, users map[string]int) json.RawMessage {
	rules, _ := roomversion.Lookup(version)
	if rules.PrivilegedCreators {
		delete(users, alice)
	}
	b, _ := json.Marshal(map[string]any{"users": users})
	return b
}

func message(roomID, sender, body string) api.SubmitRequest {
	content, _ := json.Marshal(map[string]string{"msgtype": "m.text", "body": body})
	return api.SubmitRequest{RoomID: roomID, Type: "m.room.message", Sender: sender, Content: content}
}

func join(roomID, user string) api.SubmitRequest {
	return api.SubmitRequest{RoomID: roomID, Type: "m.room.member", StateKey: ptr(user), Sender: user, Content: json.RawMessage(`{"membership":"join"}`)}
}

func submitOne(t *testing.T, rs api.API, req api.SubmitRequest) api.SubmitResponse {
	t.Helper()
	resps, err := rs.Submit(t.Context(), req)
	if err != nil {
		t.Fatalf("submit %s: %v", req.Type, err)
	}
	return resps[0]
}

func getEvent(t *testing.T, rs api.API, eventID string) *event.Event {
	t.Helper()
	evs, err := rs.Events(t.Context(), eventID)
	if err != nil || len(evs) != 1 {
		t.Fatalf("event %s: %v (%d events)", eventID, err, len(evs))
	}
	return evs[0]
}

// outputs collects the output events published on the bus.
type outputs struct {
	mu     sync.Mutex
	events []api.OutputEvent
}

func collectOutputs(t *testing.T, b *bus.Bus) *outputs {
	t.Helper()
	o := &outputs{}
	sub, err := b.Consume(t.Context(), api.OutputStream, "roomserver-test", func(ctx context.Context, m bus.Message) error {
		var out api.OutputEvent
		if err := m.Decode(&out); err != nil {
			return bus.Permanent(err)
		}
		o.mu.Lock()
		o.events = append(o.events, out)
		o.mu.Unlock()
		return nil
	}, bus.WithOrderedDelivery())
	if err != nil {
		t.Fatalf("consume outputs: %v", err)
	}
	t.Cleanup(sub.Stop)
	return o
}

// waitFor polls until the collected outputs satisfy cond, or fails.
func (o *outputs) waitFor(t *testing.T, what string, cond func([]api.OutputEvent) bool) []api.OutputEvent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		o.mu.Lock()
		evs := slices.Clone(o.events)
		o.mu.Unlock()
		if cond(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (have %d output events)", what, len(evs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hasEvents reports whether every event ID is among the outputs.
func hasEvents(ids ...string) func([]api.OutputEvent) bool {
	return func(evs []api.OutputEvent) bool {
		seen := map[string]bool{}
		for _, e := range evs {
			seen[e.EventID] = true
		}
		for _, id := range ids {
			if !seen[id] {
				return false
			}
		}
		return true
	}
}

// count returns the number of rows of a table.
func count(t *testing.T, db *storage.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
