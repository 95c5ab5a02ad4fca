package rooms_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestMembershipLifecycle(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		carol := srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat", "room_alias_name": "town"})
		path := func(action string) string { return v3 + "/rooms/" + esc(roomID) + "/" + action }

		t.Run("a user joins through an alias with a reason", func(t *testing.T) {
			res := bob.MustDo(t, http.MethodPost, v3+"/join/"+esc("#town:test.ocomms.local"), map[string]any{"reason": "hi"}, http.StatusOK)
			if res["room_id"] != roomID {
				t.Fatalf("joined %v, want %s", res["room_id"], roomID)
			}
			member := stateEvent(t, alice, roomID, "m.room.member", bob.UserID)
			if member["membership"] != "join" || member["reason"] != "hi" || member["displayname"] != "bob" {
				t.Errorf("join event content %v", member)
			}
			rooms := bob.MustDo(t, http.MethodGet, v3+"/joined_rooms", nil, http.StatusOK)["joined_rooms"].([]any)
			if !slices.Contains(rooms, any(roomID)) {
				t.Errorf("joined_rooms %v lacks %s", rooms, roomID)
			}
		})

		t.Run("joining again changes nothing", func(t *testing.T) {
			eventPath := path("state/m.room.member/"+esc(alice.UserID)) + "?format=event"
			before := alice.MustDo(t, http.MethodGet, eventPath, nil, http.StatusOK)["event_id"]
			join(t, alice, roomID)
			after := alice.MustDo(t, http.MethodGet, eventPath, nil, http.StatusOK)["event_id"]
			if before == nil || before != after {
				t.Errorf("member event changed from %v to %v", before, after)
			}
		})

		t.Run("a member without power cannot kick, ban or invite past the rules", func(t *testing.T) {
			wantError(t, bob.Do(t, http.MethodPost, path("kick"), map[string]any{"user_id": alice.UserID}), 403, "M_FORBIDDEN")
			wantError(t, bob.Do(t, http.MethodPost, path("ban"), map[string]any{"user_id": carol.UserID}), 403, "M_FORBIDDEN")
		})

		t.Run("a moderator kicks, bans and unbans", func(t *testing.T) {
			join(t, carol, roomID)
			alice.MustDo(t, http.MethodPost, path("kick"), map[string]any{"user_id": carol.UserID, "reason": "spam"}, http.StatusOK)
			if got := membership(t, alice, roomID, carol.UserID); got != "leave" {
				t.Errorf("after kick membership %q", got)
			}
			alice.MustDo(t, http.MethodPost, path("ban"), map[string]any{"user_id": carol.UserID}, http.StatusOK)
			if got := membership(t, alice, roomID, carol.UserID); got != "ban" {
				t.Errorf("after ban membership %q", got)
			}
			wantError(t, carol.Do(t, http.MethodPost, path("join"), map[string]any{}), 403, "M_BAD_STATE")
			wantError(t, alice.Do(t, http.MethodPost, path("invite"), map[string]any{"user_id": carol.UserID}), 403, "M_BAD_STATE")
			alice.MustDo(t, http.MethodPost, path("unban"), map[string]any{"user_id": carol.UserID}, http.StatusOK)
			join(t, carol, roomID)
		})

		t.Run("kicking someone not in the room and unbanning someone not banned are refused", func(t *testing.T) {
			dave := srv.NewUser(t, "dave")
			wantError(t, alice.Do(t, http.MethodPost, path("kick"), map[string]any{"user_id": dave.UserID}), 403, "M_FORBIDDEN")
			wantError(t, alice.Do(t, http.MethodPost, path("unban"), map[string]any{"user_id": dave.UserID}), 403, "M_BAD_STATE")
			wantError(t, dave.Do(t, http.MethodPost, path("leave"), map[string]any{}), 403, "M_FORBIDDEN")
		})

		t.Run("an invited user can reject the invite by leaving", func(t *testing.T) {
			privateRoom := createRoom(t, alice, nil)
			invite(t, alice, privateRoom, bob.UserID)
			bob.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(privateRoom)+"/leave", nil, http.StatusOK)
			if got := membership(t, alice, privateRoom, bob.UserID); got != "leave" {
				t.Errorf("after rejecting membership %q", got)
			}
			wantError(t, bob.Do(t, http.MethodPost, v3+"/rooms/"+esc(privateRoom)+"/join", map[string]any{}), 403, "M_FORBIDDEN")
		})

		t.Run("inviting a member again is refused", func(t *testing.T) {
			wantError(t, alice.Do(t, http.MethodPost, path("invite"), map[string]any{"user_id": bob.UserID}), 403, "M_FORBIDDEN")
		})

		t.Run("forget needs the user to have left and the state stays readable as it was", func(t *testing.T) {
			resp := bob.Do(t, http.MethodPost, path("forget"), map[string]any{})
			wantError(t, resp, 400, "M_UNKNOWN")
			bob.MustDo(t, http.MethodPost, path("leave"), map[string]any{}, http.StatusOK)
			bob.MustDo(t, http.MethodPost, path("leave"), map[string]any{}, http.StatusOK)
			bob.MustDo(t, http.MethodPost, path("forget"), map[string]any{}, http.StatusOK)
			// A former member sees the state as it was when they left.
			if got := membership(t, bob, roomID, bob.UserID); got != "leave" {
				t.Errorf("former member sees own membership %q", got)
			}
			sendMessage(t, alice, roomID, "after-leave", "still here")
			stateAfterLeave := fullState(t, bob, roomID)
			if len(stateAfterLeave) == 0 {
				t.Error("former member got no state")
			}
		})

		t.Run("membership endpoints answer the spec's errors", func(t *testing.T) {
			unknown := v3 + "/rooms/" + esc("!nowhere:test.ocomms.local")
			tests := []struct {
				name   string
				client *testserver.Client
				path   string
				body   any
				status int
				code   string
			}{
				{"joining an unknown room is M_NOT_FOUND", bob, unknown + "/join", map[string]any{}, 404, "M_NOT_FOUND"},
				{"joining an unknown alias is M_NOT_FOUND", bob, v3 + "/join/" + esc("#nope:test.ocomms.local"), map[string]any{}, 404, "M_NOT_FOUND"},
				{"leaving an unknown room is M_NOT_FOUND", bob, unknown + "/leave", map[string]any{}, 404, "M_NOT_FOUND"},
				{"inviting into a room one is not in is M_FORBIDDEN", carol, unknown + "/invite", map[string]any{"user_id": bob.UserID}, 403, "M_FORBIDDEN"},
				{"an invite without user_id is M_MISSING_PARAM", alice, path("invite"), map[string]any{}, 400, "M_MISSING_PARAM"},
				{"an invite of a bad user ID is M_INVALID_PARAM", alice, path("invite"), map[string]any{"user_id": "bob"}, 400, "M_INVALID_PARAM"},
				{"inviting a user of another server is refused", alice, path("invite"), map[string]any{"user_id": "@x:elsewhere.example"}, 502, "M_UNKNOWN"},
				{"a kick with a numeric user_id is M_BAD_JSON", alice, path("kick"), map[string]any{"user_id": 1}, 400, "M_BAD_JSON"},
				{"a ban whose body is not JSON is M_NOT_JSON", alice, path("ban"), "nope", 400, "M_NOT_JSON"},
				{"joining without a token is M_MISSING_TOKEN", srv.Anonymous(), path("join"), map[string]any{}, 401, "M_MISSING_TOKEN"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, tt.client.Do(t, http.MethodPost, tt.path, tt.body), tt.status, tt.code)
				})
			}
		})
	})
}

