package accounts_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

func openRegistration(c *config.Config) { c.Registration.Enabled = true }

// session starts a registration and returns the UIA session ID.
func uiaSession(t *testing.T, c *testserver.Client, method, path string, body map[string]any) (string, map[string]any) {
	t.Helper()
	res := c.MustDo(t, method, path, body, http.StatusUnauthorized)
	s, _ := res["session"].(string)
	if s == "" {
		t.Fatalf("no UIA session: %v", res)
	}
	if _, ok := res["errcode"]; ok {
		t.Errorf("first UIA answer carries an error: %v", res)
	}
	return s, res
}

func TestRegistrationWithDummyAuthCreatesALoggedInUser(t *testing.T) {
	start(t, openRegistration, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		body := map[string]any{"username": "Alice", "password": "secret", "initial_device_display_name": "laptop"}
		session, res := uiaSession(t, anon, http.MethodPost, v3+"/register", body)
		flows := res["flows"].([]any)
		if stages := flows[0].(map[string]any)["stages"].([]any); len(stages) != 1 || stages[0] != "m.login.dummy" {
			t.Fatalf("flows %v", flows)
		}
		body["auth"] = map[string]any{"type": "m.login.dummy", "session": session}
		done := anon.MustDo(t, http.MethodPost, v3+"/register", body, http.StatusOK)
		if done["user_id"] != "@alice:test.ocomms.local" || done["access_token"] == "" || done["device_id"] == "" {
			t.Fatalf("registered %v", done)
		}
		me := login(t, srv, "alice", "secret", nil)
		devices := me.MustDo(t, http.MethodGet, v3+"/devices", nil, http.StatusOK)["devices"].([]any)
		var names []any
		for _, d := range devices {
			names = append(names, d.(map[string]any)["display_name"])
		}
		if len(devices) != 2 || (names[0] != "laptop" && names[1] != "laptop") {
			t.Errorf("devices %v", devices)
		}
		// The session was spent by the registration.
		body["username"] = "alice2"
		wantError(t, anon.Do(t, http.MethodPost, v3+"/register", body), 400, "M_UNKNOWN")
	})
}

func TestRegistrationInOneRequestWithInhibitLogin(t *testing.T) {
	start(t, openRegistration, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		res := srv.Anonymous().MustDo(t, http.MethodPost, r0+"/register", map[string]any{
			"username": "bob", "password": "pw", "inhibit_login": true, "auth": map[string]any{"type": "m.login.dummy"},
		}, http.StatusOK)
		if res["user_id"] != "@bob:test.ocomms.local" {
			t.Fatalf("registered %v", res)
		}
		if _, ok := res["access_token"]; ok {
			t.Errorf("inhibit_login still logged in: %v", res)
		}
	})
}

func TestRegistrationWithoutUsernameGeneratesOne(t *testing.T) {
	start(t, openRegistration, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/register", map[string]any{
			"password": "pw", "device_id": "MYDEVICE", "auth": map[string]any{"type": "m.login.dummy"},
		}, http.StatusOK)
		if id, _ := res["user_id"].(string); id == "" || res["device_id"] != "MYDEVICE" {
			t.Fatalf("registered %v", res)
		}
	})
}

func TestRegistrationRefusesBadRequests(t *testing.T) {
	start(t, openRegistration, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		srv.NewUser(t, "taken")
		anon := srv.Anonymous()
		dummy := map[string]any{"type": "m.login.dummy"}
		tests := []struct {
			name   string
			path   string
			body   any
			status int
			code   string
		}{
			{"a taken username", "/register", map[string]any{"username": "taken", "password": "pw"}, 400, "M_USER_IN_USE"},
			{"a taken username in other case", "/register", map[string]any{"username": "TAKEN", "password": "pw"}, 400, "M_USER_IN_USE"},
			{"a username with a space", "/register", map[string]any{"username": "a b", "password": "pw"}, 400, "M_INVALID_USERNAME"},
			{"a numeric username", "/register", map[string]any{"username": "12345", "password": "pw"}, 400, "M_INVALID_USERNAME"},
			{"a username starting with an underscore", "/register", map[string]any{"username": "_bridge", "password": "pw"}, 400, "M_INVALID_USERNAME"},
			{"a username too long for a user ID", "/register", map[string]any{"username": string(make([]byte, 0)) + longName(240), "password": "pw"}, 400, "M_INVALID_USERNAME"},
			{"an empty password", "/register", map[string]any{"username": "newbie", "password": ""}, 400, "M_INVALID_PARAM"},
			{"a missing password", "/register", map[string]any{"username": "newbie", "auth": dummy}, 400, "M_MISSING_PARAM"},
			{"a username that is not a string", "/register", map[string]any{"username": 5, "password": "pw"}, 400, "M_BAD_JSON"},
			{"a body that is not JSON", "/register", "nope", 400, "M_NOT_JSON"},
			{"an unknown kind", "/register?kind=robot", map[string]any{}, 400, "M_INVALID_PARAM"},
			{"guest registration while guests are off", "/register?kind=guest", map[string]any{}, 403, "M_FORBIDDEN"},
			{"an unknown UIA session", "/register", map[string]any{"username": "newbie", "password": "pw", "auth": map[string]any{"type": "m.login.dummy", "session": "nope"}}, 400, "M_UNKNOWN"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, anon.Do(t, http.MethodPost, v3+tt.path, tt.body), tt.status, tt.code)
			})
		}
	})
}

