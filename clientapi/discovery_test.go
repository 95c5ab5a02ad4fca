package clientapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/spec/roomversion"
)

func TestVersionsAdvertisesR0ToV1_11(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")
		// v1.10 lets /versions take authentication; a client sending its
		// token (even a stale one) gets the same answer.
		stale := *alice
		stale.AccessToken = "syt_not_a_token"
		for _, c := range []struct {
			name   string
			client *testserver.Client
		}{{"anonymous", srv.Anonymous()}, {"authenticated", alice}, {"unknown token", &stale}} {
			t.Run(c.name, func(t *testing.T) {
				res := c.client.MustDo(t, http.MethodGet, "/_matrix/client/versions", nil, http.StatusOK)
				var versions []string
				for _, v := range res["versions"].([]any) {
					versions = append(versions, v.(string))
				}
				want := []string{"r0.0.1", "r0.5.0", "r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12", "v1.13", "v1.14", "v1.15", "v1.16", "v1.17", "v1.18"}
				for _, w := range want {
					if !slices.Contains(versions, w) {
						t.Errorf("versions %v lack %s", versions, w)
					}
				}
				if slices.Contains(versions, "v1.19") {
					t.Errorf("versions %v claim v1.19, which is not checked through", versions)
				}
				features, ok := res["unstable_features"].(map[string]any)
				if !ok {
					t.Fatalf("unstable_features is not an object: %v", res)
				}
				// Clients use authenticated media from this flag below v1.11.
				if features["org.matrix.msc3916.stable"] != true {
					t.Errorf("unstable_features %v lack org.matrix.msc3916.stable", features)
				}
			})
		}
		// Endpoints of those versions in modules we do not host answer as
		// unknown endpoints.
		for _, path := range []string{"/_matrix/client/v1/appservice/as1/ping", "/.well-known/matrix/support"} {
			method := http.MethodGet
			if strings.HasSuffix(path, "/ping") {
				method = http.MethodPost
			}
			resp := alice.Do(t, method, path, map[string]any{})
			if resp.Status != http.StatusNotFound {
				t.Errorf("%s %s: %d %s, want 404", method, path, resp.Status, resp.Body)
			}
		}
	})
}

func TestCapabilitiesDescribeTheConfiguration(t *testing.T) {
	cfg := testserver.Config(t, testserver.Backends()[0])
	cfg.Rooms.DefaultVersion = "9"
	srv := testserver.Start(t, cfg)

	resp := srv.Anonymous().Do(t, http.MethodGet, "/_matrix/client/v3/capabilities", nil)
	if resp.Status != http.StatusUnauthorized || resp.Errcode() != "M_MISSING_TOKEN" {
		t.Fatalf("anonymous capabilities: %d %s", resp.Status, resp.Body)
	}

	alice := srv.NewUser(t, "alice")
	caps := alice.MustDo(t, http.MethodGet, "/_matrix/client/v3/capabilities", nil, http.StatusOK)["capabilities"].(map[string]any)
	for key, want := range map[string]bool{
		"m.change_password": true, "m.set_displayname": true, "m.set_avatar_url": true,
		"m.3pid_changes": false, "m.get_login_token": false, "m.profile_fields": true,
	} {
		c, _ := caps[key].(map[string]any)
		if got, ok := c["enabled"].(bool); !ok || got != want {
			t.Errorf("%s = %v, want enabled %v", key, caps[key], want)
		}
	}
	rv := caps["m.room_versions"].(map[string]any)
	if rv["default"] != "9" {
		t.Errorf("default room version %v, want 9", rv["default"])
	}
	available := rv["available"].(map[string]any)
	for _, v := range roomversion.All() {
		if available[string(v.ID)] != string(v.Stability) {
			t.Errorf("room version %s: %v, want %s", v.ID, available[string(v.ID)], v.Stability)
		}
	}
}

func TestWellKnownServedOnlyWhenConfigured(t *testing.T) {
	b := testserver.Backends()[0]
	unset := testserver.Start(t, testserver.Config(t, b))
	for _, path := range []string{"/.well-known/matrix/client", "/.well-known/matrix/server"} {
		resp := unset.Anonymous().Do(t, http.MethodGet, path, nil)
		if resp.Status != http.StatusNotFound || resp.Errcode() != "M_NOT_FOUND" {
			t.Errorf("unconfigured %s: %d %s, want 404 M_NOT_FOUND", path, resp.Status, resp.Body)
		}
	}

	cfg := testserver.Config(t, b)
	cfg.WellKnown.ClientBaseURL = "https://matrix.example.org"
	cfg.WellKnown.Server = "matrix.example.org:443"
	srv := testserver.Start(t, cfg)
	tests := []struct {
		path, key string
		want      any
	}{
		{"/.well-known/matrix/client", "m.homeserver", map[string]any{"base_url": "https://matrix.example.org"}},
		{"/.well-known/matrix/server", "m.server", "matrix.example.org:443"},
	}
	for _, tt := range tests {
		resp := srv.Anonymous().Do(t, http.MethodGet, tt.path, nil)
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", tt.path, resp.Status, resp.Body)
		}
		if got := resp.Map(t)[tt.key]; !equalJSON(got, tt.want) {
			t.Errorf("%s: %s = %v, want %v", tt.path, tt.key, got, tt.want)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s lacks CORS headers: %v", tt.path, resp.Header)
		}
	}
}

func equalJSON(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k, v := range am {
			if !equalJSON(v, bm[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// The OAuth 2.0 API is not served; the spec has servers without it answer
// its discovery endpoint 404 M_UNRECOGNIZED, so clients use the legacy API.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1auth_metadata
func TestAuthMetadataIsUnrecognized(t *testing.T) {
	srv := testserver.Start(t, testserver.Config(t, testserver.Backends()[0]))
	alice := srv.NewUser(t, "alice")
	for _, c := range []*testserver.Client{srv.Anonymous(), alice} {
		resp := c.Do(t, http.MethodGet, "/_matrix/client/v1/auth_metadata", nil)
		if resp.Status != http.StatusNotFound || resp.Errcode() != "M_UNRECOGNIZED" {
			t.Fatalf("auth_metadata: %d %s", resp.Status, resp.Body)
		}
	}
}
