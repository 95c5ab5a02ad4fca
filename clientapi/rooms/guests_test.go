package rooms_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestGuestsUseOnlyTheEndpointsTheSpecAllowsThem(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		cfg.Registration.GuestAccess = true
		srv := testserver.Start(t, cfg)
		alice := srv.NewUser(t, "alice")
		res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/register?kind=guest", map[string]any{}, http.StatusOK)
		guest := srv.Anonymous()
		guest.UserID, _ = res["user_id"].(string)
		guest.AccessToken, _ = res["access_token"].(string)

		open := createRoom(t, alice, map[string]any{"preset": "private_chat", "initial_state": []map[string]any{
			{"type": "m.room.join_rules", "content": map[string]any{"join_rule": "public"}},
		}})
		closed := createRoom(t, alice, map[string]any{"preset": "public_chat"})

		join(t, guest, open)
		sendMessage(t, guest, open, "g1", "hello from a guest")
		guest.MustDo(t, http.MethodPut, v3+"/profile/"+esc(guest.UserID)+"/displayname", map[string]any{"displayname": "Visitor"}, http.StatusOK)
		if got := stateEvent(t, guest, open, "m.room.member", guest.UserID)["displayname"]; got != "Visitor" {
			t.Errorf("guest's member event displayname %v", got)
		}

		tests := []struct {
			name   string
			method string
			path   string
			body   any
		}{
			{"joining a room without guest access", http.MethodPost, v3 + "/rooms/" + esc(closed) + "/join", map[string]any{}},
			{"creating a room", http.MethodPost, v3 + "/createRoom", map[string]any{}},
			{"inviting", http.MethodPost, v3 + "/rooms/" + esc(open) + "/invite", map[string]any{"user_id": alice.UserID}},
			{"setting an avatar", http.MethodPut, v3 + "/profile/" + esc(guest.UserID) + "/avatar_url", map[string]any{"avatar_url": "mxc://x/y"}},
			{"redacting through send", http.MethodPut, v3 + "/rooms/" + esc(open) + "/send/m.room.redaction/g2", map[string]any{"redacts": "$event"}},
			{"creating an alias", http.MethodPut, v3 + "/directory/room/" + esc("#guest:test.ocomms.local"), map[string]any{"room_id": open}},
		}
		for _, tt := range tests {
			t.Run(tt.name+" is M_GUEST_ACCESS_FORBIDDEN", func(t *testing.T) {
				wantError(t, guest.Do(t, tt.method, tt.path, tt.body), 403, "M_GUEST_ACCESS_FORBIDDEN")
			})
		}
	})
}