func TestKnock(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		knockRoom := createRoom(t, alice, map[string]any{
			"room_version":  "10",
			"initial_state": []any{map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": "knock"}}},
		})
		inviteRoom := createRoom(t, alice, map[string]any{"preset": "private_chat"})

		tests := []struct {
			name, target string
			status       int
			errcode      string
		}{
			{"knock on a room whose join rule is knock", knockRoom, http.StatusOK, ""},
			{"knock on an invite-only room", inviteRoom, http.StatusForbidden, "M_FORBIDDEN"},
			{"knock on an unknown room", "!nowhere:test.ocomms.local", http.StatusNotFound, "M_NOT_FOUND"},
			{"knock on a malformed target", "nonsense", http.StatusBadRequest, "M_INVALID_PARAM"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := bob.Do(t, http.MethodPost, v3+"/knock/"+esc(tt.target), map[string]any{"reason": "let me in"})
				if tt.errcode != "" {
					wantError(t, resp, tt.status, tt.errcode)
					return
				}
				if resp.Status != tt.status || resp.Map(t)["room_id"] != tt.target {
					t.Fatalf("knock: %d %s", resp.Status, resp.Body)
				}
				if got := membership(t, alice, tt.target, bob.UserID); got != "knock" {
					t.Fatalf("bob's membership %q, want knock", got)
				}
			})
		}
	})
}
