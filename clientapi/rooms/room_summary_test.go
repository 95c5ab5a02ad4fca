package rooms_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func summaryPath(target string) string { return v1 + "/room_summary/" + esc(target) }

func TestRoomSummary(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		cfg.Registration.GuestAccess = true
		srv := testserver.Start(t, cfg)
		alice, bob, carol := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol")
		anon := srv.Anonymous()
		res := anon.MustDo(t, http.MethodPost, v3+"/register?kind=guest", map[string]any{}, http.StatusOK)
		guest := srv.Anonymous()
		guest.AccessToken, _ = res["access_token"].(string)

		public := createRoom(t, alice, map[string]any{
			"preset": "public_chat", "room_alias_name": "summary", "name": "Lobby", "topic": "Say hi",
			"room_version": "11",
			"initial_state": []any{
				map[string]any{"type": "m.room.encryption", "state_key": "", "content": map[string]any{"algorithm": "m.megolm.v1.aes-sha2"}},
				map[string]any{"type": "m.room.avatar", "state_key": "", "content": map[string]any{"url": "mxc://test.ocomms.local/lobby"}},
				map[string]any{"type": "m.room.guest_access", "state_key": "", "content": map[string]any{"guest_access": "can_join"}},
			},
		})
		join(t, bob, public)
		private := createRoom(t, alice, map[string]any{"preset": "private_chat"})
		invite(t, alice, private, bob.UserID)
		knockable := createRoom(t, alice, map[string]any{"room_version": "10", "initial_state": []any{
			map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": "knock"}},
		}})
		carol.MustDo(t, http.MethodPost, v3+"/knock/"+esc(knockable), map[string]any{}, http.StatusOK)
		readable := createRoom(t, alice, map[string]any{"preset": "private_chat", "initial_state": []any{
			map[string]any{"type": "m.room.history_visibility", "state_key": "", "content": map[string]any{"history_visibility": "world_readable"}},
		}})
		space := newSpace(t, alice, "Team")
		join(t, bob, space)
		restricted := createRoom(t, alice, map[string]any{"preset": "private_chat", "initial_state": []any{map[string]any{
			"type": "m.room.join_rules", "state_key": "",
			"content": map[string]any{"join_rule": "restricted", "allow": []any{map[string]any{"type": "m.room_membership", "room_id": space}}},
		}}})

		t.Run("a non-member sees every field of a public room, by ID or alias", func(t *testing.T) {
			for _, target := range []string{public, "#summary:test.ocomms.local"} {
				got := carol.MustDo(t, http.MethodGet, summaryPath(target), nil, http.StatusOK)
				want := map[string]any{
					"room_id": public, "canonical_alias": "#summary:test.ocomms.local", "name": "Lobby", "topic": "Say hi",
					"avatar_url": "mxc://test.ocomms.local/lobby", "num_joined_members": float64(2), "join_rule": "public",
					"room_version": "11", "encryption": "m.megolm.v1.aes-sha2", "guest_can_join": true,
					"world_readable": false, "membership": "leave",
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s: %s = %v, want %v", target, k, got[k], v)
					}
				}
				if _, has := got["room_type"]; has {
					t.Errorf("a room without a type has room_type: %v", got)
				}
			}
		})

		t.Run("members get their membership and the room type", func(t *testing.T) {
			if got := bob.MustDo(t, http.MethodGet, summaryPath(public), nil, http.StatusOK)["membership"]; got != "join" {
				t.Errorf("bob's membership %v, want join", got)
			}
			got := bob.MustDo(t, http.MethodGet, summaryPath(space), nil, http.StatusOK)
			if got["room_type"] != "m.space" || got["membership"] != "join" {
				t.Errorf("space summary %v", got)
			}
		})

		t.Run("a restricted room names the rooms that let members in", func(t *testing.T) {
			got := bob.MustDo(t, http.MethodGet, summaryPath(restricted), nil, http.StatusOK)
			ids, _ := got["allowed_room_ids"].([]any)
			if got["join_rule"] != "restricted" || !slices.Equal(ids, []any{space}) {
				t.Errorf("restricted summary %v", got)
			}
		})

		t.Run("the hierarchy carries encryption and room_version too", func(t *testing.T) {
			addChild(t, alice, space, public, nil)
			h := alice.MustDo(t, http.MethodGet, v1+"/rooms/"+esc(space)+"/hierarchy", nil, http.StatusOK)
			for _, r := range h["rooms"].([]any) {
				room := r.(map[string]any)
				if room["room_id"] == public && (room["encryption"] != "m.megolm.v1.aes-sha2" || room["room_version"] != "11") {
					t.Errorf("hierarchy chunk %v", room)
				}
			}
		})

		tests := []struct {
			name           string
			client         *testserver.Client
			target         string
			query          string
			status         int
			code           string
			wantMembership any
		}{
			{"an invitee sees a private room", bob, private, "", 200, "", "invite"},
			{"a knocker sees the room", carol, knockable, "", 200, "", "knock"},
			{"a member of an allowed room sees a restricted room", bob, restricted, "", 200, "", "leave"},
			{"a guest sees a public room", guest, public, "", 200, "", "leave"},
			{"anyone sees a public room without a token, without membership", anon, public, "", 200, "", nil},
			{"anyone sees a knockable room without a token", anon, knockable, "", 200, "", nil},
			{"anyone sees a world-readable room without a token", anon, readable, "", 200, "", nil},
			{"an outsider of a private room gets M_NOT_FOUND", carol, private, "", 404, "M_NOT_FOUND", nil},
			{"a private room without a token is M_NOT_FOUND", anon, private, "", 404, "M_NOT_FOUND", nil},
			{"an outsider of a restricted room gets M_NOT_FOUND", carol, restricted, "", 404, "M_NOT_FOUND", nil},
			{"an unknown room is M_NOT_FOUND", carol, "!nowhere:elsewhere.example", "?via=elsewhere.example", 404, "M_NOT_FOUND", nil},
			{"an unknown alias is M_NOT_FOUND", carol, "#nothing:test.ocomms.local", "", 404, "M_NOT_FOUND", nil},
			{"a target that is no room ID or alias is M_INVALID_PARAM", carol, "nonsense", "", 400, "M_INVALID_PARAM", nil},
			{"a via that is not a server name is M_INVALID_PARAM", carol, public, "?via=bad_server", 400, "M_INVALID_PARAM", nil},
			{"an invalid token is M_UNKNOWN_TOKEN", &testserver.Client{BaseURL: srv.URL, AccessToken: "nope", HTTP: http.DefaultClient}, public, "", 401, "M_UNKNOWN_TOKEN", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := tt.client.Do(t, http.MethodGet, summaryPath(tt.target)+tt.query, nil)
				if tt.code != "" {
					wantError(t, resp, tt.status, tt.code)
					return
				}
				if resp.Status != tt.status {
					t.Fatalf("got %d %s", resp.Status, resp.Body)
				}
				got := resp.Map(t)
				if got["room_id"] != tt.target || got["membership"] != tt.wantMembership {
					t.Errorf("summary %v, want room %s and membership %v", got, tt.target, tt.wantMembership)
				}
			})
		}
	})
}
