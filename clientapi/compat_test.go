package clientapi_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

const v3 = "/_matrix/client/v3"

func wantError(t *testing.T, resp *testserver.ClientResponse, status int, errcode string) {
	t.Helper()
	if resp.Status != status || resp.Errcode() != errcode {
		t.Fatalf("got %d %s, want %d %s", resp.Status, resp.Body, status, errcode)
	}
}

// newGuest registers a guest account on a server that allows them.
func newGuest(t *testing.T, srv *testserver.Server) *testserver.Client {
	t.Helper()
	res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/register?kind=guest", map[string]any{}, http.StatusOK)
	guest := srv.Anonymous()
	guest.UserID, _ = res["user_id"].(string)
	guest.AccessToken, _ = res["access_token"].(string)
	return guest
}

func TestTurnServerWithoutConfigurationIsNotFound(t *testing.T) {
	srv := testserver.Start(t, testserver.Config(t, testserver.Backends()[0]))
	wantError(t, srv.Anonymous().Do(t, http.MethodGet, v3+"/voip/turnServer", nil), 401, "M_MISSING_TOKEN")
	alice := srv.NewUser(t, "alice")
	for _, v := range []string{"r0", "v3"} {
		wantError(t, alice.Do(t, http.MethodGet, "/_matrix/client/"+v+"/voip/turnServer", nil), 404, "M_NOT_FOUND")
	}
}

func TestTurnServerHandsOutSharedSecretCredentials(t *testing.T) {
	cfg := testserver.Config(t, testserver.Backends()[0])
	cfg.Registration.GuestAccess = true
	cfg.TURN = config.TURN{
		URIs:         []string{"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"},
		SharedSecret: "coturn-static-auth-secret",
		UserLifetime: 2 * time.Hour,
		AllowGuests:  false,
	}
	srv := testserver.Start(t, cfg)
	alice := srv.NewUser(t, "alice")

	before := time.Now().Unix()
	var got struct {
		Username, Password string
		URIs               []string
		TTL                int64
	}
	alice.Do(t, http.MethodGet, v3+"/voip/turnServer", nil).JSON(t, &got)
	expiry, user, ok := strings.Cut(got.Username, ":")
	if !ok || user != alice.UserID {
		t.Fatalf("username %q is not <expiry>:%s", got.Username, alice.UserID)
	}
	exp, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || exp < before+7200 || exp > time.Now().Unix()+7200 {
		t.Errorf("expiry %q is not two hours from now", expiry)
	}
	mac := hmac.New(sha1.New, []byte(cfg.TURN.SharedSecret))
	mac.Write([]byte(got.Username))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got.Password != want {
		t.Errorf("password %q, want the HMAC-SHA1 of the username %q", got.Password, want)
	}
	if got.TTL != 7200 || !slices.Equal(got.URIs, cfg.TURN.URIs) {
		t.Errorf("ttl %d uris %v, want 7200 %v", got.TTL, got.URIs, cfg.TURN.URIs)
	}

	wantError(t, newGuest(t, srv).Do(t, http.MethodGet, v3+"/voip/turnServer", nil), 403, "M_FORBIDDEN")
}

func TestTurnServerHandsOutStaticCredentials(t *testing.T) {
	cfg := testserver.Config(t, testserver.Backends()[0])
	cfg.Registration.GuestAccess = true
	cfg.TURN = config.TURN{URIs: []string{"turn:10.0.0.5:3478"}, Username: "ocomms", Password: "s3cret",
		UserLifetime: time.Hour, AllowGuests: true}
	srv := testserver.Start(t, cfg)
	for name, c := range map[string]*testserver.Client{"user": srv.NewUser(t, "alice"), "guest": newGuest(t, srv)} {
		res := c.MustDo(t, http.MethodGet, v3+"/voip/turnServer", nil, http.StatusOK)
		if res["username"] != "ocomms" || res["password"] != "s3cret" || res["ttl"] != 3600.0 {
			t.Errorf("%s: %v, want the configured credentials with ttl 3600", name, res)
		}
	}
}

func TestThirdPartyLookupsFindNothingWithoutBridges(t *testing.T) {
	srv := testserver.Start(t, testserver.Config(t, testserver.Backends()[0]))
	alice := srv.NewUser(t, "alice")
	for _, v := range []string{"r0", "v3"} {
		res := alice.Do(t, http.MethodGet, "/_matrix/client/"+v+"/thirdparty/protocols", nil)
		if res.Status != http.StatusOK || len(res.Map(t)) != 0 {
			t.Errorf("%s protocols: %d %s, want 200 {}", v, res.Status, res.Body)
		}
	}
	tests := []struct {
		name, path string
		status     int
		errcode    string
	}{
		{"an unknown protocol", "/thirdparty/protocol/irc", 404, "M_NOT_FOUND"},
		{"locations of an unknown protocol", "/thirdparty/location/irc?searchFields=x", 404, "M_NOT_FOUND"},
		{"users of an unknown protocol", "/thirdparty/user/irc", 404, "M_NOT_FOUND"},
		{"the location of an alias", "/thirdparty/location?alias=%23room:test.ocomms.local", 404, "M_NOT_FOUND"},
		{"the third-party user of a user", "/thirdparty/user?userid=%40bob:test.ocomms.local", 404, "M_NOT_FOUND"},
		{"a location without alias", "/thirdparty/location", 400, "M_MISSING_PARAM"},
		{"a user without userid", "/thirdparty/user", 400, "M_MISSING_PARAM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, alice.Do(t, http.MethodGet, v3+tt.path, nil), tt.status, tt.errcode)
		})
	}
	wantError(t, srv.Anonymous().Do(t, http.MethodGet, v3+"/thirdparty/protocols", nil), 401, "M_MISSING_TOKEN")
}