func longName(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

func TestRegistrationIsForbiddenWhenClosed(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		wantError(t, anon.Do(t, http.MethodPost, v3+"/register", map[string]any{"username": "x", "password": "pw"}), 403, "M_FORBIDDEN")
		wantError(t, anon.Do(t, http.MethodGet, v3+"/register/available?username=x", nil), 403, "M_FORBIDDEN")
		wantError(t, anon.Do(t, http.MethodGet, "/_matrix/client/v1/register/m.login.registration_token/validity?token=x", nil), 403, "M_FORBIDDEN")
	})
}

func TestUsernameAvailability(t *testing.T) {
	start(t, openRegistration, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		srv.NewUser(t, "taken")
		anon := srv.Anonymous()
		if res := anon.MustDo(t, http.MethodGet, v3+"/register/available?username=free", nil, http.StatusOK); res["available"] != true {
			t.Errorf("available %v", res)
		}
		wantError(t, anon.Do(t, http.MethodGet, v3+"/register/available?username=taken", nil), 400, "M_USER_IN_USE")
		wantError(t, anon.Do(t, http.MethodGet, v3+"/register/available?username=no%20spaces", nil), 400, "M_INVALID_USERNAME")
		wantError(t, anon.Do(t, http.MethodGet, v3+"/register/available", nil), 400, "M_MISSING_PARAM")
	})
}

func TestGuestRegistration(t *testing.T) {
	start(t, func(c *config.Config) { c.Registration.GuestAccess = true }, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/register?kind=guest", map[string]any{}, http.StatusOK)
		guest := srv.Anonymous()
		guest.AccessToken, _ = res["access_token"].(string)
		who := guest.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
		if who["is_guest"] != true || who["user_id"] != res["user_id"] {
			t.Errorf("whoami %v for %v", who, res)
		}
		wantError(t, guest.Do(t, http.MethodPost, v3+"/account/password", map[string]any{"new_password": "x"}), 403, "M_GUEST_ACCESS_FORBIDDEN")
	})
}

// registrationLimitedTo opens registration with a burst of n that does
// not refill during a test.
func registrationLimitedTo(n int) func(*config.Config) {
	return func(c *config.Config) {
		c.Registration.Enabled = true
		c.RateLimits.Register = config.RateLimit{PerSecond: 0.001, Burst: n}
	}
}

func TestRegistrationIsRateLimitedPerAddress(t *testing.T) {
	start(t, registrationLimitedTo(1), func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		register := func(name string) *testserver.ClientResponse {
			return anon.Do(t, http.MethodPost, v3+"/register", map[string]any{"username": name, "password": "pw", "auth": map[string]any{"type": "m.login.dummy"}})
		}
		if resp := register("first"); resp.Status != http.StatusOK {
			t.Fatalf("first registration: %d %s", resp.Status, resp.Body)
		}
		resp := register("second")
		wantError(t, resp, 429, "M_LIMIT_EXCEEDED")
		if ms, _ := resp.Map(t)["retry_after_ms"].(float64); ms <= 0 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("no retry advice: %s, Retry-After %q", resp.Body, resp.Header.Get("Retry-After"))
		}
	})
}

func TestConcurrentRegistrationsCannotExceedTheBurst(t *testing.T) {
	const burst = 3
	start(t, registrationLimitedTo(burst), func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		resps := testserver.Concurrently(t, 20, func(i int) *testserver.ClientResponse {
			return anon.Do(t, http.MethodPost, v3+"/register", map[string]any{
				"username": "flood" + strconv.Itoa(i), "password": "pw", "auth": map[string]any{"type": "m.login.dummy"},
			})
		})
		testserver.RequireRateLimited(t, resps, burst)
	})
}

// Only registrations that succeed count (README): a UIA round trip or a
// refused request gives its token back.
func TestRegistrationRateCountsOnlySuccesses(t *testing.T) {
	start(t, registrationLimitedTo(1), func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		register := func(body map[string]any) *testserver.ClientResponse {
			return anon.Do(t, http.MethodPost, v3+"/register", body)
		}
		dummy := map[string]any{"type": "m.login.dummy"}
		for range 3 {
			if resp := register(map[string]any{"username": "uia", "password": "pw"}); resp.Status != http.StatusUnauthorized {
				t.Fatalf("UIA challenge: %d %s", resp.Status, resp.Body)
			}
			wantError(t, register(map[string]any{"username": "bad name", "password": "pw", "auth": dummy}), 400, "M_INVALID_USERNAME")
		}
		if resp := register(map[string]any{"username": "first", "password": "pw", "auth": dummy}); resp.Status != http.StatusOK {
			t.Fatalf("registration after uncounted requests: %d %s", resp.Status, resp.Body)
		}
		wantError(t, register(map[string]any{"username": "second", "password": "pw", "auth": dummy}), 429, "M_LIMIT_EXCEEDED")
	})
}
