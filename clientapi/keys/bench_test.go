package keys

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms/clientapi/accounts"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/storage"
)

// benchKeys is a key store on SQLite with users × devices, each device
// with its keys and enough one-time keys for every claim the benchmark
// makes. Rows are written directly: the benchmarks measure reading and
// claiming, not uploading.
func benchKeys(b *testing.B, users, devices, oneTimeKeys int) (*Keys, []string) {
	ctx := b.Context()
	log := slog.New(slog.DiscardHandler)
	db, err := storage.Open(ctx, storage.Config{Backend: storage.BackendSQLite, SQLitePath: filepath.Join(b.TempDir(), "bench.db")}, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	cfg := config.Defaults()
	cfg.ServerName = "bench"
	accts := accounts.New(db, nil, cfg, log)
	k := New(cfg, db, nil, accts, log)
	for _, c := range []struct {
		name string
		m    []storage.Migration
	}{{"accounts", accts.Migrations()}, {"keys", k.Migrations()}} {
		if err := db.Migrate(ctx, c.name, c.m); err != nil {
			b.Fatal(err)
		}
	}
	var ids []string
	err = db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		for u := range users {
			userID := fmt.Sprintf("@u%04d:bench", u)
			ids = append(ids, userID)
			for d := range devices {
				deviceID := fmt.Sprintf("D%04d", d)
				keyJSON := fmt.Sprintf(`{"algorithms":["m.olm.v1.curve25519-aes-sha2","m.megolm.v1.aes-sha2"],"device_id":%q,`+
					`"keys":{"curve25519:%s":"c%043d","ed25519:%s":"e%043d"},"signatures":{%q:{"ed25519:%s":"%086d"}},"user_id":%q}`,
					deviceID, deviceID, d, deviceID, d, userID, deviceID, 0, userID)
				if _, err := tx.Exec(ctx, `INSERT INTO accounts_devices (user_id, device_id, display_name, created_ts) VALUES ($1, $2, $3, 0)`, userID, deviceID, "device "+deviceID); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO keys_device_keys (user_id, device_id, ed25519, key_json, updated_ts) VALUES ($1, $2, $3, $4, 0)`, userID, deviceID, "e", keyJSON); err != nil {
					return err
				}
				for o := range oneTimeKeys {
					if _, err := tx.Exec(ctx, `INSERT INTO keys_one_time_keys (user_id, device_id, algorithm, key_id, key_json) VALUES ($1, $2, 'signed_curve25519', $3, $4)`,
						userID, deviceID, fmt.Sprintf("K%d", o), fmt.Sprintf(`{"key":"k%042d","signatures":{}}`, o)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return k, ids
}

// BenchmarkKeysQueryUserWith100Devices is /keys/query's work for one user
// with 100 devices.
func BenchmarkKeysQueryUserWith100Devices(b *testing.B) {
	k, users := benchKeys(b, 1, 100, 0)
	want := map[string][]string{users[0]: {}}
	for b.Loop() {
		if resp, err := k.query(b.Context(), users[0], want); err != nil || len(resp.DeviceKeys[users[0]]) != 100 {
			b.Fatalf("%v %d", err, len(resp.DeviceKeys[users[0]]))
		}
	}
}

// BenchmarkKeysQueryRoomOf1000Members is /keys/query for every member of
// a room of 1,000 (one device each), as a client asks on joining.
func BenchmarkKeysQueryRoomOf1000Members(b *testing.B) {
	k, users := benchKeys(b, 1000, 1, 0)
	want := map[string][]string{}
	for _, u := range users {
		want[u] = []string{}
	}
	for b.Loop() {
		if resp, err := k.query(b.Context(), users[0], want); err != nil || len(resp.DeviceKeys) != 1000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeysClaimUserWith100Devices claims one key of each of a user's
// 100 devices per call.
func BenchmarkKeysClaimUserWith100Devices(b *testing.B) {
	k, users := benchKeys(b, 1, 100, 500)
	want := map[string]map[string]string{users[0]: {}}
	for d := range 100 {
		want[users[0]][fmt.Sprintf("D%04d", d)] = "signed_curve25519"
	}
	claimLoop(b, k, want)
}

// BenchmarkKeysClaimRoomOf1000Members claims one key of each device in a
// room of 1,000 members per call, as a client starting Olm sessions with
// the whole room.
func BenchmarkKeysClaimRoomOf1000Members(b *testing.B) {
	k, users := benchKeys(b, 1000, 1, 50)
	want := map[string]map[string]string{}
	for _, u := range users {
		want[u] = map[string]string{"D0000": "signed_curve25519"}
	}
	claimLoop(b, k, want)
}

// claimLoop claims repeatedly; every call must still find one-time keys.
func claimLoop(b *testing.B, k *Keys, want map[string]map[string]string) {
	b.Helper()
	for b.Loop() {
		resp, err := k.claim(b.Context(), want)
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.OneTimeKeys) == 0 {
			b.Fatal("one-time keys ran out: raise the count per device")
		}
	}
}
