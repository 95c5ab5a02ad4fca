package rooms_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestRoomState(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		carol := srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat", "room_alias_name": "stateful"})
		otherRoom := createRoom(t, alice, map[string]any{"room_alias_name": "elsewhere"})
		join(t, bob, roomID)
		room := v3 + "/rooms/" + esc(roomID)

		t.Run("state sent with and without a state key reads back", func(t *testing.T) {
			res := alice.MustDo(t, http.MethodPut, room+"/state/m.room.name", map[string]any{"name": "One"}, http.StatusOK)
			if res["event_id"] == nil {
				t.Fatalf("no event_id: %v", res)
			}
			if got := stateEvent(t, bob, roomID, "m.room.name", "")["name"]; got != "One" {
				t.Errorf("name %v", got)
			}
			alice.MustDo(t, http.MethodPut, room+"/state/m.room.name/", map[string]any{"name": "Two"}, http.StatusOK)
			alice.MustDo(t, http.MethodPut, room+"/state/org.example.thing/"+esc("key:with odd chars"), map[string]any{"a": 1}, http.StatusOK)
			got := bob.MustDo(t, http.MethodGet, room+"/state/m.room.name?format=event", nil, http.StatusOK)
			content, _ := got["content"].(map[string]any)
			if content["name"] != "Two" || got["sender"] != alice.UserID || got["type"] != "m.room.name" || got["state_key"] != "" || got["room_id"] != roomID {
				t.Errorf("format=event answer %v", got)
			}
			if id, _ := got["event_id"].(string); id == "" || got["origin_server_ts"] == nil {
				t.Errorf("format=event answer lacks event_id or origin_server_ts: %v", got)
			}
			if got := bob.MustDo(t, http.MethodGet, room+"/state/m.room.name?format=content", nil, http.StatusOK); len(got) != 1 || got["name"] != "Two" {
				t.Errorf("format=content answer %v", got)
			}
		})

		t.Run("sending unchanged state returns the existing event", func(t *testing.T) {
			a := alice.MustDo(t, http.MethodPut, room+"/state/m.room.topic", map[string]any{"topic": "same"}, http.StatusOK)
			b := alice.MustDo(t, http.MethodPut, room+"/state/m.room.topic", map[string]any{"topic": "same"}, http.StatusOK)
			if a["event_id"] != b["event_id"] {
				t.Errorf("unchanged state made a new event: %v then %v", a, b)
			}
		})

		t.Run("the full state holds the room's state events in client format", func(t *testing.T) {
			types := map[string]bool{}
			for _, ev := range fullState(t, bob, roomID) {
				types[ev["type"].(string)] = true
				if ev["event_id"] == nil || ev["sender"] == nil || ev["content"] == nil {
					t.Errorf("event lacks fields: %v", ev)
				}
			}
			for _, want := range []string{"m.room.create", "m.room.member", "m.room.power_levels", "m.room.join_rules", "m.room.name", "m.room.canonical_alias"} {
				if !types[want] {
					t.Errorf("state lacks %s (has %v)", want, types)
				}
			}
		})

		t.Run("the canonical alias must name aliases of this room", func(t *testing.T) {
			path := room + "/state/m.room.canonical_alias"
			alice.MustDo(t, http.MethodPut, path, map[string]any{"alias": "#stateful:test.ocomms.local", "alt_aliases": []string{}}, http.StatusOK)
			wantError(t, alice.Do(t, http.MethodPut, path, map[string]any{"alias": "#elsewhere:test.ocomms.local"}), 400, "M_BAD_ALIAS")
			wantError(t, alice.Do(t, http.MethodPut, path, map[string]any{"alt_aliases": []string{"#missing:test.ocomms.local"}}), 400, "M_BAD_ALIAS")
			wantError(t, alice.Do(t, http.MethodPut, path, map[string]any{"alias": "not an alias"}), 400, "M_INVALID_PARAM")
			_ = otherRoom
		})

		t.Run("state endpoints answer the spec's errors", func(t *testing.T) {
			tests := []struct {
				name   string
				client *testserver.Client
				method string
				path   string
				body   any
				status int
				code   string
			}{
				{"a missing state event is M_NOT_FOUND", bob, http.MethodGet, room + "/state/m.room.avatar", nil, 404, "M_NOT_FOUND"},
				{"a non-member reading state is M_FORBIDDEN", carol, http.MethodGet, room + "/state", nil, 403, "M_FORBIDDEN"},
				{"a non-member reading one event is M_FORBIDDEN", carol, http.MethodGet, room + "/state/m.room.name", nil, 403, "M_FORBIDDEN"},
				{"reading an unknown room is M_FORBIDDEN", alice, http.MethodGet, v3 + "/rooms/" + esc("!nowhere:test.ocomms.local") + "/state", nil, 403, "M_FORBIDDEN"},
				{"a member below the state level is M_FORBIDDEN", bob, http.MethodPut, room + "/state/m.room.name", map[string]any{"name": "mine"}, 403, "M_FORBIDDEN"},
				{"a non-member sending state is M_FORBIDDEN", carol, http.MethodPut, room + "/state/m.room.name", map[string]any{"name": "x"}, 403, "M_FORBIDDEN"},
				{"state content that is not JSON is M_NOT_JSON", alice, http.MethodPut, room + "/state/m.room.name", "{", 400, "M_NOT_JSON"},
				{"state content that is not an object is M_BAD_JSON", alice, http.MethodPut, room + "/state/m.room.name", []byte(`"x"`), 400, "M_BAD_JSON"},
				{"bad power levels are M_BAD_JSON", alice, http.MethodPut, room + "/state/m.room.power_levels", map[string]any{"users": "x"}, 400, "M_BAD_JSON"},
				{"an unknown format is M_INVALID_PARAM", alice, http.MethodGet, room + "/state/m.room.name?format=xml", nil, 400, "M_INVALID_PARAM"},
				{"reading state without a token is M_MISSING_TOKEN", srv.Anonymous(), http.MethodGet, room + "/state", nil, 401, "M_MISSING_TOKEN"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, tt.client.Do(t, tt.method, tt.path, tt.body), tt.status, tt.code)
				})
			}
		})
	})
}
