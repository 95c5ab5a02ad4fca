package receipts_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

const v3 = "/_matrix/client/v3"

func esc(s string) string { return url.PathEscape(s) }

func createRoom(t *testing.T, c *testserver.Client) string {
	t.Helper()
	res := c.MustDo(t, http.MethodPost, v3+"/createRoom", map[string]any{"preset": "public_chat"}, http.StatusOK)
	roomID, _ := res["room_id"].(string)
	return roomID
}

func send(t *testing.T, c *testserver.Client, roomID, txnID string) string {
	t.Helper()
	res := c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/"+txnID,
		map[string]any{"msgtype": "m.text", "body": "hi"}, http.StatusOK)
	eventID, _ := res["event_id"].(string)
	return eventID
}

func TestPostReceiptAcceptsEveryReadReceiptForm(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice)
		eventID := send(t, alice, roomID, "t1")
		path := func(rt string) string { return "/rooms/" + esc(roomID) + "/receipt/" + rt + "/" + esc(eventID) }
		for _, tt := range []struct {
			name, version, receiptType string
			body                       any
		}{
			{"an unthreaded read receipt", "v3", "m.read", map[string]any{}},
			{"a receipt of the main timeline", "v3", "m.read", map[string]any{"thread_id": "main"}},
			{"a receipt of a thread", "v3", "m.read", map[string]any{"thread_id": eventID}},
			{"a private receipt", "v3", "m.read.private", map[string]any{}},
			{"the read marker", "v3", "m.fully_read", map[string]any{}},
			{"a receipt without a body from an older client", "r0", "m.read", nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := alice.MustDo(t, http.MethodPost, "/_matrix/client/"+tt.version+path(tt.receiptType), tt.body, http.StatusOK)
				if len(res) != 0 {
					t.Errorf("response = %v, want {}", res)
				}
			})
		}
	})
}

func TestPostReceiptRejectsBadRequests(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "eve")
		roomID := createRoom(t, alice)
		otherRoom := createRoom(t, alice)
		eventID := send(t, alice, roomID, "t1")
		otherEvent := send(t, alice, otherRoom, "t2")
		for _, tt := range []struct {
			name       string
			c          *testserver.Client
			room, rt   string
			event      string
			body       any
			wantStatus int
			wantCode   string
		}{
			{"an unknown receipt type", alice, roomID, "m.seen", eventID, map[string]any{}, 400, "M_INVALID_PARAM"},
			{"a threaded read marker", alice, roomID, "m.fully_read", eventID, map[string]any{"thread_id": "main"}, 400, "M_INVALID_PARAM"},
			{"a thread_id that is not a string", alice, roomID, "m.read", eventID, map[string]any{"thread_id": 5}, 400, "M_INVALID_PARAM"},
			{"an empty thread_id", alice, roomID, "m.read", eventID, map[string]any{"thread_id": ""}, 400, "M_INVALID_PARAM"},
			{"a thread_id that is no event ID", alice, roomID, "m.read", eventID, map[string]any{"thread_id": "thread"}, 400, "M_INVALID_PARAM"},
			{"a body that is not JSON", alice, roomID, "m.read", eventID, "{", 400, "M_NOT_JSON"},
			{"a malformed room ID", alice, "room", "m.read", eventID, map[string]any{}, 400, "M_INVALID_PARAM"},
			{"a malformed event ID", alice, roomID, "m.read", "event", map[string]any{}, 400, "M_INVALID_PARAM"},
			{"a user not in the room", eve, roomID, "m.read", eventID, map[string]any{}, 403, "M_FORBIDDEN"},
			{"an unknown event", alice, roomID, "m.read", "$unknown:test.ocomms.local", map[string]any{}, 404, "M_NOT_FOUND"},
			{"an event of another room", alice, roomID, "m.read", otherEvent, map[string]any{}, 404, "M_NOT_FOUND"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp := tt.c.Do(t, http.MethodPost, v3+"/rooms/"+esc(tt.room)+"/receipt/"+tt.rt+"/"+esc(tt.event), tt.body)
				if resp.Status != tt.wantStatus || resp.Errcode() != tt.wantCode {
					t.Errorf("got %d %s (%s), want %d %s", resp.Status, resp.Errcode(), resp.Body, tt.wantStatus, tt.wantCode)
				}
			})
		}
	})
}

func TestPostReceiptNeedsAnAccessToken(t *testing.T) {
	srv := testserver.Start(t, testserver.Config(t, testserver.Backends()[0]))
	resp := srv.Anonymous().Do(t, http.MethodPost, v3+"/rooms/"+esc("!r:test.ocomms.local")+"/receipt/m.read/"+esc("$e:test.ocomms.local"), map[string]any{})
	if resp.Status != http.StatusUnauthorized || resp.Errcode() != "M_MISSING_TOKEN" {
		t.Errorf("got %d %s, want 401 M_MISSING_TOKEN", resp.Status, resp.Errcode())
	}
}
