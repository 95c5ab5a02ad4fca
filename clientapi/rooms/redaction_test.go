package rooms_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

// eventUntil reads an event until check accepts it: /event is served from
// the roomserver's output stream, a moment after the send.
func eventUntil(t *testing.T, c *testserver.Client, roomID, eventID string, check func(map[string]any) bool) map[string]any {
	t.Helper()
	path := v3 + "/rooms/" + esc(roomID) + "/event/" + esc(eventID)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp := c.Do(t, http.MethodGet, path, nil)
		if resp.Status == http.StatusOK {
			if ev := resp.Map(t); check(ev) {
				return ev
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s: last answer %d %s", eventID, resp.Status, resp.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRedactionsSentThroughSend(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")

		for _, tt := range []struct {
			version          string
			redactsInContent bool
		}{{"10", false}, {"11", true}, {"12", true}} {
			t.Run("room version "+tt.version+" redacts the event idempotently", func(t *testing.T) {
				roomID := createRoom(t, alice, map[string]any{"preset": "public_chat", "room_version": tt.version})
				join(t, bob, roomID)
				target := sendMessage(t, bob, roomID, "m-"+tt.version, "oops")
				path := v3 + "/rooms/" + esc(roomID) + "/send/m.room.redaction/r-" + tt.version
				body := map[string]any{"redacts": target, "reason": "typo"}
				first := bob.MustDo(t, http.MethodPut, path, body, http.StatusOK)["event_id"].(string)
				if again := bob.MustDo(t, http.MethodPut, path, body, http.StatusOK)["event_id"]; again != first {
					t.Errorf("retried redaction made %v, want %s", again, first)
				}
				redaction := eventUntil(t, bob, roomID, first, func(map[string]any) bool { return true })
				content := redaction["content"].(map[string]any)
				if redaction["type"] != "m.room.redaction" || content["reason"] != "typo" {
					t.Errorf("redaction event %v", redaction)
				}
				if inContent := content["redacts"] == target; inContent != tt.redactsInContent {
					t.Errorf("content.redacts %v in version %s", content["redacts"], tt.version)
				}
				if !tt.redactsInContent && redaction["redacts"] != target {
					t.Errorf("top-level redacts %v, want %s", redaction["redacts"], target)
				}
				eventUntil(t, bob, roomID, target, func(ev map[string]any) bool {
					return len(ev["content"].(map[string]any)) == 0
				})

				others := sendMessage(t, alice, roomID, "a-"+tt.version, "mine")
				resp := bob.Do(t, http.MethodPut, path+"-x", map[string]any{"redacts": others})
				wantError(t, resp, 403, "M_FORBIDDEN")
			})
		}

		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		send := v3 + "/rooms/" + esc(roomID) + "/send/m.room.redaction/"
		tests := []struct {
			name   string
			body   any
			status int
			code   string
		}{
			{"a redaction without redacts is M_MISSING_PARAM", map[string]any{"reason": "x"}, 400, "M_MISSING_PARAM"},
			{"a redacts that is not a string is M_BAD_JSON", map[string]any{"redacts": 1}, 400, "M_BAD_JSON"},
			{"a redacts that is not an event ID is M_INVALID_PARAM", map[string]any{"redacts": "nope"}, 400, "M_INVALID_PARAM"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, alice.Do(t, http.MethodPut, send+"bad-"+string(rune('a'+i)), tt.body), tt.status, tt.code)
			})
		}
	})
}
