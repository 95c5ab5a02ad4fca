package accounts_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

const getTokenPath = "/_matrix/client/v1/login/get_token"

func enableLoginToken(cfg *config.Config) { cfg.Auth.LoginToken.Enabled = true }

// getLoginToken goes through the password stage and returns the token.
func getLoginToken(t *testing.T, c *testserver.Client, localpart string) map[string]any {
	t.Helper()
	session, _ := uiaSession(t, c, http.MethodPost, getTokenPath, map[string]any{})
	return c.MustDo(t, http.MethodPost, getTokenPath,
		map[string]any{"auth": passwordAuth(localpart, "password-"+localpart, session)}, http.StatusOK)
}

func tokenLogin(t *testing.T, srv *testserver.Server, token any) *testserver.ClientResponse {
	t.Helper()
	return srv.Anonymous().Do(t, http.MethodPost, v3+"/login", map[string]any{"type": "m.login.token", "token": token})
}

func hasTokenFlow(t *testing.T, srv *testserver.Server) bool {
	t.Helper()
	res := srv.Anonymous().MustDo(t, http.MethodGet, v3+"/login", nil, http.StatusOK)
	for _, f := range res["flows"].([]any) {
		if f := f.(map[string]any); f["type"] == "m.login.token" {
			return f["get_login_token"] == true
		}
	}
	return false
}

func TestLoginTokenIsOfferedOnlyWhenEnabled(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		if hasTokenFlow(t, srv) {
			t.Error("GET /login offers m.login.token while it is disabled")
		}
		resp := alice.Do(t, http.MethodPost, getTokenPath, map[string]any{})
		if resp.Status != http.StatusNotFound || resp.Errcode() != "M_UNRECOGNIZED" {
			t.Errorf("get_token while disabled: %d %s", resp.Status, resp.Body)
		}
		resp = tokenLogin(t, srv, "ocl_whatever")
		if resp.Status != http.StatusBadRequest || resp.Errcode() != "M_UNKNOWN" {
			t.Errorf("m.login.token while disabled: %d %s", resp.Status, resp.Body)
		}
	})
}

func TestLoginTokenLogsInOnceAsTheSameUser(t *testing.T) {
	start(t, enableLoginToken, func(t *testing.T, srv *testserver.Server, cfg config.Config) {
		alice := srv.NewUser(t, "alice")
		if !hasTokenFlow(t, srv) {
			t.Fatal("GET /login does not offer m.login.token with get_login_token")
		}
		caps := alice.MustDo(t, http.MethodGet, v3+"/capabilities", nil, http.StatusOK)["capabilities"].(map[string]any)
		if c, _ := caps["m.get_login_token"].(map[string]any); c["enabled"] != true {
			t.Errorf("m.get_login_token capability %v", caps["m.get_login_token"])
		}

		t.Run("get_token needs the password every time", func(t *testing.T) {
			resp := alice.Do(t, http.MethodPost, getTokenPath, map[string]any{})
			if resp.Status != http.StatusUnauthorized || resp.Map(t)["session"] == nil {
				t.Fatalf("get_token without auth: %d %s", resp.Status, resp.Body)
			}
			session, _ := uiaSession(t, alice, http.MethodPost, getTokenPath, map[string]any{})
			resp = alice.Do(t, http.MethodPost, getTokenPath, map[string]any{"auth": passwordAuth("alice", "wrong", session)})
			if resp.Status != http.StatusUnauthorized || resp.Errcode() != "M_FORBIDDEN" {
				t.Fatalf("get_token with a wrong password: %d %s", resp.Status, resp.Body)
			}
			resp = srv.Anonymous().Do(t, http.MethodPost, getTokenPath, map[string]any{})
			if resp.Status != http.StatusUnauthorized || resp.Errcode() != "M_MISSING_TOKEN" {
				t.Fatalf("get_token without an access token: %d %s", resp.Status, resp.Body)
			}
		})
		t.Run("a token logs a new device in, once", func(t *testing.T) {
			res := getLoginToken(t, alice, "alice")
			if res["expires_in_ms"] != float64(cfg.Auth.LoginToken.Lifetime.Milliseconds()) {
				t.Errorf("expires_in_ms %v, want %d", res["expires_in_ms"], cfg.Auth.LoginToken.Lifetime.Milliseconds())
			}
			resp := tokenLogin(t, srv, res["login_token"])
			if resp.Status != http.StatusOK {
				t.Fatalf("token login: %d %s", resp.Status, resp.Body)
			}
			login := resp.Map(t)
			if login["user_id"] != alice.UserID || login["device_id"] == alice.DeviceID {
				t.Fatalf("token login as %v on device %v", login["user_id"], login["device_id"])
			}
			other := srv.Anonymous()
			other.AccessToken = login["access_token"].(string)
			if who := other.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK); who["user_id"] != alice.UserID {
				t.Fatalf("new device is %v", who)
			}
			wantError(t, tokenLogin(t, srv, res["login_token"]), http.StatusForbidden, "M_FORBIDDEN")
		})
		t.Run("an expired token is refused", func(t *testing.T) {
			res := getLoginToken(t, alice, "alice")
			exec(t, openDB(t, cfg), `UPDATE accounts_login_tokens SET expires_ts = 0`)
			wantError(t, tokenLogin(t, srv, res["login_token"]), http.StatusForbidden, "M_FORBIDDEN")
		})
		t.Run("bad token logins", func(t *testing.T) {
			wantError(t, tokenLogin(t, srv, "ocl_never-issued"), http.StatusForbidden, "M_FORBIDDEN")
			wantError(t, tokenLogin(t, srv, nil), http.StatusBadRequest, "M_MISSING_PARAM")
		})
	})
}
