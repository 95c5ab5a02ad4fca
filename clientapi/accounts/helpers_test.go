package accounts_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

const (
	v3 = "/_matrix/client/v3"
	r0 = "/_matrix/client/r0"
)

// start runs fn against a fresh server on every backend; tweak adjusts the
// configuration first.
func start(t *testing.T, tweak func(*config.Config), fn func(t *testing.T, srv *testserver.Server, cfg config.Config)) {
	t.Helper()
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		if tweak != nil {
			tweak(&cfg)
		}
		fn(t, testserver.Start(t, cfg), cfg)
	})
}

// openDB opens the test server's database next to it, for the few facts a
// client cannot produce (a token past its lifetime).
func openDB(t *testing.T, cfg config.Config) *storage.DB {
	t.Helper()
	return storagetest.Open(t, storage.Config{
		Backend:     cfg.Database.Backend,
		SQLitePath:  cfg.Path(cfg.Database.SQLitePath),
		PostgresDSN: cfg.Database.PostgresDSN,
	})
}

func exec(t *testing.T, db *storage.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// sharedSecretMAC is the MAC register_new_matrix_user computes.
func sharedSecretMAC(secret, nonce, user, password string, admin bool) string {
	mac := hmac.New(sha1.New, []byte(secret))
	role := "notadmin"
	if admin {
		role = "admin"
	}
	mac.Write([]byte(nonce + "\x00" + user + "\x00" + password + "\x00" + role))
	return hex.EncodeToString(mac.Sum(nil))
}

func nonce(t *testing.T, c *testserver.Client) string {
	t.Helper()
	n, _ := c.MustDo(t, http.MethodGet, "/_synapse/admin/v1/register", nil, http.StatusOK)["nonce"].(string)
	if n == "" {
		t.Fatal("no nonce")
	}
	return n
}

func login(t *testing.T, srv *testserver.Server, user, password string, extra map[string]any) *testserver.Client {
	t.Helper()
	body := map[string]any{
		"type":       "m.login.password",
		"identifier": map[string]any{"type": "m.id.user", "user": user},
		"password":   password,
	}
	for k, v := range extra {
		body[k] = v
	}
	res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/login", body, http.StatusOK)
	c := srv.Anonymous()
	c.UserID, _ = res["user_id"].(string)
	c.DeviceID, _ = res["device_id"].(string)
	c.AccessToken, _ = res["access_token"].(string)
	return c
}

func wantError(t *testing.T, resp *testserver.ClientResponse, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Errcode() != code {
		t.Fatalf("got %d %s, want %d %s: %s", resp.Status, resp.Errcode(), status, code, resp.Body)
	}
}
