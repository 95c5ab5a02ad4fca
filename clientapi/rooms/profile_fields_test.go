package rooms_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestCustomProfileFields(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		profile := v3 + "/profile/" + esc(alice.UserID)

		t.Run("m.tz and a custom field are set, read and deleted", func(t *testing.T) {
			alice.MustDo(t, http.MethodPut, profile+"/m.tz", map[string]any{"m.tz": "Europe/London"}, http.StatusOK)
			custom := map[string]any{"colour": "blue", "n": 3.0}
			alice.MustDo(t, http.MethodPut, profile+"/org.example.pet", map[string]any{"org.example.pet": custom}, http.StatusOK)

			// Bob shares no room with alice and still reads her profile.
			got := bob.MustDo(t, http.MethodGet, profile, nil, http.StatusOK)
			if got["m.tz"] != "Europe/London" || got["displayname"] != "alice" {
				t.Errorf("profile %v", got)
			}
			pet, _ := got["org.example.pet"].(map[string]any)
			if pet["colour"] != "blue" || pet["n"] != 3.0 {
				t.Errorf("custom field %v", got["org.example.pet"])
			}
			if got := bob.MustDo(t, http.MethodGet, profile+"/m.tz", nil, http.StatusOK); len(got) != 1 || got["m.tz"] != "Europe/London" {
				t.Errorf("GET m.tz = %v", got)
			}

			alice.MustDo(t, http.MethodDelete, profile+"/org.example.pet", nil, http.StatusOK)
			wantError(t, bob.Do(t, http.MethodGet, profile+"/org.example.pet", nil), 404, "M_NOT_FOUND")
			// Deleting what is not set succeeds.
			alice.MustDo(t, http.MethodDelete, profile+"/org.example.pet", nil, http.StatusOK)
			if got := bob.MustDo(t, http.MethodGet, profile, nil, http.StatusOK); got["m.tz"] != "Europe/London" {
				t.Errorf("deleting one field lost another: %v", got)
			}
		})

		t.Run("a custom field leaves the member events alone", func(t *testing.T) {
			roomID := createRoom(t, alice, nil)
			alice.MustDo(t, http.MethodPut, profile+"/org.example.mood", map[string]any{"org.example.mood": "calm"}, http.StatusOK)
			member := stateEvent(t, alice, roomID, "m.room.member", alice.UserID)
			if _, ok := member["org.example.mood"]; ok {
				t.Errorf("custom field reached the member event: %v", member)
			}
			alice.MustDo(t, http.MethodPut, profile+"/displayname", map[string]any{"displayname": "Alice"}, http.StatusOK)
			if got := stateEvent(t, alice, roomID, "m.room.member", alice.UserID)["displayname"]; got != "Alice" {
				t.Errorf("displayname through the field endpoint did not propagate: %v", got)
			}
		})

		t.Run("the whole profile stays under 64 KiB", func(t *testing.T) {
			big := strings.Repeat("x", 40*1024)
			alice.MustDo(t, http.MethodPut, profile+"/org.example.a", map[string]any{"org.example.a": big}, http.StatusOK)
			wantError(t, alice.Do(t, http.MethodPut, profile+"/org.example.b", map[string]any{"org.example.b": big}), 400, "M_PROFILE_TOO_LARGE")
			wantError(t, bob.Do(t, http.MethodGet, profile+"/org.example.b", nil), 404, "M_NOT_FOUND")
			// Replacing the big field with a small one fits.
			alice.MustDo(t, http.MethodPut, profile+"/org.example.a", map[string]any{"org.example.a": "small"}, http.StatusOK)
			alice.MustDo(t, http.MethodPut, profile+"/org.example.b", map[string]any{"org.example.b": big}, http.StatusOK)
		})

		t.Run("keys and bodies answer the spec's errors", func(t *testing.T) {
			long := "org." + strings.Repeat("a", 252)
			tests := []struct {
				name   string
				method string
				key    string
				body   any
				status int
				code   string
			}{
				{"a key over 255 bytes is M_KEY_TOO_LARGE", http.MethodPut, long, map[string]any{long: 1}, 400, "M_KEY_TOO_LARGE"},
				{"a key outside the grammar is M_INVALID_PARAM", http.MethodPut, "Pet", map[string]any{"Pet": 1}, 400, "M_INVALID_PARAM"},
				{"an unnamespaced key is M_INVALID_PARAM", http.MethodPut, "pet", map[string]any{"pet": 1}, 400, "M_INVALID_PARAM"},
				{"reading a key outside the grammar is M_INVALID_PARAM", http.MethodGet, "Pet", nil, 400, "M_INVALID_PARAM"},
				{"a body without the key is M_MISSING_PARAM", http.MethodPut, "org.example.x", map[string]any{"org.example.y": 1}, 400, "M_MISSING_PARAM"},
				{"a body with more than the key is M_BAD_JSON", http.MethodPut, "org.example.x", map[string]any{"org.example.x": 1, "other": 2}, 400, "M_BAD_JSON"},
				{"a null value is M_INVALID_PARAM", http.MethodPut, "org.example.x", map[string]any{"org.example.x": nil}, 400, "M_INVALID_PARAM"},
				{"a time zone that is not a string is M_BAD_JSON", http.MethodPut, "m.tz", map[string]any{"m.tz": 1}, 400, "M_BAD_JSON"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, alice.Do(t, tt.method, profile+"/"+esc(tt.key), tt.body), tt.status, tt.code)
				})
			}
			wantError(t, bob.Do(t, http.MethodPut, profile+"/m.tz", map[string]any{"m.tz": "UTC"}), 403, "M_FORBIDDEN")
		})
	})
}
