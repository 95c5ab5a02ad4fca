package rooms_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestRestrictedProfileLookups(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		cfg.Rooms.RestrictProfileLookups = true
		srv := testserver.Start(t, cfg)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		carol := srv.NewUser(t, "carol")
		dave := srv.NewUser(t, "dave")
		erin := srv.NewUser(t, "erin")
		shared := createRoom(t, alice, nil)
		invite(t, alice, shared, bob.UserID)
		join(t, bob, shared)
		createRoom(t, carol, map[string]any{"preset": "public_chat"})
		createRoom(t, dave, map[string]any{"initial_state": []map[string]any{{
			"type": "m.room.history_visibility", "state_key": "", "content": map[string]any{"history_visibility": "world_readable"},
		}}})
		createRoom(t, erin, nil)
		profile := func(userID string) string { return v3 + "/profile/" + esc(userID) }

		tests := []struct {
			name   string
			path   string
			status int
			code   string
		}{
			{"one's own profile", profile(alice.UserID), 200, ""},
			{"a user sharing a room", profile(bob.UserID), 200, ""},
			{"a field of a user sharing a room", profile(bob.UserID) + "/displayname", 200, ""},
			{"a user joined to a public room", profile(carol.UserID), 200, ""},
			{"a user joined to a world-readable room", profile(dave.UserID), 200, ""},
			{"a user only in private rooms is M_FORBIDDEN", profile(erin.UserID), 403, "M_FORBIDDEN"},
			{"a field of that user is M_FORBIDDEN", profile(erin.UserID) + "/displayname", 403, "M_FORBIDDEN"},
			{"an unknown user is M_FORBIDDEN, not telling it does not exist", profile("@nobody:test.ocomms.local"), 403, "M_FORBIDDEN"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := alice.Do(t, http.MethodGet, tt.path, nil)
				if resp.Status != tt.status || resp.Errcode() != tt.code {
					t.Fatalf("got %d %s, want %d %s: %s", resp.Status, resp.Errcode(), tt.status, tt.code, resp.Body)
				}
			})
		}
		wantError(t, srv.Anonymous().Do(t, http.MethodGet, profile(bob.UserID), nil), 401, "M_MISSING_TOKEN")
	})
}
