//go:build goolm

package clienttest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

// TestOcommsBinaryServesMautrixClients is `make run` with a real client:
// the built binary started with its default configuration, registration
// opened through the environment only, and two mautrix-go users who
// register with user-interactive auth, chat, react, edit, thread-reply,
// redact and publish their keys with mautrix's crypto machine, each seeing
// the other through /sync. It needs the goolm tag (mautrix's pure-Go
// Olm); `make test-e2ee`, part of `make test`, runs it.
func TestOcommsBinaryServesMautrixClients(t *testing.T) {
	bin := buildOcomms(t)
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		env := backendEnv(t, b)
		srv := startOcomms(t, bin, append(env, "OCOMMS_REGISTRATION_ENABLED=true")...)
		for _, f := range []string{"ocomms.yaml", "signing.key"} {
			if _, err := os.Stat(filepath.Join(srv.Dir, "data", f)); err != nil {
				t.Errorf("the first start did not write data/%s: %v", f, err)
			}
		}
		// The overrides took: SQLite only when the environment names no
		// other database.
		if _, err := os.Stat(filepath.Join(srv.Dir, "data", "ocomms.db")); (err == nil) != (len(env) == 0) {
			t.Errorf("data/ocomms.db: %v, with %d backend overrides", err, len(env))
		}

		alice, bob := registerDummy(t, srv.URL, "alice"), registerDummy(t, srv.URL, "bob")
		_, bobSync := chatReactEditRedactThread(t, alice, bob)
		aliceSync := &syncer{cli: alice}
		aliceSync.until(t, "alice's sync", "", func([]*event.Event, *mautrix.RespSync) bool { return true })

		aliceMach, bobMach := shareKeys(t, alice), shareKeys(t, bob)
		// Alice's new keys change her device list, which bob, who shares
		// a room with her, hears of through his sync.
		bobSync.until(t, "alice's device list change", "", func(_ []*event.Event, resp *mautrix.RespSync) bool {
			return slices.Contains(resp.DeviceLists.Changed, alice.UserID)
		})
		// Bob's machine fetches them with /keys/query and checks their
		// signatures before it trusts them as alice's device.
		devices, err := bobMach.FetchKeys(t.Context(), []id.UserID{alice.UserID}, true)
		if err != nil {
			t.Fatalf("bob fetching alice's keys: %v", err)
		}
		own := aliceMach.OwnIdentity()
		if got := devices[alice.UserID][alice.DeviceID]; got == nil || got.SigningKey != own.SigningKey || got.IdentityKey != own.IdentityKey {
			t.Fatalf("bob sees alice's device as %+v, want keys %s / %s", got, own.SigningKey, own.IdentityKey)
		}

		// Alice's sync counts her one-time keys, one fewer once bob has
		// claimed one to start an Olm session.
		var uploaded int
		aliceSync.until(t, "alice's one-time key count", "", func(_ []*event.Event, resp *mautrix.RespSync) bool {
			uploaded = resp.DeviceOTKCount.SignedCurve25519
			return uploaded > 0
		})
		claimed, err := bob.ClaimKeys(t.Context(), &mautrix.ReqClaimKeys{
			OneTimeKeys: mautrix.OneTimeKeysRequest{alice.UserID: {alice.DeviceID: id.KeyAlgorithmSignedCurve25519}},
		})
		if err != nil || len(claimed.OneTimeKeys[alice.UserID][alice.DeviceID]) != 1 {
			t.Fatalf("bob claiming a one-time key of alice's = %+v, %v", claimed, err)
		}
		aliceSync.until(t, "alice's one-time key count after the claim", "", func(_ []*event.Event, resp *mautrix.RespSync) bool {
			return resp.DeviceOTKCount.SignedCurve25519 == uploaded-1
		})

		srv.Stop(t)
	})
}

// backendEnv is the environment that points `ocomms run` at b's database
// and bus: nothing for the embedded SQLite and NATS of `make run`, the
// test's own PostgreSQL database and NATS prefix for production's.
func backendEnv(t *testing.T, b testserver.Backend) []string {
	t.Helper()
	var cfg config.Config
	b.Configure(t, &cfg)
	var env []string
	if cfg.Database.Backend != "" {
		env = append(env, "OCOMMS_DATABASE_BACKEND="+cfg.Database.Backend, "OCOMMS_DATABASE_POSTGRES_DSN="+cfg.Database.PostgresDSN)
	}
	if len(cfg.Bus.NATSURLs) > 0 {
		env = append(env, "OCOMMS_BUS_NATS_URLS="+strings.Join(cfg.Bus.NATSURLs, ","), "OCOMMS_BUS_PREFIX="+cfg.Bus.Prefix)
	}
	return env
}

// registerDummy registers a user on the open /register, answering the
// server's user-interactive auth with m.login.dummy as clients do.
func registerDummy(t *testing.T, url, name string) *mautrix.Client {
	t.Helper()
	anon, err := mautrix.NewClient(url, "", "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := anon.RegisterDummy(t.Context(), &mautrix.ReqRegister[any]{
		Username: name, Password: "correct horse battery " + name, InitialDeviceDisplayName: name + "'s laptop",
	})
	if err != nil {
		t.Fatalf("registering %s: %v", name, err)
	}
	cli, err := mautrix.NewClient(url, resp.UserID, resp.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	cli.DeviceID = resp.DeviceID
	return cli
}

// shareKeys gives the client's device an Olm account and uploads its
// device keys and one-time keys, as a crypto client does on first login.
func shareKeys(t *testing.T, cli *mautrix.Client) *crypto.OlmMachine {
	t.Helper()
	ctx := t.Context()
	state := mautrix.NewMemoryStateStore()
	cli.StateStore = state
	mach := crypto.NewOlmMachine(cli, nil, crypto.NewMemoryStore(nil), state.(crypto.StateStore))
	if err := mach.Load(ctx); err != nil {
		t.Fatalf("loading %s's olm machine: %v", cli.UserID, err)
	}
	if err := mach.ShareKeys(ctx, -1); err != nil {
		t.Fatalf("%s uploading keys: %v", cli.UserID, err)
	}
	return mach
}
