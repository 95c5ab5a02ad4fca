package rooms_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestCreateRoomAppliesPresetsAndOptions(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")

		t.Run("a private chat gets the preset's state and its creator is the admin", func(t *testing.T) {
			roomID := createRoom(t, alice, map[string]any{"name": "Plans", "topic": "What next"})
			checks := []struct{ evType, field, want string }{
				{"m.room.join_rules", "join_rule", "invite"},
				{"m.room.history_visibility", "history_visibility", "shared"},
				{"m.room.guest_access", "guest_access", "can_join"},
				{"m.room.name", "name", "Plans"},
				{"m.room.topic", "topic", "What next"},
				{"m.room.create", "room_version", "11"},
			}
			for _, c := range checks {
				if got := stateEvent(t, alice, roomID, c.evType, "")[c.field]; got != c.want {
					t.Errorf("%s %s = %v, want %s", c.evType, c.field, got, c.want)
				}
			}
			pl := stateEvent(t, alice, roomID, "m.room.power_levels", "")
			if users := pl["users"].(map[string]any); users[alice.UserID] != float64(100) {
				t.Errorf("creator's power level: %v", users)
			}
			if pl["invite"] != float64(0) {
				t.Errorf("private chat invite level %v, want 0", pl["invite"])
			}
			if got := membership(t, alice, roomID, alice.UserID); got != "join" {
				t.Errorf("creator membership %q", got)
			}
		})

		t.Run("a public room with an alias is published and resolvable", func(t *testing.T) {
			res := alice.MustDo(t, http.MethodPost, v3+"/createRoom", map[string]any{
				"visibility": "public", "room_alias_name": "lobby", "name": "Lobby",
			}, http.StatusOK)
			roomID, _ := res["room_id"].(string)
			alias := "#lobby:" + "test.ocomms.local"
			if res["room_alias"] != alias {
				t.Errorf("room_alias %v, want %s", res["room_alias"], alias)
			}
			got := bob.MustDo(t, http.MethodGet, v3+"/directory/room/"+esc(alias), nil, http.StatusOK)
			if got["room_id"] != roomID {
				t.Errorf("alias resolves to %v, want %s", got["room_id"], roomID)
			}
			if got := stateEvent(t, alice, roomID, "m.room.canonical_alias", "")["alias"]; got != alias {
				t.Errorf("canonical alias %v", got)
			}
			if got := stateEvent(t, alice, roomID, "m.room.join_rules", "")["join_rule"]; got != "public" {
				t.Errorf("join rule %v", got)
			}
			vis := srv.Anonymous().MustDo(t, http.MethodGet, v3+"/directory/list/room/"+esc(roomID), nil, http.StatusOK)
			if vis["visibility"] != "public" {
				t.Errorf("directory visibility %v", vis)
			}
			join(t, bob, roomID)
		})

		t.Run("invites carry is_direct and trusted invitees get the creator's level", func(t *testing.T) {
			roomID := createRoom(t, alice, map[string]any{
				"preset": "trusted_private_chat", "invite": []string{bob.UserID}, "is_direct": true, "room_version": "11",
			})
			member := stateEvent(t, alice, roomID, "m.room.member", bob.UserID)
			if member["membership"] != "invite" || member["is_direct"] != true {
				t.Errorf("invite event content %v", member)
			}
			if member["displayname"] != "bob" {
				t.Errorf("invite carries displayname %v, want bob", member["displayname"])
			}
			users := stateEvent(t, alice, roomID, "m.room.power_levels", "")["users"].(map[string]any)
			if users[bob.UserID] != float64(100) {
				t.Errorf("trusted invitee level: %v", users)
			}
			join(t, bob, roomID)
		})

		t.Run("initial state overrides the preset and power levels take the override", func(t *testing.T) {
			roomID := createRoom(t, alice, map[string]any{
				"initial_state": []map[string]any{
					{"type": "m.room.history_visibility", "content": map[string]any{"history_visibility": "world_readable"}},
					{"type": "org.example.custom", "state_key": "k", "content": map[string]any{"v": 1}},
				},
				"power_level_content_override": map[string]any{"events_default": 10},
			})
			if got := stateEvent(t, alice, roomID, "m.room.history_visibility", "")["history_visibility"]; got != "world_readable" {
				t.Errorf("history visibility %v", got)
			}
			if got := stateEvent(t, alice, roomID, "org.example.custom", "k")["v"]; got != float64(1) {
				t.Errorf("custom state %v", got)
			}
			if got := stateEvent(t, alice, roomID, "m.room.power_levels", "")["events_default"]; got != float64(10) {
				t.Errorf("events_default %v", got)
			}
		})

		t.Run("a room version 12 room keeps creators out of the power levels", func(t *testing.T) {
			roomID := createRoom(t, alice, map[string]any{
				"room_version": "12", "preset": "trusted_private_chat", "invite": []string{bob.UserID},
				"creation_content": map[string]any{"additional_creators": []string{"@carol:test.ocomms.local", bob.UserID}},
			})
			pl := stateEvent(t, alice, roomID, "m.room.power_levels", "")
			users, _ := pl["users"].(map[string]any)
			if _, listed := users[alice.UserID]; listed {
				t.Errorf("creator listed in v12 power levels: %v", users)
			}
			if tomb := pl["events"].(map[string]any)["m.room.tombstone"]; tomb != float64(150) {
				t.Errorf("tombstone level %v, want 150", tomb)
			}
			create := stateEvent(t, alice, roomID, "m.room.create", "")
			// The invitees merge into the given additional creators, once.
			if creators, _ := create["additional_creators"].([]any); !slices.Equal(creators, []any{"@carol:test.ocomms.local", bob.UserID}) {
				t.Errorf("additional_creators %v, want carol then the trusted invitee bob", creators)
			}
			if tomb, state := pl["events"].(map[string]any)["m.room.tombstone"].(float64), pl["state_default"].(float64); tomb <= state {
				t.Errorf("tombstone level %v not above state_default %v", tomb, state)
			}
			sendMessage(t, alice, roomID, "v12-1", "hello")
		})

		t.Run("rooms of every supported version can be created and used", func(t *testing.T) {
			for _, v := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"} {
				roomID := createRoom(t, alice, map[string]any{"room_version": v, "name": "v" + v})
				if got := stateEvent(t, alice, roomID, "m.room.create", "")["room_version"]; got != v {
					t.Errorf("room version %v, want %s", got, v)
				}
				sendMessage(t, alice, roomID, "versions-"+v, "hello v"+v)
			}
		})

		t.Run("a rejected initial state leaves no room and frees the alias", func(t *testing.T) {
			before := alice.MustDo(t, http.MethodGet, v3+"/joined_rooms", nil, http.StatusOK)["joined_rooms"].([]any)
			resp := alice.Do(t, http.MethodPost, v3+"/createRoom", map[string]any{
				"room_alias_name":              "doomed",
				"power_level_content_override": map[string]any{"users": map[string]any{alice.UserID: 0}},
				"name":                         "needs power",
			})
			wantError(t, resp, http.StatusBadRequest, "M_INVALID_ROOM_STATE")
			after := alice.MustDo(t, http.MethodGet, v3+"/joined_rooms", nil, http.StatusOK)["joined_rooms"].([]any)
			if len(after) != len(before) {
				t.Errorf("joined rooms went from %d to %d", len(before), len(after))
			}
			createRoom(t, alice, map[string]any{"room_alias_name": "doomed"})
		})
	})
}

