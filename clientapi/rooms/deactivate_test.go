package rooms_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// deactivate deactivates c's account through user-interactive auth with
// password and returns the final response.
func deactivate(t *testing.T, c *testserver.Client, localpart, password string, erase bool) *testserver.ClientResponse {
	t.Helper()
	path := v3 + "/account/deactivate"
	session, _ := c.MustDo(t, http.MethodPost, path, map[string]any{}, http.StatusUnauthorized)["session"].(string)
	return c.Do(t, http.MethodPost, path, map[string]any{
		"erase": erase,
		"auth": map[string]any{
			"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": localpart},
			"password": password, "session": session,
		},
	})
}

func TestDeactivationLeavesEveryRoomAndErasesTheProfile(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		bob.MustDo(t, http.MethodPut, v3+"/profile/"+esc(bob.UserID)+"/displayname", map[string]any{"displayname": "Bobby"}, http.StatusOK)
		joined := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, joined)
		invited := createRoom(t, alice, map[string]any{"preset": "private_chat"})
		invite(t, alice, invited, bob.UserID)
		knocked := createRoom(t, alice, map[string]any{
			"room_version":  "10",
			"initial_state": []any{map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": "knock"}}},
		})
		bob.MustDo(t, http.MethodPost, v3+"/knock/"+esc(knocked), map[string]any{}, http.StatusOK)
		banned := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, banned)
		alice.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(banned)+"/ban", map[string]any{"user_id": bob.UserID}, http.StatusOK)

		t.Run("a wrong password changes nothing", func(t *testing.T) {
			wantError(t, deactivate(t, bob, "bob", "wrong", true), http.StatusUnauthorized, "M_FORBIDDEN")
			if got := membership(t, alice, joined, bob.UserID); got != "join" {
				t.Fatalf("bob's membership %q after a refused deactivation", got)
			}
		})
		t.Run("deactivation leaves joined, invited and knocked rooms and keeps bans", func(t *testing.T) {
			resp := deactivate(t, bob, "bob", "password-bob", true)
			if resp.Status != http.StatusOK {
				t.Fatalf("deactivate: %d %s", resp.Status, resp.Body)
			}
			for room, want := range map[string]string{joined: "leave", invited: "leave", knocked: "leave", banned: "ban"} {
				if got := membership(t, alice, room, bob.UserID); got != want {
					t.Errorf("bob's membership in %s is %q, want %q", room, got, want)
				}
			}
		})
		t.Run("erase blanks the profile", func(t *testing.T) {
			p := srv.Anonymous().MustDo(t, http.MethodGet, v3+"/profile/"+esc(bob.UserID), nil, http.StatusOK)
			if p["displayname"] != "" || p["avatar_url"] != "" {
				t.Fatalf("profile after erase: %v", p)
			}
		})
		t.Run("the account no longer works", func(t *testing.T) {
			wantError(t, bob.Do(t, http.MethodGet, v3+"/joined_rooms", nil), http.StatusUnauthorized, "M_UNKNOWN_TOKEN")
		})
	})
}

func TestDeactivationWithoutEraseKeepsTheProfile(t *testing.T) {
	srv := start(t, testserver.Backends()[0])
	carol := srv.NewUser(t, "carol")
	carol.MustDo(t, http.MethodPut, v3+"/profile/"+esc(carol.UserID)+"/displayname", map[string]any{"displayname": "Carol"}, http.StatusOK)
	if resp := deactivate(t, carol, "carol", "password-carol", false); resp.Status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", resp.Status, resp.Body)
	}
	if p := srv.Anonymous().MustDo(t, http.MethodGet, v3+"/profile/"+esc(carol.UserID), nil, http.StatusOK); p["displayname"] != "Carol" {
		t.Fatalf("profile after deactivation without erase: %v", p)
	}
}
