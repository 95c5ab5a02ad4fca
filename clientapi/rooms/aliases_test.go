package rooms_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestRoomAliases(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		carol := srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		dir := func(alias string) string { return v3 + "/directory/room/" + esc(alias) }
		const server = ":test.ocomms.local"

		t.Run("a member maps an alias that anyone can resolve", func(t *testing.T) {
			bob.MustDo(t, http.MethodPut, dir("#bobs"+server), map[string]any{"room_id": roomID}, http.StatusOK)
			res := srv.Anonymous().MustDo(t, http.MethodGet, dir("#bobs"+server), nil, http.StatusOK)
			if res["room_id"] != roomID {
				t.Errorf("resolves to %v", res)
			}
			if servers, _ := res["servers"].([]any); !slices.Contains(servers, any("test.ocomms.local")) {
				t.Errorf("servers %v", res["servers"])
			}
			aliases := carol.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/aliases", nil)
			wantError(t, aliases, 403, "M_FORBIDDEN")
			list := alice.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/aliases", nil, http.StatusOK)["aliases"].([]any)
			if !slices.Contains(list, any("#bobs"+server)) {
				t.Errorf("room aliases %v", list)
			}
		})

		t.Run("an alias that exists is a 409 conflict", func(t *testing.T) {
			wantError(t, alice.Do(t, http.MethodPut, dir("#bobs"+server), map[string]any{"room_id": roomID}), 409, "M_UNKNOWN")
		})

		t.Run("only the alias creator or a room admin deletes it, and the canonical alias follows", func(t *testing.T) {
			alice.MustDo(t, http.MethodPut, dir("#alices"+server), map[string]any{"room_id": roomID}, http.StatusOK)
			alice.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/state/m.room.canonical_alias",
				map[string]any{"alias": "#alices" + server, "alt_aliases": []string{"#bobs" + server}}, http.StatusOK)
			wantError(t, bob.Do(t, http.MethodDelete, dir("#alices"+server), nil), 403, "M_FORBIDDEN")
			alice.MustDo(t, http.MethodDelete, dir("#bobs"+server), nil, http.StatusOK)
			alice.MustDo(t, http.MethodDelete, dir("#alices"+server), nil, http.StatusOK)
			wantError(t, bob.Do(t, http.MethodGet, dir("#alices"+server), nil), 404, "M_NOT_FOUND")
			canonical := stateEvent(t, alice, roomID, "m.room.canonical_alias", "")
			_, hasAlias := canonical["alias"]
			if _, hasAlt := canonical["alt_aliases"]; hasAlias || hasAlt {
				t.Errorf("canonical alias still names deleted aliases: %v", canonical)
			}
		})

		t.Run("alias endpoints answer the spec's errors", func(t *testing.T) {
			tests := []struct {
				name   string
				client *testserver.Client
				method string
				path   string
				body   any
				status int
				code   string
			}{
				{"an alias of another server is M_INVALID_PARAM", alice, http.MethodPut, dir("#x:elsewhere.example"), map[string]any{"room_id": roomID}, 400, "M_INVALID_PARAM"},
				{"a malformed alias is M_INVALID_PARAM", alice, http.MethodPut, dir("nohash"), map[string]any{"room_id": roomID}, 400, "M_INVALID_PARAM"},
				{"a missing room_id is M_MISSING_PARAM", alice, http.MethodPut, dir("#new" + server), map[string]any{}, 400, "M_MISSING_PARAM"},
				{"an unknown room is M_NOT_FOUND", alice, http.MethodPut, dir("#new" + server), map[string]any{"room_id": "!nowhere" + server}, 404, "M_NOT_FOUND"},
				{"a non-member is M_FORBIDDEN", carol, http.MethodPut, dir("#new" + server), map[string]any{"room_id": roomID}, 403, "M_FORBIDDEN"},
				{"a body that is not JSON is M_NOT_JSON", alice, http.MethodPut, dir("#new" + server), "{", 400, "M_NOT_JSON"},
				{"resolving an unknown alias is M_NOT_FOUND", alice, http.MethodGet, dir("#unknown" + server), nil, 404, "M_NOT_FOUND"},
				{"deleting an unknown alias is M_NOT_FOUND", alice, http.MethodDelete, dir("#unknown" + server), nil, 404, "M_NOT_FOUND"},
				{"creating an alias without a token is M_MISSING_TOKEN", srv.Anonymous(), http.MethodPut, dir("#new" + server), map[string]any{"room_id": roomID}, 401, "M_MISSING_TOKEN"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, tt.client.Do(t, tt.method, tt.path, tt.body), tt.status, tt.code)
				})
			}
		})
	})
}

