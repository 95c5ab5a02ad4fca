package accounts_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

func TestRefreshTokensRotateAndExpiredTokensAreSoftLoggedOut(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, cfg config.Config) {
		srv.NewUser(t, "alice")
		res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/login", map[string]any{
			"type": "m.login.password", "user": "alice", "password": "password-alice", "refresh_token": true,
		}, http.StatusOK)
		if res["expires_in_ms"] != float64(cfg.Auth.RefreshableTokenLifetime.Milliseconds()) || res["refresh_token"] == nil {
			t.Fatalf("login %v", res)
		}
		c := srv.Anonymous()
		c.AccessToken = res["access_token"].(string)
		c.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)

		// A token past its lifetime: the client may refresh, so it is told
		// soft_logout.
		db := openDB(t, cfg)
		exec(t, db, `UPDATE accounts_access_tokens SET expires_ts = 1 WHERE user_id = $1`, "@alice:test.ocomms.local")
		resp := c.Do(t, http.MethodGet, v3+"/account/whoami", nil)
		wantError(t, resp, 401, "M_UNKNOWN_TOKEN")
		if resp.Map(t)["soft_logout"] != true {
			t.Fatalf("expired token without soft_logout: %s", resp.Body)
		}

		anon := srv.Anonymous()
		first := anon.MustDo(t, http.MethodPost, v3+"/refresh", map[string]any{"refresh_token": res["refresh_token"]}, http.StatusOK)
		// The answer may be lost: the old refresh token still works until
		// the new one is used.
		second := anon.MustDo(t, http.MethodPost, "/_matrix/client/v1/refresh", map[string]any{"refresh_token": res["refresh_token"]}, http.StatusOK)
		wantError(t, anon.Do(t, http.MethodPost, v3+"/refresh", map[string]any{"refresh_token": first["refresh_token"]}), 401, "M_UNKNOWN_TOKEN")
		c.AccessToken = second["access_token"].(string)
		c.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
		third := anon.MustDo(t, http.MethodPost, v3+"/refresh", map[string]any{"refresh_token": second["refresh_token"]}, http.StatusOK)
		if third["expires_in_ms"] == nil || third["access_token"] == second["access_token"] {
			t.Errorf("refresh %v", third)
		}
		wantError(t, anon.Do(t, http.MethodPost, v3+"/refresh", map[string]any{"refresh_token": res["refresh_token"]}), 401, "M_UNKNOWN_TOKEN")
		wantError(t, c.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")

		wantError(t, anon.Do(t, http.MethodPost, v3+"/refresh", map[string]any{}), 400, "M_MISSING_PARAM")
		wantError(t, anon.Do(t, http.MethodPost, v3+"/refresh", map[string]any{"refresh_token": 1}), 400, "M_BAD_JSON")
	})
}

func TestLoginIsRateLimitedPerAddress(t *testing.T) {
	limited := func(c *config.Config) { c.RateLimits.Login = config.RateLimit{PerSecond: 0.001, Burst: 2} }
	start(t, limited, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		body := map[string]any{"type": "m.login.password", "user": "nobody", "password": "x"}
		for range 2 {
			wantError(t, anon.Do(t, http.MethodPost, v3+"/login", body), 403, "M_FORBIDDEN")
		}
		resp := anon.Do(t, http.MethodPost, v3+"/login", body)
		wantError(t, resp, 429, "M_LIMIT_EXCEEDED")
		if resp.Header.Get("Retry-After") == "" || resp.Map(t)["retry_after_ms"] == nil {
			t.Errorf("no retry advice: %s", resp.Body)
		}
	})
}

func TestATokenIssuedByOneInstanceWorksOnAnother(t *testing.T) {
	for _, b := range testserver.Backends() {
		if b.Name != "postgres+nats" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			cfg := testserver.Config(t, b)
			one := testserver.Start(t, cfg)
			second := cfg
			second.DataDir = cfg.DataDir
			two := testserver.Start(t, second)
			alice := one.NewUser(t, "alice")
			onTwo := two.Anonymous()
			onTwo.AccessToken = alice.AccessToken
			if who := onTwo.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK); who["user_id"] != alice.UserID {
				t.Errorf("whoami on the second instance: %v", who)
			}
			// A UIA session begun on one instance is finished on the other.
			session, _ := uiaSession(t, alice, http.MethodPost, v3+"/account/password", map[string]any{"new_password": "n"})
			onTwo.MustDo(t, http.MethodPost, v3+"/account/password", map[string]any{
				"new_password": "n", "auth": passwordAuth("alice", "password-alice", session)}, http.StatusOK)
			onTwo.MustDo(t, http.MethodPost, v3+"/logout", map[string]any{}, http.StatusOK)
			wantError(t, alice.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")
		})
	}
}
