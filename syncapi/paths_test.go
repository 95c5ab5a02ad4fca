package syncapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// Room version 3 event IDs are standard base64, so "/" and "+" occur in
// them; every endpoint taking an event ID must read it back intact.
func TestEventIDsWithSlashAndPlus(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, map[string]any{"room_version": "3"})
		found := map[string]string{}
		var last string
		for i := 0; i < 200 && len(found) < 2; i++ {
			last = send(t, alice, roomID, fmt.Sprintf("txn%d", i), "hello")
			for _, c := range []string{"/", "+"} {
				if _, ok := found[c]; !ok && strings.Contains(last, c) {
					found[c] = last
				}
			}
		}
		if len(found) < 2 {
			t.Fatalf("no event IDs with both / and + among 200 events: %v", found)
		}
		waitForEvent(t, alice, "", roomID, last)
		for c, eventID := range found {
			t.Run("an event ID with "+c, func(t *testing.T) {
				res := alice.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc(eventID), nil, http.StatusOK)
				if res["event_id"] != eventID {
					t.Fatalf("GET event %s returned %v", eventID, res["event_id"])
				}
				res = alice.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/context/"+esc(eventID), nil, http.StatusOK)
				if ev, _ := res["event"].(map[string]any); ev["event_id"] != eventID {
					t.Fatalf("context of %s centred on %v", eventID, ev["event_id"])
				}
				res = alice.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/redact/"+esc(eventID)+"/"+esc("redact/"+c), map[string]any{}, http.StatusOK)
				if res["event_id"] == "" {
					t.Fatalf("redaction of %s returned no event ID: %v", eventID, res)
				}
			})
		}
		t.Run("an unknown event ID with a slash is not found", func(t *testing.T) {
			resp := alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc("$no/such+event"), nil)
			wantError(t, resp, http.StatusNotFound, "M_NOT_FOUND")
		})
	})
}