func TestPublishedRoomDirectory(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		busy := createRoom(t, alice, map[string]any{
			"visibility": "public", "name": "Busy Room", "topic": "lots of people", "room_alias_name": "busy",
			"initial_state": []map[string]any{{"type": "m.room.history_visibility", "content": map[string]any{"history_visibility": "world_readable"}}},
		})
		join(t, bob, busy)
		quiet := createRoom(t, alice, map[string]any{"visibility": "public", "name": "Quiet Room"})
		space := createRoom(t, alice, map[string]any{"visibility": "public", "name": "A Space", "creation_content": map[string]any{"type": "m.space"}})
		hidden := createRoom(t, alice, map[string]any{"name": "Hidden"})

		names := func(res map[string]any) []string {
			var out []string
			for _, c := range res["chunk"].([]any) {
				out = append(out, c.(map[string]any)["name"].(string))
			}
			return out
		}

		t.Run("the directory lists published rooms, the fullest first, with their summary", func(t *testing.T) {
			res := srv.Anonymous().MustDo(t, http.MethodGet, v3+"/publicRooms", nil, http.StatusOK)
			if got := names(res); len(got) != 3 || got[0] != "Busy Room" {
				t.Fatalf("rooms %v", got)
			}
			if res["total_room_count_estimate"] != float64(3) {
				t.Errorf("total %v", res["total_room_count_estimate"])
			}
			first := res["chunk"].([]any)[0].(map[string]any)
			want := map[string]any{
				"room_id": busy, "topic": "lots of people", "canonical_alias": "#busy:test.ocomms.local",
				"num_joined_members": float64(2), "world_readable": true, "guest_can_join": false, "join_rule": "public",
			}
			for k, v := range want {
				if first[k] != v {
					t.Errorf("%s = %v, want %v", k, first[k], v)
				}
			}
		})

		t.Run("pages link to each other", func(t *testing.T) {
			page1 := alice.MustDo(t, http.MethodGet, v3+"/publicRooms?limit=2", nil, http.StatusOK)
			next, _ := page1["next_batch"].(string)
			if len(names(page1)) != 2 || next == "" {
				t.Fatalf("first page %v", page1)
			}
			page2 := alice.MustDo(t, http.MethodPost, v3+"/publicRooms", map[string]any{"limit": 2, "since": next}, http.StatusOK)
			if len(names(page2)) != 1 || page2["prev_batch"] == nil || page2["next_batch"] != nil {
				t.Errorf("second page %v", page2)
			}
		})

		t.Run("filters match the search term and room types", func(t *testing.T) {
			res := alice.MustDo(t, http.MethodPost, v3+"/publicRooms", map[string]any{"filter": map[string]any{"generic_search_term": "quiet"}}, http.StatusOK)
			if got := names(res); len(got) != 1 || got[0] != "Quiet Room" {
				t.Errorf("search found %v", got)
			}
			res = alice.MustDo(t, http.MethodPost, v3+"/publicRooms", map[string]any{"filter": map[string]any{"room_types": []any{"m.space"}}}, http.StatusOK)
			if got := names(res); len(got) != 1 || got[0] != "A Space" {
				t.Errorf("space filter found %v", got)
			}
			if rt := res["chunk"].([]any)[0].(map[string]any)["room_type"]; rt != "m.space" {
				t.Errorf("room_type %v", rt)
			}
		})

		t.Run("a moderator publishes and unpublishes; others cannot", func(t *testing.T) {
			path := v3 + "/directory/list/room/" + esc(hidden)
			if vis := srv.Anonymous().MustDo(t, http.MethodGet, path, nil, http.StatusOK)["visibility"]; vis != "private" {
				t.Errorf("visibility %v", vis)
			}
			wantError(t, bob.Do(t, http.MethodPut, path, map[string]any{"visibility": "public"}), 403, "M_FORBIDDEN")
			alice.MustDo(t, http.MethodPut, path, map[string]any{"visibility": "public"}, http.StatusOK)
			if vis := alice.MustDo(t, http.MethodGet, path, nil, http.StatusOK)["visibility"]; vis != "public" {
				t.Errorf("visibility after publishing %v", vis)
			}
			alice.MustDo(t, http.MethodPut, v3+"/directory/list/room/"+esc(quiet), map[string]any{"visibility": "private"}, http.StatusOK)
			got := names(alice.MustDo(t, http.MethodGet, v3+"/publicRooms", nil, http.StatusOK))
			if slices.Contains(got, "Quiet Room") || !slices.Contains(got, "Hidden") {
				t.Errorf("directory after changes %v", got)
			}
			_ = space
		})

		t.Run("directory endpoints answer the spec's errors", func(t *testing.T) {
			unknown := v3 + "/directory/list/room/" + esc("!nowhere:test.ocomms.local")
			wantError(t, alice.Do(t, http.MethodGet, unknown, nil), 404, "M_NOT_FOUND")
			wantError(t, alice.Do(t, http.MethodPut, unknown, map[string]any{"visibility": "public"}), 404, "M_NOT_FOUND")
			wantError(t, alice.Do(t, http.MethodPut, v3+"/directory/list/room/"+esc(busy), map[string]any{"visibility": "loud"}), 400, "M_INVALID_PARAM")
			wantError(t, alice.Do(t, http.MethodPost, v3+"/publicRooms", map[string]any{"limit": "ten"}), 400, "M_BAD_JSON")
			wantError(t, alice.Do(t, http.MethodGet, v3+"/publicRooms?since=garbage", nil), 400, "M_INVALID_PARAM")
			wantError(t, srv.Anonymous().Do(t, http.MethodPost, v3+"/publicRooms", map[string]any{}), 401, "M_MISSING_TOKEN")
		})
	})
}
