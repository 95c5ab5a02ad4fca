package accounts_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

func TestSharedSecretRegistrationCreatesAUserWhoCanUseTheToken(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		if alice.UserID != "@alice:test.ocomms.local" || alice.DeviceID == "" {
			t.Fatalf("registered %q device %q", alice.UserID, alice.DeviceID)
		}
		who := alice.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
		if who["user_id"] != alice.UserID || who["device_id"] != alice.DeviceID || who["is_guest"] != false {
			t.Errorf("whoami %v", who)
		}
		admin := srv.NewAdmin(t, "root")
		if admin.AccessToken == alice.AccessToken {
			t.Error("two registrations share a token")
		}
	})
}

func TestSharedSecretRegistrationRefusesBadRequests(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		tests := []struct {
			name   string
			body   func(nonce string) any
			status int
			code   string
		}{
			{"a wrong MAC is forbidden", func(n string) any {
				return map[string]any{"nonce": n, "username": "bob", "password": "pw", "mac": sharedSecretMAC("wrong-secret-wrong", n, "bob", "pw", false)}
			}, 403, "M_FORBIDDEN"},
			{"a MAC for another role is forbidden", func(n string) any {
				return map[string]any{"nonce": n, "username": "bob", "password": "pw", "admin": true, "mac": sharedSecretMAC(testserver.SharedSecret, n, "bob", "pw", false)}
			}, 403, "M_FORBIDDEN"},
			{"an unknown nonce is refused", func(string) any {
				return map[string]any{"nonce": "made-up", "username": "bob", "password": "pw", "mac": sharedSecretMAC(testserver.SharedSecret, "made-up", "bob", "pw", false)}
			}, 400, "M_UNKNOWN"},
			{"a missing nonce is bad JSON", func(string) any {
				return map[string]any{"username": "bob", "password": "pw", "mac": "00"}
			}, 400, "M_BAD_JSON"},
			{"a missing MAC is bad JSON", func(n string) any {
				return map[string]any{"nonce": n, "username": "bob", "password": "pw"}
			}, 400, "M_BAD_JSON"},
			{"a username that is not a string is invalid", func(n string) any {
				return map[string]any{"nonce": n, "username": 7, "password": "pw", "mac": "00"}
			}, 400, "M_INVALID_PARAM"},
			{"an empty password is invalid", func(n string) any {
				return map[string]any{"nonce": n, "username": "bob", "password": "", "mac": "00"}
			}, 400, "M_INVALID_PARAM"},
			{"a username with forbidden characters is invalid", func(n string) any {
				return map[string]any{"nonce": n, "username": "bob smith", "password": "pw", "mac": sharedSecretMAC(testserver.SharedSecret, n, "bob smith", "pw", false)}
			}, 400, "M_INVALID_USERNAME"},
			{"a body that is not JSON is M_NOT_JSON", func(string) any { return "{nope" }, 400, "M_NOT_JSON"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, anon.Do(t, http.MethodPost, "/_synapse/admin/v1/register", tt.body(nonce(t, anon))), tt.status, tt.code)
			})
		}
	})
}

func TestSharedSecretNonceIsSingleUse(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		anon := srv.Anonymous()
		n := nonce(t, anon)
		body := map[string]any{"nonce": n, "username": "carol", "password": "pw", "mac": sharedSecretMAC(testserver.SharedSecret, n, "carol", "pw", false)}
		anon.MustDo(t, http.MethodPost, "/_synapse/admin/v1/register", body, http.StatusOK)
		wantError(t, anon.Do(t, http.MethodPost, "/_synapse/admin/v1/register", body), 400, "M_UNKNOWN")
	})
}

func TestSharedSecretRegistrationOfATakenNameIsUserInUse(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		srv.NewUser(t, "dave")
		anon := srv.Anonymous()
		n := nonce(t, anon)
		body := map[string]any{"nonce": n, "username": "dave", "password": "pw", "mac": sharedSecretMAC(testserver.SharedSecret, n, "dave", "pw", false)}
		wantError(t, anon.Do(t, http.MethodPost, "/_synapse/admin/v1/register", body), 400, "M_USER_IN_USE")
	})
}

func TestSharedSecretRegistrationIsOffWithoutASecret(t *testing.T) {
	start(t, func(c *config.Config) { c.Registration.SharedSecret = "" }, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		wantError(t, srv.Anonymous().Do(t, http.MethodGet, "/_synapse/admin/v1/register", nil), 400, "M_UNKNOWN")
		wantError(t, srv.Anonymous().Do(t, http.MethodPost, "/_synapse/admin/v1/register", map[string]any{}), 400, "M_UNKNOWN")
	})
}
