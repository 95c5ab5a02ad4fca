package syncapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

type notificationsResp struct {
	NextToken     string `json:"next_token"`
	Notifications []struct {
		Actions []any       `json:"actions"`
		Event   clientEvent `json:"event"`
		Read    bool        `json:"read"`
		RoomID  string      `json:"room_id"`
		TS      int64       `json:"ts"`
	} `json:"notifications"`
}

func notifications(t *testing.T, c *testserver.Client, q url.Values) notificationsResp {
	t.Helper()
	var out notificationsResp
	resp := c.Do(t, http.MethodGet, v3+"/notifications?"+q.Encode(), nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /notifications?%s: %d %s", q.Encode(), resp.Status, resp.Body)
	}
	resp.JSON(t, &out)
	return out
}

func TestNotificationsListNewestFirstWithHighlightsAndPages(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, roomID, first, _, bobTok := twoInRoom(t, srv)
		mention := sendContent(t, alice, roomID, "mention", map[string]any{
			"msgtype": "m.text", "body": "bob, look", "m.mentions": map[string]any{"user_ids": []string{bob.UserID}},
		})
		last := send(t, alice, roomID, "last", "bye")
		waitForEvent(t, bob, bobTok, roomID, last)
		postReceipt(t, bob, roomID, "m.read", first, nil)

		// The receipt reaches the sync API through the bus.
		var all notificationsResp
		deadline := time.Now().Add(10 * time.Second)
		for {
			all = notifications(t, bob, nil)
			if n := len(all.Notifications); n == 3 && all.Notifications[2].Read || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(all.Notifications) != 3 || all.NextToken != "" {
			t.Fatalf("notifications = %+v", all)
		}
		wantIDs := []string{last, mention, first}
		for i, n := range all.Notifications {
			if n.Event.EventID != wantIDs[i] || n.RoomID != roomID || n.TS == 0 || len(n.Actions) == 0 || n.Actions[0] != "notify" {
				t.Errorf("notification %d = %+v, want %s", i, n, wantIDs[i])
			}
			if wantRead := n.Event.EventID == first; n.Read != wantRead {
				t.Errorf("notification of %s read = %v, want %v", n.Event.EventID, n.Read, wantRead)
			}
		}

		hl := notifications(t, bob, url.Values{"only": {"highlight"}})
		if len(hl.Notifications) != 1 || hl.Notifications[0].Event.EventID != mention {
			t.Fatalf("only=highlight = %+v", hl)
		}

		var paged []string
		q := url.Values{"limit": {"2"}}
		for range 3 {
			page := notifications(t, bob, q)
			for _, n := range page.Notifications {
				paged = append(paged, n.Event.EventID)
			}
			if page.NextToken == "" {
				break
			}
			q.Set("from", page.NextToken)
		}
		if mustJSON(t, paged) != mustJSON(t, wantIDs) {
			t.Fatalf("paged = %v, want %v", paged, wantIDs)
		}
		// Alice's own messages never notify her.
		if own := notifications(t, alice, nil); len(own.Notifications) != 0 {
			t.Errorf("alice's notifications = %+v", own)
		}
		wantError(t, bob.Do(t, http.MethodGet, v3+"/notifications?from=nope", nil), http.StatusBadRequest, "M_INVALID_PARAM")
	})
}
