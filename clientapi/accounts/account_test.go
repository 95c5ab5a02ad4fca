package accounts_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

func passwordAuth(user, password, session string) map[string]any {
	a := map[string]any{
		"type":       "m.login.password",
		"identifier": map[string]any{"type": "m.id.user", "user": user},
		"password":   password,
	}
	if session != "" {
		a["session"] = session
	}
	return a
}

func TestPasswordChangeLogsOutOtherDevicesByDefault(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		other := login(t, srv, "alice", "password-alice", nil)
		body := map[string]any{"new_password": "new-secret"}
		session, res := uiaSession(t, alice, http.MethodPost, v3+"/account/password", body)
		if stages := res["flows"].([]any)[0].(map[string]any)["stages"].([]any); stages[0] != "m.login.password" {
			t.Fatalf("flows %v", res["flows"])
		}
		body["auth"] = passwordAuth("alice", "wrong", session)
		res = alice.MustDo(t, http.MethodPost, v3+"/account/password", body, http.StatusUnauthorized)
		if res["errcode"] != "M_FORBIDDEN" || res["session"] != session {
			t.Fatalf("wrong password: %v", res)
		}
		body["auth"] = passwordAuth(alice.UserID, "password-alice", session)
		alice.MustDo(t, http.MethodPost, v3+"/account/password", body, http.StatusOK)

		alice.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
		wantError(t, other.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")
		wantError(t, srv.Anonymous().Do(t, http.MethodPost, v3+"/login", map[string]any{
			"type": "m.login.password", "user": "alice", "password": "password-alice"}), 403, "M_FORBIDDEN")
		login(t, srv, "alice", "new-secret", nil)
	})
}

func TestPasswordChangeCanKeepOtherDevices(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		other := login(t, srv, "alice", "password-alice", nil)
		alice.MustDo(t, http.MethodPost, v3+"/account/password", map[string]any{
			"new_password": "new-secret", "logout_devices": false, "auth": passwordAuth("alice", "password-alice", ""),
		}, http.StatusOK)
		other.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
	})
}

func TestUIARefusesSessionsOfOtherUsersAndOperations(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		session, _ := uiaSession(t, alice, http.MethodPost, v3+"/account/password", map[string]any{"new_password": "x"})
		tests := []struct {
			name   string
			c      *testserver.Client
			path   string
			body   map[string]any
			status int
			code   string
		}{
			{"another user's session", bob, "/account/password", map[string]any{"new_password": "x", "auth": passwordAuth("bob", "password-bob", session)}, 403, "M_FORBIDDEN"},
			{"a session of another operation", alice, "/account/deactivate", map[string]any{"auth": passwordAuth("alice", "password-alice", session)}, 403, "M_FORBIDDEN"},
			{"an unknown session", alice, "/account/password", map[string]any{"new_password": "x", "auth": passwordAuth("alice", "password-alice", "nope")}, 400, "M_UNKNOWN"},
			{"an empty new password", alice, "/account/password", map[string]any{"new_password": ""}, 400, "M_INVALID_PARAM"},
			{"a new password that is not a string", alice, "/account/password", map[string]any{"new_password": 1}, 400, "M_BAD_JSON"},
			{"an auth that is not an object", alice, "/account/password", map[string]any{"new_password": "x", "auth": "x"}, 400, "M_BAD_JSON"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.c.Do(t, http.MethodPost, v3+tt.path, tt.body), tt.status, tt.code)
			})
		}
		t.Run("another user's password", func(t *testing.T) {
			res := alice.MustDo(t, http.MethodPost, v3+"/account/password", map[string]any{"new_password": "x", "auth": passwordAuth("bob", "password-bob", session)}, http.StatusUnauthorized)
			if res["errcode"] != "M_FORBIDDEN" {
				t.Errorf("got %v", res)
			}
		})
		t.Run("no new password once authenticated", func(t *testing.T) {
			wantError(t, alice.Do(t, http.MethodPost, v3+"/account/password", map[string]any{"auth": passwordAuth("alice", "password-alice", session)}), 400, "M_MISSING_PARAM")
		})
	})
}

func TestDeactivationEndsEverySessionAndLogin(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		other := login(t, srv, "alice", "password-alice", nil)
		session, _ := uiaSession(t, alice, http.MethodPost, v3+"/account/deactivate", map[string]any{})
		res := alice.MustDo(t, http.MethodPost, v3+"/account/deactivate", map[string]any{"auth": passwordAuth("alice", "password-alice", session)}, http.StatusOK)
		if res["id_server_unbind_result"] != "no-support" {
			t.Errorf("deactivate answered %v", res)
		}
		for _, c := range []*testserver.Client{alice, other} {
			wantError(t, c.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")
		}
		wantError(t, srv.Anonymous().Do(t, http.MethodPost, v3+"/login", map[string]any{
			"type": "m.login.password", "user": "alice", "password": "password-alice"}), 403, "M_FORBIDDEN")
		anon := srv.Anonymous()
		n := nonce(t, anon)
		wantError(t, anon.Do(t, http.MethodPost, "/_synapse/admin/v1/register", map[string]any{
			"nonce": n, "username": "alice", "password": "pw", "mac": sharedSecretMAC(testserver.SharedSecret, n, "alice", "pw", false),
		}), 400, "M_USER_IN_USE")
	})
}