func TestThreePIDEndpointsTellTheyAreNotSupported(t *testing.T) {
	cfg := testserver.Config(t, testserver.Backends()[0])
	cfg.Registration.GuestAccess = true
	srv := testserver.Start(t, cfg)
	alice := srv.NewUser(t, "alice")
	anon := srv.Anonymous()

	res := alice.MustDo(t, http.MethodGet, v3+"/account/3pid", nil, http.StatusOK)
	if list, ok := res["threepids"].([]any); !ok || len(list) != 0 {
		t.Errorf("threepids %v, want []", res)
	}
	unbind := alice.MustDo(t, http.MethodPost, v3+"/account/3pid/unbind", map[string]any{"medium": "email", "address": "a@example.org"}, http.StatusOK)
	if unbind["id_server_unbind_result"] != "no-support" {
		t.Errorf("unbind without id_server: %v, want no-support", unbind)
	}

	email := map[string]any{"client_secret": "d0nt-T3ll", "email": "a@example.org", "send_attempt": 1}
	phone := map[string]any{"client_secret": "d0nt-T3ll", "country": "GB", "phone_number": "07700900001", "send_attempt": 1}
	tests := []struct {
		name    string
		c       *testserver.Client
		path    string
		body    any
		status  int
		errcode string
	}{
		{"adding a 3pid", alice, "/account/3pid/add", map[string]any{"client_secret": "s", "sid": "1"}, 400, "M_FORBIDDEN"},
		{"adding a 3pid the deprecated way", alice, "/account/3pid", map[string]any{"three_pid_creds": map[string]any{}}, 400, "M_FORBIDDEN"},
		{"adding a 3pid without sid", alice, "/account/3pid/add", map[string]any{"client_secret": "s"}, 400, "M_MISSING_PARAM"},
		{"deleting a 3pid", alice, "/account/3pid/delete", map[string]any{"medium": "email", "address": "a@example.org"}, 400, "M_FORBIDDEN"},
		{"deleting a 3pid of an unknown medium", alice, "/account/3pid/delete", map[string]any{"medium": "fax", "address": "1"}, 400, "M_INVALID_PARAM"},
		{"binding through an identity server", alice, "/account/3pid/bind",
			map[string]any{"client_secret": "s", "sid": "1", "id_server": "id.example.org", "id_access_token": "t"}, 400, "M_SERVER_NOT_TRUSTED"},
		{"binding without id_access_token", alice, "/account/3pid/bind", map[string]any{"client_secret": "s", "sid": "1", "id_server": "id.example.org"}, 400, "M_MISSING_PARAM"},
		{"unbinding from an identity server", alice, "/account/3pid/unbind",
			map[string]any{"medium": "email", "address": "a@example.org", "id_server": "id.example.org"}, 400, "M_SERVER_NOT_TRUSTED"},
		{"unbinding without address", alice, "/account/3pid/unbind", map[string]any{"medium": "email"}, 400, "M_MISSING_PARAM"},
		{"validating an email to add", alice, "/account/3pid/email/requestToken", email, 400, "M_THREEPID_MEDIUM_NOT_SUPPORTED"},
		{"validating a phone number to add", alice, "/account/3pid/msisdn/requestToken", phone, 400, "M_THREEPID_MEDIUM_NOT_SUPPORTED"},
		{"validating an email without send_attempt", alice, "/account/3pid/email/requestToken", map[string]any{"client_secret": "s", "email": "a@example.org"}, 400, "M_MISSING_PARAM"},
		{"a body that is not JSON", alice, "/account/3pid/add", "{", 400, "M_NOT_JSON"},
		{"adding a 3pid anonymously", anon, "/account/3pid/add", map[string]any{"client_secret": "s", "sid": "1"}, 401, "M_MISSING_TOKEN"},
		{"adding a 3pid as a guest", newGuest(t, srv), "/account/3pid/add", map[string]any{"client_secret": "s", "sid": "1"}, 403, "M_GUEST_ACCESS_FORBIDDEN"},
		{"registering with an email", anon, "/register/email/requestToken", email, 403, "M_THREEPID_DENIED"},
		{"registering with a phone number", anon, "/register/msisdn/requestToken", phone, 403, "M_THREEPID_DENIED"},
		{"registering with a phone number without country", anon, "/register/msisdn/requestToken", map[string]any{"client_secret": "s", "phone_number": "1", "send_attempt": 1}, 400, "M_MISSING_PARAM"},
		{"resetting a password by email", anon, "/account/password/email/requestToken", email, 403, "M_THREEPID_DENIED"},
		{"resetting a password by phone", anon, "/account/password/msisdn/requestToken", phone, 403, "M_THREEPID_DENIED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.c.Do(t, http.MethodPost, v3+tt.path, tt.body), tt.status, tt.errcode)
		})
	}
	wantError(t, alice.Do(t, http.MethodGet, "/_matrix/client/r0/account/3pid", nil), 200, "")
}
