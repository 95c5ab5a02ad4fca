package rooms_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestJoinAndKnockTakeViaServers(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		public := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		knockRoom := createRoom(t, alice, map[string]any{
			"room_version":  "10",
			"initial_state": []any{map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": "knock"}}},
		})
		unknown := esc("!nowhere:elsewhere.example")

		tests := []struct {
			name   string
			path   string
			status int
			code   string
		}{
			{"a join through valid via servers joins a known room", v3 + "/join/" + esc(public) + "?via=elsewhere.example&via=[::1]:8448", 200, ""},
			{"a knock through valid via servers knocks", v3 + "/knock/" + esc(knockRoom) + "?via=test.ocomms.local", 200, ""},
			{"the deprecated server_name still works", v3 + "/join/" + esc(public) + "?server_name=elsewhere.example", 200, ""},
			{"a via that is not a server name is M_INVALID_PARAM", v3 + "/join/" + esc(public) + "?via=bad_server", 400, "M_INVALID_PARAM"},
			{"one bad via among good ones is M_INVALID_PARAM", v3 + "/knock/" + esc(knockRoom) + "?via=good.example&via=a:b:c", 400, "M_INVALID_PARAM"},
			{"a bad server_name is M_INVALID_PARAM", v3 + "/knock/" + esc(knockRoom) + "?server_name=" + esc("no spaces"), 400, "M_INVALID_PARAM"},
			{"a join of a room of another server is M_NOT_FOUND", v3 + "/join/" + unknown + "?via=elsewhere.example", 404, "M_NOT_FOUND"},
			{"a knock on a room of another server is M_NOT_FOUND", v3 + "/knock/" + unknown + "?via=elsewhere.example", 404, "M_NOT_FOUND"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := bob.Do(t, http.MethodPost, tt.path, map[string]any{})
				if tt.code != "" {
					wantError(t, resp, tt.status, tt.code)
					return
				}
				if resp.Status != tt.status {
					t.Fatalf("got %d %s", resp.Status, resp.Body)
				}
			})
		}
		if got := membership(t, alice, public, bob.UserID); got != "join" {
			t.Errorf("bob's membership of the public room %q, want join", got)
		}
		if got := membership(t, alice, knockRoom, bob.UserID); got != "knock" {
			t.Errorf("bob's membership of the knock room %q, want knock", got)
		}
	})
}
