package syncapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

// originTS reads an event's origin_server_ts as c sees it.
func originTS(t *testing.T, c *testserver.Client, roomID, eventID string) int64 {
	t.Helper()
	var ev struct {
		OriginServerTS int64 `json:"origin_server_ts"`
	}
	resp := c.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc(eventID), nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("event %s: %d %s", eventID, resp.Status, resp.Body)
	}
	resp.JSON(t, &ev)
	return ev.OriginServerTS
}

// nextMillisecond waits until the wall clock is past ts, so the next
// event sent has a later origin_server_ts than every event before it.
func nextMillisecond(t *testing.T, ts int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().UnixMilli() <= ts {
		if time.Now().After(deadline) {
			t.Fatal("the clock did not advance")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTimestampToEventFindsTheClosestVisibleEvent(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "eve")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		hv := setState(t, alice, roomID, "m.room.history_visibility", "", map[string]any{"history_visibility": "joined"})
		waitForEvent(t, alice, "", roomID, hv)
		hvTS := originTS(t, alice, roomID, hv)
		nextMillisecond(t, hvTS)

		first := send(t, alice, roomID, "t1", "first")
		waitForEvent(t, alice, "", roomID, first)
		t1 := originTS(t, alice, roomID, first)
		nextMillisecond(t, t1)
		join(t, bob, roomID)
		second := send(t, alice, roomID, "t2", "second")
		waitForEvent(t, alice, "", roomID, second)
		t2 := originTS(t, alice, roomID, second)

		lookup := func(c *testserver.Client, ts int64, dir string) *testserver.ClientResponse {
			return c.Do(t, http.MethodGet, fmt.Sprintf("%s/rooms/%s/timestamp_to_event?ts=%d&dir=%s", v1, esc(roomID), ts, dir), nil)
		}
		tests := []struct {
			name   string
			c      *testserver.Client
			ts     int64
			dir    string
			wantID string
			wantTS int64
		}{
			{"forwards from an event's own time", alice, t1, "f", first, t1},
			{"backwards from an event's own time", alice, t1, "b", first, t1},
			{"backwards from just before the first", alice, t1 - 1, "b", hv, hvTS},
			{"backwards from after everything", alice, t2 + 60_000, "b", second, t2},
			{"a member who joined later, from after everything", bob, t2 + 60_000, "b", second, t2},
			// The first message was sent while only joined members could
			// see history, before bob joined; the change of visibility
			// itself was still shared with future members.
			{"a member who joined later, past history hidden from him", bob, t1, "b", hv, hvTS},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := lookup(tt.c, tt.ts, tt.dir)
				var got struct {
					EventID        string `json:"event_id"`
					OriginServerTS int64  `json:"origin_server_ts"`
				}
				resp.JSON(t, &got)
				if resp.Status != http.StatusOK || got.EventID != tt.wantID || got.OriginServerTS != tt.wantTS {
					t.Errorf("got %d %s, want %s at %d", resp.Status, resp.Body, tt.wantID, tt.wantTS)
				}
			})
		}
		// Forwards from just after the first event the next is bob's
		// join or the second message, whichever came first; never the first.
		var next struct {
			EventID string `json:"event_id"`
		}
		lookup(alice, t1+1, "f").JSON(t, &next)
		if next.EventID == first || next.EventID == "" {
			t.Errorf("forwards from after the first event found %q", next.EventID)
		}

		base := v1 + "/rooms/" + esc(roomID) + "/timestamp_to_event"
		errs := []struct {
			name   string
			c      *testserver.Client
			path   string
			status int
			code   string
		}{
			{"nothing after the last event", alice, fmt.Sprintf("%s?ts=%d&dir=f", base, t2+60_000), 404, "M_NOT_FOUND"},
			{"nothing before the room", alice, base + "?ts=1&dir=b", 404, "M_NOT_FOUND"},
			{"a user who was never in the room", eve, fmt.Sprintf("%s?ts=%d&dir=b", base, t2), 403, "M_FORBIDDEN"},
			{"no ts", alice, base + "?dir=f", 400, "M_MISSING_PARAM"},
			{"a ts that is not a number", alice, base + "?ts=yesterday&dir=f", 400, "M_INVALID_PARAM"},
			{"no dir", alice, base + "?ts=1", 400, "M_MISSING_PARAM"},
			{"an unknown dir", alice, base + "?ts=1&dir=up", 400, "M_INVALID_PARAM"},
			{"anonymously", srv.Anonymous(), base + "?ts=1&dir=f", 401, "M_MISSING_TOKEN"},
			{"under v3, where the spec does not put it", alice, v3 + "/rooms/" + esc(roomID) + "/timestamp_to_event?ts=1&dir=f", 404, "M_UNRECOGNIZED"},
		}
		for _, tt := range errs {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.c.Do(t, http.MethodGet, tt.path, nil), tt.status, tt.code)
			})
		}
	})
}
