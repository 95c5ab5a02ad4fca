package accounts_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

func TestLoginAdvertisesPasswordLogin(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		res := srv.Anonymous().MustDo(t, http.MethodGet, v3+"/login", nil, http.StatusOK)
		flows, _ := res["flows"].([]any)
		if len(flows) == 0 || flows[0].(map[string]any)["type"] != "m.login.password" {
			t.Errorf("flows %v", res)
		}
	})
}

func TestLoginWithPasswordGivesAWorkingToken(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		for _, tt := range []struct {
			name string
			body map[string]any
		}{
			{"by localpart", map[string]any{"identifier": map[string]any{"type": "m.id.user", "user": "alice"}}},
			{"by user ID", map[string]any{"identifier": map[string]any{"type": "m.id.user", "user": alice.UserID}}},
			{"by mixed-case localpart", map[string]any{"identifier": map[string]any{"type": "m.id.user", "user": "Alice"}}},
			{"by the legacy user field", map[string]any{"user": "alice"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				body := map[string]any{"type": "m.login.password", "password": "password-alice", "initial_device_display_name": "phone"}
				for k, v := range tt.body {
					body[k] = v
				}
				res := srv.Anonymous().MustDo(t, http.MethodPost, r0+"/login", body, http.StatusOK)
				if res["user_id"] != alice.UserID || res["home_server"] != "test.ocomms.local" || res["device_id"] == "" {
					t.Fatalf("login %v", res)
				}
				if _, ok := res["refresh_token"]; ok {
					t.Error("refresh token without asking")
				}
				c := srv.Anonymous()
				c.AccessToken = res["access_token"].(string)
				who := c.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
				if who["device_id"] != res["device_id"] {
					t.Errorf("whoami %v", who)
				}
			})
		}
	})
}

func TestLoginRefusesBadCredentials(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		srv.NewUser(t, "alice")
		anon := srv.Anonymous()
		password := func(user any, pw any) map[string]any {
			return map[string]any{"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": user}, "password": pw}
		}
		tests := []struct {
			name   string
			body   any
			status int
			code   string
		}{
			{"a wrong password is forbidden", password("alice", "nope"), 403, "M_FORBIDDEN"},
			{"an unknown user is forbidden", password("nobody", "nope"), 403, "M_FORBIDDEN"},
			{"a user of another server is forbidden", password("@alice:elsewhere.example", "password-alice"), 403, "M_FORBIDDEN"},
			{"a missing password is a missing parameter", map[string]any{"type": "m.login.password", "user": "alice"}, 400, "M_MISSING_PARAM"},
			{"a password that is not a string is bad JSON", password("alice", 12), 400, "M_BAD_JSON"},
			{"an unknown login type is refused", map[string]any{"type": "m.login.magic"}, 400, "M_UNKNOWN"},
			{"a third-party identifier is refused", map[string]any{"type": "m.login.password", "identifier": map[string]any{"type": "m.id.thirdparty", "medium": "email"}, "password": "x"}, 400, "M_UNKNOWN"},
			{"a body that is not JSON is M_NOT_JSON", "{", 400, "M_NOT_JSON"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, anon.Do(t, http.MethodPost, v3+"/login", tt.body), tt.status, tt.code)
			})
		}
	})
}

func TestLoginWithAnExistingDeviceIDRevokesItsOldToken(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		again := login(t, srv, "alice", "password-alice", map[string]any{"device_id": alice.DeviceID})
		if again.DeviceID != alice.DeviceID {
			t.Fatalf("device %q, want %q", again.DeviceID, alice.DeviceID)
		}
		wantError(t, alice.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")
		again.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
	})
}

func TestRequestsWithoutAValidTokenAreUnauthorized(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		wantError(t, anon.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_MISSING_TOKEN")
		anon.AccessToken = "ocm_not-a-token"
		resp := anon.Do(t, http.MethodGet, v3+"/account/whoami", nil)
		wantError(t, resp, 401, "M_UNKNOWN_TOKEN")
		if resp.Map(t)["soft_logout"] != false {
			t.Errorf("soft_logout for a token never issued: %s", resp.Body)
		}
	})
}

func TestLogoutEndsTheSessionAndLogoutAllEndsEvery(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		second := login(t, srv, "alice", "password-alice", nil)
		third := login(t, srv, "alice", "password-alice", nil)
		alice.MustDo(t, http.MethodPost, v3+"/logout", map[string]any{}, http.StatusOK)
		wantError(t, alice.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")
		second.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
		second.MustDo(t, http.MethodPost, v3+"/logout/all", map[string]any{}, http.StatusOK)
		for i, c := range []*testserver.Client{second, third} {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				wantError(t, c.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")
			})
		}
	})
}

func TestLogoutRefusesMissingAndEndedTokens(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		loggedOut := login(t, srv, "alice", "password-alice", nil)
		loggedOut.MustDo(t, http.MethodPost, v3+"/logout", map[string]any{}, http.StatusOK)
		// logout/all ends every session of its user: bob's, not alice's.
		srv.NewUser(t, "bob")
		allOut := login(t, srv, "bob", "password-bob", nil)
		allOut.MustDo(t, http.MethodPost, v3+"/logout/all", map[string]any{}, http.StatusOK)
		bogus := srv.Anonymous()
		bogus.AccessToken = "ocm_not-a-token"
		tests := []struct {
			name   string
			client *testserver.Client
			status int
			code   string
		}{
			{"without a token", srv.Anonymous(), 401, "M_MISSING_TOKEN"},
			{"with a token never issued", bogus, 401, "M_UNKNOWN_TOKEN"},
			{"with a token already logged out", loggedOut, 401, "M_UNKNOWN_TOKEN"},
			{"with a token ended by logout/all", allOut, 401, "M_UNKNOWN_TOKEN"},
		}
		for _, tt := range tests {
			for _, path := range []string{"/logout", "/logout/all"} {
				t.Run(path+" "+tt.name, func(t *testing.T) {
					wantError(t, tt.client.Do(t, http.MethodPost, v3+path, map[string]any{}), tt.status, tt.code)
				})
			}
		}
		// A refused logout ended nothing.
		alice.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
	})
}
