package syncapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

// deactivate deactivates c's account through user-interactive auth with
// its password.
func deactivate(t *testing.T, c *testserver.Client, localpart string, erase bool) {
	t.Helper()
	path := "/_matrix/client/v3/account/deactivate"
	session, _ := c.MustDo(t, http.MethodPost, path, map[string]any{}, http.StatusUnauthorized)["session"].(string)
	c.MustDo(t, http.MethodPost, path, map[string]any{
		"erase": erase,
		"auth": map[string]any{
			"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": localpart},
			"password": "password-" + localpart, "session": session,
		},
	}, http.StatusOK)
}

// eventBody is the body of the event as c gets it from /event.
func eventBody(t *testing.T, c *testserver.Client, roomID, eventID string) (string, bool) {
	t.Helper()
	var ev clientEvent
	getJSON(t, c, "/_matrix/client/v3/rooms/"+esc(roomID)+"/event/"+esc(eventID), &ev)
	b, ok := ev.Content["body"].(string)
	return b, ok
}

// eventuallyBody waits until c's /event answers the body state want (the
// erasure reaches the sync API asynchronously).
func eventuallyBody(t *testing.T, c *testserver.Client, roomID, eventID string, wantBody bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// 404 until the sync API has read c's join.
		if resp := c.Do(t, http.MethodGet, "/_matrix/client/v3/rooms/"+esc(roomID)+"/event/"+esc(eventID), nil); resp.Status == http.StatusOK {
			var ev clientEvent
			resp.JSON(t, &ev)
			if _, ok := ev.Content["body"].(string); ok == wantBody {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: event %s has body %v, want %v", c.UserID, eventID, !wantBody, wantBody)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestErasedUsersEventsAreRedactedForLaterJoiners(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, carol := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol")
		dave, erin := srv.NewUser(t, "dave"), srv.NewUser(t, "erin")

		erased := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, erased)
		secret := send(t, alice, erased, "t1", "secret")
		bobsOwn := send(t, bob, erased, "t2", "bob speaks")
		alice.MustDo(t, http.MethodPut, "/_matrix/client/v3/user/"+esc(alice.UserID)+"/account_data/org.example.a",
			map[string]any{"k": "v"}, http.StatusOK)

		kept := createRoom(t, dave, map[string]any{"preset": "public_chat"})
		plain := send(t, dave, kept, "t1", "not erased")

		deactivate(t, alice, "alice", true)
		deactivate(t, dave, "dave", false)
		join(t, carol, erased)
		join(t, erin, kept)

		eventuallyBody(t, carol, erased, secret, false)
		eventuallyBody(t, erin, kept, plain, true)
		t.Run("/event", func(t *testing.T) {
			if body, ok := eventBody(t, bob, erased, secret); !ok || body != "secret" {
				t.Errorf("bob, joined when it was sent, got body %q", body)
			}
			if _, ok := eventBody(t, carol, erased, bobsOwn); !ok {
				t.Error("bob's own event is redacted for carol")
			}
			if _, ok := eventBody(t, erin, kept, plain); !ok {
				t.Error("deactivation without erase redacted the event")
			}
		})
		t.Run("/messages", func(t *testing.T) {
			var resp struct {
				Chunk []clientEvent `json:"chunk"`
			}
			getJSON(t, carol, "/_matrix/client/v3/rooms/"+esc(erased)+"/messages?dir=b&limit=50", &resp)
			checkErased(t, resp.Chunk, secret, alice.UserID)
			getJSON(t, bob, "/_matrix/client/v3/rooms/"+esc(erased)+"/messages?dir=b&limit=50", &resp)
			if got := bodies(resp.Chunk); len(got) != 2 {
				t.Errorf("bob's /messages bodies %v, want both messages", got)
			}
		})
		t.Run("/context", func(t *testing.T) {
			var resp struct {
				Event        clientEvent   `json:"event"`
				EventsBefore []clientEvent `json:"events_before"`
				EventsAfter  []clientEvent `json:"events_after"`
			}
			getJSON(t, carol, "/_matrix/client/v3/rooms/"+esc(erased)+"/context/"+esc(bobsOwn)+"?limit=10", &resp)
			checkErased(t, resp.EventsBefore, secret, alice.UserID)
		})
		t.Run("/sync", func(t *testing.T) {
			s := sync(t, carol, url.Values{"filter": {`{"room":{"timeline":{"limit":50}}}`}})
			checkErased(t, s.Rooms.Join[erased].Timeline.Events, secret, alice.UserID)
			for _, e := range s.Rooms.Join[erased].State.Events {
				if e.Sender == alice.UserID && e.Type == "m.room.join_rules" && e.Content["join_rule"] != "public" {
					t.Errorf("redacted join rules lost what redaction keeps: %v", e.Content)
				}
			}
		})
	})
}

// checkErased fails unless evs holds the event, redacted.
func checkErased(t *testing.T, evs []clientEvent, eventID, sender string) {
	t.Helper()
	for _, e := range evs {
		if e.EventID != eventID {
			continue
		}
		if e.Sender != sender || len(e.Content) != 0 {
			t.Errorf("erased event %s served as %v", eventID, e)
		}
		return
	}
	t.Errorf("erased event %s missing from %d events", eventID, len(evs))
}
