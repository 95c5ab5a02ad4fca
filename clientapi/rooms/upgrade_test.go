package rooms_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestRoomUpgrade(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		mallory := srv.NewUser(t, "mallory")
		const alias = "#upgraded:test.ocomms.local"

		t.Run("an upgrade replaces the room and carries its settings, bans and aliases", func(t *testing.T) {
			oldRoom := createRoom(t, alice, map[string]any{
				"room_version": "10", "visibility": "public", "room_alias_name": "upgraded",
				"name": "Old name", "topic": "Old topic",
			})
			join(t, bob, oldRoom)
			join(t, mallory, oldRoom)
			alice.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(oldRoom)+"/ban", map[string]any{"user_id": mallory.UserID}, http.StatusOK)

			res := alice.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(oldRoom)+"/upgrade", map[string]any{"new_version": "12"}, http.StatusOK)
			newRoom, _ := res["replacement_room"].(string)
			if newRoom == "" || newRoom == oldRoom {
				t.Fatalf("replacement_room %v", res)
			}

			tomb := stateEvent(t, alice, oldRoom, "m.room.tombstone", "")
			if tomb["replacement_room"] != newRoom {
				t.Errorf("tombstone %v", tomb)
			}
			oldPL := stateEvent(t, alice, oldRoom, "m.room.power_levels", "")
			if oldPL["events_default"] != float64(50) || oldPL["invite"] != float64(50) {
				t.Errorf("old room not restricted: %v", oldPL)
			}
			wantError(t, bob.Do(t, http.MethodPut, v3+"/rooms/"+esc(oldRoom)+"/send/m.room.message/late", map[string]any{"body": "x"}), 403, "M_FORBIDDEN")

			create := stateEvent(t, alice, newRoom, "m.room.create", "")
			if create["room_version"] != "12" || create["predecessor"].(map[string]any)["room_id"] != oldRoom {
				t.Errorf("new create event %v", create)
			}
			if got := stateEvent(t, alice, newRoom, "m.room.name", "")["name"]; got != "Old name" {
				t.Errorf("name not copied: %v", got)
			}
			if got := stateEvent(t, alice, newRoom, "m.room.join_rules", "")["join_rule"]; got != "public" {
				t.Errorf("join rule not copied: %v", got)
			}
			if got := membership(t, alice, newRoom, mallory.UserID); got != "ban" {
				t.Errorf("ban not copied: %q", got)
			}
			users := stateEvent(t, alice, newRoom, "m.room.power_levels", "")["users"].(map[string]any)
			if _, listed := users[alice.UserID]; listed {
				t.Errorf("v12 creator listed in power levels: %v", users)
			}
			if got := srv.Anonymous().MustDo(t, http.MethodGet, v3+"/directory/room/"+esc(alias), nil, http.StatusOK)["room_id"]; got != newRoom {
				t.Errorf("alias points to %v, want the new room", got)
			}
			if got := stateEvent(t, alice, newRoom, "m.room.canonical_alias", "")["alias"]; got != alias {
				t.Errorf("canonical alias in new room %v", got)
			}
			chunk := alice.MustDo(t, http.MethodGet, v3+"/publicRooms", nil, http.StatusOK)["chunk"].([]any)
			var listed []string
			for _, c := range chunk {
				listed = append(listed, c.(map[string]any)["room_id"].(string))
			}
			if !slices.Contains(listed, newRoom) || slices.Contains(listed, oldRoom) {
				t.Errorf("directory lists %v", listed)
			}
			join(t, bob, newRoom)
			sendMessage(t, bob, newRoom, "in-new-room", "hello again")
		})

		t.Run("a v12 creator keeps admin power when upgrading to a version without privileged creators", func(t *testing.T) {
			oldRoom := createRoom(t, alice, map[string]any{"room_version": "12", "preset": "public_chat"})
			res := alice.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(oldRoom)+"/upgrade", map[string]any{"new_version": "11"}, http.StatusOK)
			newRoom := res["replacement_room"].(string)
			users := stateEvent(t, alice, newRoom, "m.room.power_levels", "")["users"].(map[string]any)
			if users[alice.UserID] != float64(100) {
				t.Errorf("former v12 creator's level in v11 room: %v", users)
			}
		})

		t.Run("additional_creators become creators of a v12 replacement and are not carried further", func(t *testing.T) {
			oldRoom := createRoom(t, alice, map[string]any{"room_version": "11", "preset": "public_chat"})
			join(t, bob, oldRoom)
			alice.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(oldRoom)+"/state/m.room.power_levels/",
				map[string]any{"users": map[string]any{alice.UserID: 100, bob.UserID: 50}}, http.StatusOK)
			body := map[string]any{"new_version": "12", "additional_creators": []string{bob.UserID, bob.UserID, alice.UserID}}
			v12Room := alice.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(oldRoom)+"/upgrade", body, http.StatusOK)["replacement_room"].(string)
			creators, _ := stateEvent(t, alice, v12Room, "m.room.create", "")["additional_creators"].([]any)
			if !slices.Equal(creators, []any{bob.UserID}) {
				t.Errorf("additional_creators %v, want only bob", creators)
			}
			if users := stateEvent(t, alice, v12Room, "m.room.power_levels", "")["users"].(map[string]any); users[bob.UserID] != nil {
				t.Errorf("additional creator listed in v12 power levels: %v", users)
			}
			// Bob, a creator, may upgrade the room again although he is in
			// no users list; without naming him again he is no creator of
			// the next room.
			join(t, bob, v12Room)
			next := bob.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(v12Room)+"/upgrade", map[string]any{"new_version": "12"}, http.StatusOK)["replacement_room"].(string)
			if got := stateEvent(t, bob, next, "m.room.create", "")["additional_creators"]; got != nil {
				t.Errorf("additional creators carried over: %v", got)
			}

			v11Room := alice.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(createRoom(t, alice, nil))+"/upgrade",
				map[string]any{"new_version": "11", "additional_creators": []string{bob.UserID}}, http.StatusOK)["replacement_room"].(string)
			if got := stateEvent(t, alice, v11Room, "m.room.create", "")["additional_creators"]; got != nil {
				t.Errorf("additional_creators in a v11 room: %v", got)
			}
		})

		t.Run("upgrades answer the spec's errors", func(t *testing.T) {
			roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
			join(t, bob, roomID)
			path := v3 + "/rooms/" + esc(roomID) + "/upgrade"
			tests := []struct {
				name   string
				client *testserver.Client
				path   string
				body   any
				status int
				code   string
			}{
				{"an unknown version is M_UNSUPPORTED_ROOM_VERSION", alice, path, map[string]any{"new_version": "99"}, 400, "M_UNSUPPORTED_ROOM_VERSION"},
				{"a missing version is M_MISSING_PARAM", alice, path, map[string]any{}, 400, "M_MISSING_PARAM"},
				{"a member without tombstone power is M_FORBIDDEN", bob, path, map[string]any{"new_version": "11"}, 403, "M_FORBIDDEN"},
				{"a non-member is M_FORBIDDEN", mallory, path, map[string]any{"new_version": "11"}, 403, "M_FORBIDDEN"},
				{"a body that is not JSON is M_NOT_JSON", alice, path, "{", 400, "M_NOT_JSON"},
				{"additional_creators that are not user IDs are M_INVALID_PARAM", alice, path, map[string]any{"new_version": "12", "additional_creators": []string{"bob"}}, 400, "M_INVALID_PARAM"},
				{"an unknown room is M_FORBIDDEN", alice, v3 + "/rooms/" + esc("!nowhere:test.ocomms.local") + "/upgrade", map[string]any{"new_version": "11"}, 403, "M_FORBIDDEN"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, tt.client.Do(t, http.MethodPost, tt.path, tt.body), tt.status, tt.code)
				})
			}
		})
	})
}
