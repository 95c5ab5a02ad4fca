package rooms_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// setInvitePermission stores the user's m.invite_permission_config.
func setInvitePermission(t *testing.T, c *testserver.Client, content map[string]any) {
	t.Helper()
	c.MustDo(t, http.MethodPut, v3+"/user/"+esc(c.UserID)+"/account_data/m.invite_permission_config", content, http.StatusOK)
}

func joinedRooms(t *testing.T, c *testserver.Client) int {
	t.Helper()
	rooms, _ := c.MustDo(t, http.MethodGet, v3+"/joined_rooms", nil, http.StatusOK)["joined_rooms"].([]any)
	return len(rooms)
}

func TestInviteBlockingRefusesInvitesToTheUser(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, carol := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		setInvitePermission(t, bob, map[string]any{"default_action": "block"})

		for _, tt := range []struct {
			name, method, path string
			body               map[string]any
		}{
			{"POST /invite", http.MethodPost, v3 + "/rooms/" + esc(roomID) + "/invite", map[string]any{"user_id": bob.UserID}},
			{"PUT /state/m.room.member with membership invite", http.MethodPut,
				v3 + "/rooms/" + esc(roomID) + "/state/m.room.member/" + esc(bob.UserID), map[string]any{"membership": "invite"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, alice.Do(t, tt.method, tt.path, tt.body), http.StatusForbidden, "M_INVITE_BLOCKED")
				if m := membership(t, alice, roomID, bob.UserID); m != "" {
					t.Errorf("bob's membership = %q after a refused invite", m)
				}
			})
		}

		t.Run("POST /createRoom with the user in invite creates no room", func(t *testing.T) {
			before := joinedRooms(t, alice)
			resp := alice.Do(t, http.MethodPost, v3+"/createRoom", map[string]any{"invite": []string{carol.UserID, bob.UserID}})
			wantError(t, resp, http.StatusForbidden, "M_INVITE_BLOCKED")
			if after := joinedRooms(t, alice); after != before {
				t.Errorf("joined rooms went from %d to %d", before, after)
			}
		})

		t.Run("an outsider learns nothing about the block", func(t *testing.T) {
			resp := carol.Do(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/state/m.room.member/"+esc(bob.UserID), map[string]any{"membership": "invite"})
			wantError(t, resp, http.StatusForbidden, "M_FORBIDDEN")
		})

		t.Run("others are still invited", func(t *testing.T) {
			invite(t, alice, roomID, carol.UserID)
		})
	})
}

func TestInviteBlockingOnlyBlocksForDefaultActionBlock(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		for _, tt := range []struct {
			name    string
			content map[string]any
		}{
			{"no default_action lifts the block", map[string]any{}},
			{"an unknown action allows invites", map[string]any{"default_action": "allow"}},
			{"a value that is not a string allows invites", map[string]any{"default_action": true}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				setInvitePermission(t, bob, map[string]any{"default_action": "block"})
				setInvitePermission(t, bob, tt.content)
				roomID := createRoom(t, alice, map[string]any{"invite": []string{bob.UserID}})
				if m := membership(t, alice, roomID, bob.UserID); m != "invite" {
					t.Errorf("bob's membership = %q, want invite", m)
				}
			})
		}
	})
}
