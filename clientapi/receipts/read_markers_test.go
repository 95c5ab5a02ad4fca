package receipts_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

// markersInSync syncs until the room's m.fully_read names fullyRead and
// an m.read receipt of the user names read.
func markersInSync(t *testing.T, c *testserver.Client, roomID, fullyRead, read string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := c.Do(t, http.MethodGet, v3+"/sync?"+url.Values{"timeout": {"0"}}.Encode(), nil)
		var body struct {
			Rooms struct {
				Join map[string]json.RawMessage `json:"join"`
			} `json:"rooms"`
		}
		resp.JSON(t, &body)
		var room struct {
			AccountData struct {
				Events []struct {
					Type    string `json:"type"`
					Content struct {
						EventID string `json:"event_id"`
					} `json:"content"`
				} `json:"events"`
			} `json:"account_data"`
			Ephemeral struct {
				Events []struct {
					Type    string                               `json:"type"`
					Content map[string]map[string]map[string]any `json:"content"`
				} `json:"events"`
			} `json:"ephemeral"`
		}
		_ = json.Unmarshal(body.Rooms.Join[roomID], &room)
		gotMarker, gotRead := false, false
		for _, ev := range room.AccountData.Events {
			gotMarker = gotMarker || (ev.Type == "m.fully_read" && ev.Content.EventID == fullyRead)
		}
		for _, ev := range room.Ephemeral.Events {
			if ev.Type == "m.receipt" {
				_, gotRead = ev.Content[read]["m.read"][c.UserID]
			}
		}
		if gotMarker && gotRead {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync never showed m.fully_read %s and m.read %s: %s", fullyRead, read, body.Rooms.Join[roomID])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReadMarkersSetTheFullyReadMarkerAndTheReceipts(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice)
		first, second := send(t, alice, roomID, "t1"), send(t, alice, roomID, "t2")
		path := v3 + "/rooms/" + esc(roomID) + "/read_markers"

		alice.MustDo(t, http.MethodPost, path, map[string]any{"m.fully_read": first, "m.read": second, "m.read.private": second}, http.StatusOK)
		markersInSync(t, alice, roomID, first, second)
		got := alice.MustDo(t, http.MethodGet, v3+"/user/"+esc(alice.UserID)+"/rooms/"+esc(roomID)+"/account_data/m.fully_read", nil, http.StatusOK)
		if got["event_id"] != first {
			t.Errorf("m.fully_read account data = %v, want %s", got, first)
		}

		// The receipt endpoint moves the read marker too.
		alice.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/receipt/m.fully_read/"+esc(second), map[string]any{}, http.StatusOK)
		got = alice.MustDo(t, http.MethodGet, v3+"/user/"+esc(alice.UserID)+"/rooms/"+esc(roomID)+"/account_data/m.fully_read", nil, http.StatusOK)
		if got["event_id"] != second {
			t.Errorf("m.fully_read after the receipt endpoint = %v, want %s", got, second)
		}
		// Every field is optional.
		alice.MustDo(t, http.MethodPost, path, map[string]any{}, http.StatusOK)
	})
}

func TestReadMarkersRefuseBadRequestsAndChangeNothing(t *testing.T) {
	srv := testserver.Start(t, testserver.Config(t, testserver.Backends()[0]))
	alice, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "eve")
	roomID := createRoom(t, alice)
	eventID := send(t, alice, roomID, "t1")
	path := v3 + "/rooms/" + esc(roomID) + "/read_markers"
	tests := []struct {
		name   string
		c      *testserver.Client
		path   string
		body   any
		status int
		code   string
	}{
		{"a user not in the room", eve, path, map[string]any{"m.fully_read": eventID}, 403, "M_FORBIDDEN"},
		{"an event of no room", alice, path, map[string]any{"m.fully_read": eventID, "m.read": "$unknown:test.ocomms.local"}, 404, "M_NOT_FOUND"},
		{"a malformed event ID", alice, path, map[string]any{"m.read": "nope"}, 400, "M_INVALID_PARAM"},
		{"an event ID of the wrong type", alice, path, map[string]any{"m.read": 7}, 400, "M_BAD_JSON"},
		{"a malformed room ID", alice, v3 + "/rooms/nope/read_markers", map[string]any{}, 400, "M_INVALID_PARAM"},
		{"no access token", srv.Anonymous(), path, map[string]any{}, 401, "M_MISSING_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.c.Do(t, http.MethodPost, tt.path, tt.body)
			if resp.Status != tt.status || resp.Errcode() != tt.code {
				t.Fatalf("got %d %s (%s), want %d %s", resp.Status, resp.Errcode(), resp.Body, tt.status, tt.code)
			}
		})
	}
	// The refused requests stored no read marker.
	resp := alice.Do(t, http.MethodGet, v3+"/user/"+esc(alice.UserID)+"/rooms/"+esc(roomID)+"/account_data/m.fully_read", nil)
	if resp.Status != http.StatusNotFound {
		t.Errorf("a read marker was stored by a refused request: %d %s", resp.Status, resp.Body)
	}
}
