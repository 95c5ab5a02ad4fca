package accountdata_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

const v3 = "/_matrix/client/v3"

func esc(s string) string { return url.PathEscape(s) }

func globalPath(version, userID, evType string) string {
	return "/_matrix/client/" + version + "/user/" + esc(userID) + "/account_data/" + esc(evType)
}

func roomPath(version, userID, roomID, evType string) string {
	return "/_matrix/client/" + version + "/user/" + esc(userID) + "/rooms/" + esc(roomID) + "/account_data/" + esc(evType)
}

func wantError(t *testing.T, resp *testserver.ClientResponse, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Errcode() != code {
		t.Fatalf("got %d %s (%s), want %d %s", resp.Status, resp.Errcode(), resp.Body, status, code)
	}
}

func TestAccountDataIsSetReadAndOverwrittenOnR0AndV3(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")
		const room = "!room:test.ocomms.local"
		for _, version := range []string{"r0", "v3"} {
			t.Run(version, func(t *testing.T) {
				global := globalPath(version, alice.UserID, "org.example."+version)
				perRoom := roomPath(version, alice.UserID, room, "org.example."+version)
				wantError(t, alice.Do(t, http.MethodGet, global, nil), http.StatusNotFound, "M_NOT_FOUND")
				wantError(t, alice.Do(t, http.MethodGet, perRoom, nil), http.StatusNotFound, "M_NOT_FOUND")

				alice.MustDo(t, http.MethodPut, global, map[string]any{"theme": "dark"}, http.StatusOK)
				alice.MustDo(t, http.MethodPut, perRoom, map[string]any{"pinned": true}, http.StatusOK)
				if got := alice.MustDo(t, http.MethodGet, global, nil, http.StatusOK); !reflect.DeepEqual(got, map[string]any{"theme": "dark"}) {
					t.Errorf("global = %v", got)
				}
				if got := alice.MustDo(t, http.MethodGet, perRoom, nil, http.StatusOK); !reflect.DeepEqual(got, map[string]any{"pinned": true}) {
					t.Errorf("room = %v", got)
				}

				// Global and room account data of one type are separate.
				alice.MustDo(t, http.MethodPut, global, map[string]any{"theme": "light", "size": 2}, http.StatusOK)
				if got := alice.MustDo(t, http.MethodGet, global, nil, http.StatusOK); !reflect.DeepEqual(got, map[string]any{"theme": "light", "size": float64(2)}) {
					t.Errorf("overwritten global = %v", got)
				}
				if got := alice.MustDo(t, http.MethodGet, perRoom, nil, http.StatusOK); !reflect.DeepEqual(got, map[string]any{"pinned": true}) {
					t.Errorf("room after the global overwrite = %v", got)
				}
			})
		}
	})
}

