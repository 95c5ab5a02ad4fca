package rooms_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestProfilesAndTheirPropagation(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		profile := func(userID string) string { return v3 + "/profile/" + esc(userID) }

		t.Run("a new user's display name is their localpart", func(t *testing.T) {
			res := srv.Anonymous().MustDo(t, http.MethodGet, profile(alice.UserID), nil, http.StatusOK)
			if res["displayname"] != "alice" {
				t.Errorf("profile %v", res)
			}
			if _, ok := res["avatar_url"]; ok {
				t.Errorf("unset avatar_url present: %v", res)
			}
			wantError(t, bob.Do(t, http.MethodGet, profile(alice.UserID)+"/avatar_url", nil), 404, "M_NOT_FOUND")
		})

		t.Run("a changed profile reaches the member event of every joined room", func(t *testing.T) {
			first := createRoom(t, alice, map[string]any{"preset": "public_chat"})
			second := createRoom(t, alice, map[string]any{"preset": "public_chat"})
			join(t, bob, first)
			alice.MustDo(t, http.MethodPut, profile(alice.UserID)+"/displayname", map[string]any{"displayname": "Alice A."}, http.StatusOK)
			alice.MustDo(t, http.MethodPut, profile(alice.UserID)+"/avatar_url", map[string]any{"avatar_url": "mxc://test.ocomms.local/abc"}, http.StatusOK)

			got := bob.MustDo(t, http.MethodGet, profile(alice.UserID)+"/displayname", nil, http.StatusOK)
			if got["displayname"] != "Alice A." {
				t.Errorf("displayname %v", got)
			}
			for _, roomID := range []string{first, second} {
				member := stateEvent(t, alice, roomID, "m.room.member", alice.UserID)
				if member["displayname"] != "Alice A." || member["avatar_url"] != "mxc://test.ocomms.local/abc" || member["membership"] != "join" {
					t.Errorf("member event in %s: %v", roomID, member)
				}
			}
			// Bob, a member of the first room, reads the same through the state endpoint.
			if got := stateEvent(t, bob, first, "m.room.member", alice.UserID)["displayname"]; got != "Alice A." {
				t.Errorf("bob sees displayname %v", got)
			}
		})

		t.Run("a deleted avatar leaves the member events", func(t *testing.T) {
			roomID := createRoom(t, alice, nil)
			alice.MustDo(t, http.MethodDelete, profile(alice.UserID)+"/avatar_url", nil, http.StatusOK)
			wantError(t, alice.Do(t, http.MethodGet, profile(alice.UserID)+"/avatar_url", nil), 404, "M_NOT_FOUND")
			member := stateEvent(t, alice, roomID, "m.room.member", alice.UserID)
			if _, ok := member["avatar_url"]; ok || member["displayname"] != "Alice A." {
				t.Errorf("member event after deleting the avatar: %v", member)
			}
		})

		t.Run("a new join carries the current profile", func(t *testing.T) {
			bob.MustDo(t, http.MethodPut, profile(bob.UserID)+"/displayname", map[string]any{"displayname": "Bobby"}, http.StatusOK)
			roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
			join(t, bob, roomID)
			if got := stateEvent(t, alice, roomID, "m.room.member", bob.UserID)["displayname"]; got != "Bobby" {
				t.Errorf("join displayname %v", got)
			}
		})

		t.Run("profile endpoints answer the spec's errors", func(t *testing.T) {
			tests := []struct {
				name   string
				client *testserver.Client
				method string
				path   string
				body   any
				status int
				code   string
			}{
				{"setting another user's name is M_FORBIDDEN", alice, http.MethodPut, profile(bob.UserID) + "/displayname", map[string]any{"displayname": "x"}, 403, "M_FORBIDDEN"},
				{"a name over 256 characters is M_BAD_JSON", alice, http.MethodPut, profile(alice.UserID) + "/displayname", map[string]any{"displayname": strings.Repeat("a", 257)}, 400, "M_BAD_JSON"},
				{"a null name is M_INVALID_PARAM", alice, http.MethodPut, profile(alice.UserID) + "/displayname", map[string]any{"displayname": nil}, 400, "M_INVALID_PARAM"},
				{"deleting another user's avatar is M_FORBIDDEN", alice, http.MethodDelete, profile(bob.UserID) + "/avatar_url", nil, 403, "M_FORBIDDEN"},
				{"a numeric name is M_BAD_JSON", alice, http.MethodPut, profile(alice.UserID) + "/displayname", map[string]any{"displayname": 3}, 400, "M_BAD_JSON"},
				{"a body without the field is M_MISSING_PARAM", alice, http.MethodPut, profile(alice.UserID) + "/displayname", map[string]any{}, 400, "M_MISSING_PARAM"},
				{"an avatar that is not an mxc URI is M_INVALID_PARAM", alice, http.MethodPut, profile(alice.UserID) + "/avatar_url", map[string]any{"avatar_url": "https://x/y"}, 400, "M_INVALID_PARAM"},
				{"a body that is not JSON is M_NOT_JSON", alice, http.MethodPut, profile(alice.UserID) + "/displayname", "{", 400, "M_NOT_JSON"},
				{"setting a name without a token is M_MISSING_TOKEN", srv.Anonymous(), http.MethodPut, profile(alice.UserID) + "/displayname", map[string]any{"displayname": "x"}, 401, "M_MISSING_TOKEN"},
				{"an unknown local user is M_NOT_FOUND", alice, http.MethodGet, profile("@nobody:test.ocomms.local"), nil, 404, "M_NOT_FOUND"},
				{"a malformed user ID is M_INVALID_PARAM", alice, http.MethodGet, profile("nobody"), nil, 400, "M_INVALID_PARAM"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, tt.client.Do(t, tt.method, tt.path, tt.body), tt.status, tt.code)
				})
			}
		})
	})
}