func TestCreateRoomRejectsBadRequests(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		createRoom(t, alice, map[string]any{"room_alias_name": "taken"})
		tests := []struct {
			name   string
			client *testserver.Client
			body   any
			status int
			code   string
		}{
			{"a body that is not JSON is M_NOT_JSON", alice, "{", 400, "M_NOT_JSON"},
			{"a name that is not a string is M_BAD_JSON", alice, map[string]any{"name": 5}, 400, "M_BAD_JSON"},
			{"an unknown room version is M_UNSUPPORTED_ROOM_VERSION", alice, map[string]any{"room_version": "999"}, 400, "M_UNSUPPORTED_ROOM_VERSION"},
			{"an unknown preset is M_INVALID_PARAM", alice, map[string]any{"preset": "party"}, 400, "M_INVALID_PARAM"},
			{"a taken alias is M_ROOM_IN_USE", alice, map[string]any{"room_alias_name": "taken"}, 400, "M_ROOM_IN_USE"},
			{"an alias with a colon is M_INVALID_PARAM", alice, map[string]any{"room_alias_name": "a:b"}, 400, "M_INVALID_PARAM"},
			{"an invitee that is not a user ID is M_INVALID_PARAM", alice, map[string]any{"invite": []string{"bob"}}, 400, "M_INVALID_PARAM"},
			{"an invitee of another server is refused", alice, map[string]any{"invite": []string{"@bob:elsewhere.example"}}, 502, "M_UNKNOWN"},
			{"a v12 room naming its creator in power levels is M_INVALID_ROOM_STATE", alice, map[string]any{"room_version": "12", "power_level_content_override": map[string]any{"users": map[string]any{alice.UserID: 100}}}, 400, "M_INVALID_ROOM_STATE"},
			{"additional creators that are not user IDs are M_BAD_JSON", alice, map[string]any{"room_version": "12", "creation_content": map[string]any{"additional_creators": []string{"bob"}}}, 400, "M_BAD_JSON"},
			{"initial state without content is M_BAD_JSON", alice, map[string]any{"initial_state": []map[string]any{{"type": "m.room.name"}}}, 400, "M_BAD_JSON"},
			{"a request without a token is M_MISSING_TOKEN", srv.Anonymous(), map[string]any{}, 401, "M_MISSING_TOKEN"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.client.Do(t, http.MethodPost, v3+"/createRoom", tt.body), tt.status, tt.code)
			})
		}
	})
}