func TestAccountDataRefusesWhatTheSpecRefuses(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		cfg.Limits.MaxRequestBodyBytes = 4096
		srv := testserver.Start(t, cfg)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		const room = "!room:test.ocomms.local"
		bob.MustDo(t, http.MethodPut, globalPath("v3", bob.UserID, "org.example"), map[string]any{"a": 1}, http.StatusOK)

		tests := []struct {
			name, method, path string
			body               any
			status             int
			code               string
		}{
			{"reading another user's account data is forbidden", http.MethodGet, globalPath("v3", bob.UserID, "org.example"), nil, 403, "M_FORBIDDEN"},
			{"setting another user's account data is forbidden", http.MethodPut, globalPath("v3", bob.UserID, "org.example"), map[string]any{}, 403, "M_FORBIDDEN"},
			{"setting another user's room account data is forbidden", http.MethodPut, roomPath("v3", bob.UserID, room, "org.example"), map[string]any{}, 403, "M_FORBIDDEN"},
			{"another user's tags are forbidden", http.MethodGet, v3 + "/user/" + esc(bob.UserID) + "/rooms/" + esc(room) + "/tags", nil, 403, "M_FORBIDDEN"},
			{"a body that is not JSON", http.MethodPut, globalPath("v3", alice.UserID, "org.example"), "{not json", 400, "M_NOT_JSON"},
			{"an empty body", http.MethodPut, globalPath("v3", alice.UserID, "org.example"), "", 400, "M_NOT_JSON"},
			{"a JSON array", http.MethodPut, globalPath("v3", alice.UserID, "org.example"), "[1, 2]", 400, "M_BAD_JSON"},
			{"a JSON string", http.MethodPut, roomPath("v3", alice.UserID, room, "org.example"), `"x"`, 400, "M_BAD_JSON"},
			{"m.fully_read is set through read markers", http.MethodPut, roomPath("v3", alice.UserID, room, "m.fully_read"), map[string]any{"event_id": "$x"}, 405, "M_BAD_JSON"},
			{"m.fully_read globally neither", http.MethodPut, globalPath("v3", alice.UserID, "m.fully_read"), map[string]any{}, 405, "M_BAD_JSON"},
			{"m.push_rules is set through push rules", http.MethodPut, globalPath("r0", alice.UserID, "m.push_rules"), map[string]any{}, 405, "M_BAD_JSON"},
			{"a room ID that is not one", http.MethodPut, roomPath("v3", alice.UserID, "@notaroom:test.ocomms.local", "org.example"), map[string]any{}, 400, "M_INVALID_PARAM"},
			{"reading under a room ID that is not one", http.MethodGet, roomPath("v3", alice.UserID, "notaroom", "org.example"), nil, 400, "M_INVALID_PARAM"},
			{"a type longer than 255 bytes", http.MethodPut, globalPath("v3", alice.UserID, strings.Repeat("t", 256)), map[string]any{}, 400, "M_INVALID_PARAM"},
			{"a body over the size limit", http.MethodPut, globalPath("v3", alice.UserID, "org.example"), map[string]any{"x": strings.Repeat("a", 5000)}, 413, "M_TOO_LARGE"},
			{"ignored_users is required", http.MethodPut, globalPath("v3", alice.UserID, "m.ignored_user_list"), map[string]any{}, 400, "M_BAD_JSON"},
			{"ignored_users must be an object", http.MethodPut, globalPath("v3", alice.UserID, "m.ignored_user_list"), map[string]any{"ignored_users": []string{bob.UserID}}, 400, "M_BAD_JSON"},
			{"ignored_users keys are user IDs", http.MethodPut, globalPath("v3", alice.UserID, "m.ignored_user_list"), map[string]any{"ignored_users": map[string]any{"bob": map[string]any{}}}, 400, "M_BAD_JSON"},
			{"ignored_users values are objects", http.MethodPut, globalPath("v3", alice.UserID, "m.ignored_user_list"), map[string]any{"ignored_users": map[string]any{bob.UserID: true}}, 400, "M_BAD_JSON"},
			{"deleting account data is not in the spec", http.MethodDelete, globalPath("v3", alice.UserID, "org.example"), nil, 405, "M_UNRECOGNIZED"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, alice.Do(t, tt.method, tt.path, tt.body), tt.status, tt.code)
			})
		}
		// Nothing refused was stored.
		wantError(t, alice.Do(t, http.MethodGet, globalPath("v3", alice.UserID, "org.example"), nil), 404, "M_NOT_FOUND")
		wantError(t, alice.Do(t, http.MethodGet, globalPath("v3", alice.UserID, "m.ignored_user_list"), nil), 404, "M_NOT_FOUND")
		alice.MustDo(t, http.MethodPut, globalPath("v3", alice.UserID, "m.ignored_user_list"),
			map[string]any{"ignored_users": map[string]any{bob.UserID: map[string]any{}}}, http.StatusOK)
	})
}

func TestGuestsCannotUseAccountData(t *testing.T) {
	cfg := testserver.Config(t, testserver.Backends()[0])
	cfg.Registration.GuestAccess = true
	srv := testserver.Start(t, cfg)
	res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/register?kind=guest", map[string]any{}, http.StatusOK)
	guest := srv.Anonymous()
	guest.UserID, _ = res["user_id"].(string)
	guest.AccessToken, _ = res["access_token"].(string)
	wantError(t, guest.Do(t, http.MethodPut, globalPath("v3", guest.UserID, "org.example"), map[string]any{}), 403, "M_GUEST_ACCESS_FORBIDDEN")
}
