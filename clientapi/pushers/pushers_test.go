package pushers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

const gw = "https://push.example.org/_matrix/push/v1/notify"

func TestPushersSetGetReplaceAppendDelete(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		if got := pushers(t, alice); len(got) != 0 {
			t.Fatalf("a new user has pushers: %v", got)
		}
		p := httpPusher(gw, "key-1", map[string]any{"format": "event_id_only", "custom": "x"})
		p["profile_tag"] = "tag"
		alice.MustDo(t, http.MethodPost, v3+"/pushers/set", p, http.StatusOK)
		got := pushers(t, alice)
		if len(got) != 1 {
			t.Fatalf("pushers = %v", got)
		}
		g := got[0]
		data, _ := g["data"].(map[string]any)
		if g["kind"] != "http" || g["app_id"] != "org.example.app" || g["pushkey"] != "key-1" || g["app_display_name"] != "Example" ||
			g["device_display_name"] != "Phone" || g["lang"] != "en" || g["profile_tag"] != "tag" ||
			data["url"] != gw || data["format"] != "event_id_only" || data["custom"] != "x" {
			t.Errorf("pusher = %v", g)
		}

		// The same app_id and pushkey replace the pusher.
		p = httpPusher(gw, "key-1", nil)
		p["device_display_name"] = "New phone"
		alice.MustDo(t, http.MethodPost, v3+"/pushers/set", p, http.StatusOK)
		if got := pushers(t, alice); len(got) != 1 || got[0]["device_display_name"] != "New phone" {
			t.Fatalf("after replacing: %v", got)
		}
		alice.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(gw, "key-2", nil), http.StatusOK)
		if got := pushkeys(t, alice); !slices.Equal(got, []string{"key-1", "key-2"}) {
			t.Fatalf("pushkeys = %v", got)
		}

		// Another user with append keeps alice's pusher of that pushkey;
		// without append the pushkey moves to them.
		p = httpPusher(gw, "key-1", nil)
		p["append"] = true
		bob.MustDo(t, http.MethodPost, v3+"/pushers/set", p, http.StatusOK)
		if got := pushkeys(t, alice); !slices.Equal(got, []string{"key-1", "key-2"}) {
			t.Fatalf("alice's pushkeys after bob appended = %v", got)
		}
		bob.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(gw, "key-2", nil), http.StatusOK)
		if got := pushkeys(t, alice); !slices.Equal(got, []string{"key-1"}) {
			t.Fatalf("alice's pushkeys after bob took key-2 = %v", got)
		}
		if got := pushkeys(t, bob); !slices.Equal(got, []string{"key-1", "key-2"}) {
			t.Fatalf("bob's pushkeys = %v", got)
		}

		// kind null deletes, and deleting a missing pusher is fine.
		for range 2 {
			alice.MustDo(t, http.MethodPost, v3+"/pushers/set", map[string]any{"kind": nil, "app_id": "org.example.app", "pushkey": "key-1"}, http.StatusOK)
		}
		if got := pushers(t, alice); len(got) != 0 {
			t.Fatalf("after deleting: %v", got)
		}
		// The r0 path works too.
		if got := bob.MustDo(t, http.MethodGet, "/_matrix/client/r0/pushers", nil, http.StatusOK); len(got["pushers"].([]any)) != 2 {
			t.Errorf("r0 GET /pushers = %v", got)
		}
	})
}

func TestPushersSetRefusesInvalidPushers(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		with := func(change func(p map[string]any)) map[string]any {
			p := httpPusher(gw, "key", nil)
			change(p)
			return p
		}
		tests := []struct {
			name string
			body map[string]any
			code string
		}{
			{"without kind", with(func(p map[string]any) { delete(p, "kind") }), "M_MISSING_PARAM"},
			{"without app_id", with(func(p map[string]any) { delete(p, "app_id") }), "M_MISSING_PARAM"},
			{"without pushkey", with(func(p map[string]any) { delete(p, "pushkey") }), "M_MISSING_PARAM"},
			{"without lang", with(func(p map[string]any) { delete(p, "lang") }), "M_MISSING_PARAM"},
			{"without data", with(func(p map[string]any) { delete(p, "data") }), "M_MISSING_PARAM"},
			{"without data.url", with(func(p map[string]any) { p["data"] = map[string]any{"format": "event_id_only"} }), "M_MISSING_PARAM"},
			{"of kind email", with(func(p map[string]any) { p["kind"], p["app_id"] = "email", "m.email" }), "M_INVALID_PARAM"},
			{"of an unknown kind", with(func(p map[string]any) { p["kind"] = "carrier-pigeon" }), "M_INVALID_PARAM"},
			{"with a long app_id", with(func(p map[string]any) { p["app_id"] = strings.Repeat("a", 65) }), "M_INVALID_PARAM"},
			{"with a long pushkey", with(func(p map[string]any) { p["pushkey"] = strings.Repeat("k", 513) }), "M_INVALID_PARAM"},
			{"with another path", with(func(p map[string]any) { p["data"] = map[string]any{"url": "https://push.example.org/notify"} }), "M_INVALID_PARAM"},
			{"with an ftp url", with(func(p map[string]any) {
				p["data"] = map[string]any{"url": "ftp://push.example.org/_matrix/push/v1/notify"}
			}), "M_INVALID_PARAM"},
			{"with a relative url", with(func(p map[string]any) { p["data"] = map[string]any{"url": "/_matrix/push/v1/notify"} }), "M_INVALID_PARAM"},
			{"with a number as url", with(func(p map[string]any) { p["data"] = map[string]any{"url": 7} }), "M_INVALID_PARAM"},
			{"with data not an object", with(func(p map[string]any) { p["data"] = "x" }), "M_BAD_JSON"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := alice.Do(t, http.MethodPost, v3+"/pushers/set", tt.body)
				if resp.Status != http.StatusBadRequest || resp.Errcode() != tt.code {
					t.Fatalf("got %d %s (%s), want 400 %s", resp.Status, resp.Errcode(), resp.Body, tt.code)
				}
			})
		}
		if got := pushers(t, alice); len(got) != 0 {
			t.Fatalf("refused pushers were stored: %v", got)
		}
	})
}

func TestPushersSetRefusesPlainHTTPByDefault(t *testing.T) {
	b := testserver.Backends()[0]
	srv := testserver.Start(t, testserver.Config(t, b))
	alice := srv.NewUser(t, "alice")
	resp := alice.Do(t, http.MethodPost, v3+"/pushers/set", httpPusher("http://push.example.org/_matrix/push/v1/notify", "key", nil))
	if resp.Status != http.StatusBadRequest || resp.Errcode() != "M_INVALID_PARAM" {
		t.Fatalf("http gateway: got %d %s", resp.Status, resp.Body)
	}
}

func TestPushersGoWithTheirDevice(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		phone := login(t, srv, alice, "alice")
		tablet := login(t, srv, alice, "alice")
		alice.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(gw, "laptop", nil), http.StatusOK)
		phone.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(gw, "phone", nil), http.StatusOK)
		tablet.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(gw, "tablet", nil), http.StatusOK)

		phone.MustDo(t, http.MethodPost, v3+"/logout", map[string]any{}, http.StatusOK)
		if got := pushkeys(t, alice); !slices.Equal(got, []string{"laptop", "tablet"}) {
			t.Fatalf("after the phone logged out: %v", got)
		}
		// Deleting a device (with the account's password) deletes its pusher.
		alice.MustDo(t, http.MethodPost, v3+"/delete_devices", map[string]any{
			"devices": []string{tablet.DeviceID},
			"auth":    map[string]any{"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": "alice"}, "password": "password-alice"},
		}, http.StatusOK)
		if got := pushkeys(t, alice); !slices.Equal(got, []string{"laptop"}) {
			t.Fatalf("after deleting the tablet: %v", got)
		}
	})
}
