package rooms_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

const v3 = "/_matrix/client/v3"

// start runs a test server on the backend.
func start(t *testing.T, b testserver.Backend) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Config(t, b))
}

// esc escapes one path segment (room IDs, aliases, event IDs, user IDs).
func esc(s string) string { return url.PathEscape(s) }

// createRoom creates a room and returns its ID.
func createRoom(t *testing.T, c *testserver.Client, body map[string]any) string {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	res := c.MustDo(t, http.MethodPost, v3+"/createRoom", body, http.StatusOK)
	roomID, _ := res["room_id"].(string)
	if roomID == "" {
		t.Fatalf("createRoom returned no room_id: %v", res)
	}
	return roomID
}

// join joins the room and fails the test if that fails.
func join(t *testing.T, c *testserver.Client, roomID string) {
	t.Helper()
	c.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/join", map[string]any{}, http.StatusOK)
}

// invite invites the user and fails the test if that fails.
func invite(t *testing.T, c *testserver.Client, roomID, userID string) {
	t.Helper()
	c.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/invite", map[string]any{"user_id": userID}, http.StatusOK)
}

// stateEvent reads one state event's content as the user sees it.
func stateEvent(t *testing.T, c *testserver.Client, roomID, evType, stateKey string) map[string]any {
	t.Helper()
	return c.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/state/"+esc(evType)+"/"+esc(stateKey), nil, http.StatusOK)
}

// fullState reads the whole room state as the user sees it.
func fullState(t *testing.T, c *testserver.Client, roomID string) []map[string]any {
	t.Helper()
	resp := c.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/state", nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET state: %d %s", resp.Status, resp.Body)
	}
	var evs []map[string]any
	resp.JSON(t, &evs)
	return evs
}

// membership is the user's membership in the room as the state says.
func membership(t *testing.T, c *testserver.Client, roomID, userID string) string {
	t.Helper()
	resp := c.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/state/m.room.member/"+esc(userID), nil)
	if resp.Status == http.StatusNotFound {
		return ""
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("GET member state: %d %s", resp.Status, resp.Body)
	}
	m, _ := resp.Map(t)["membership"].(string)
	return m
}

// wantError checks a response's status and errcode.
func wantError(t *testing.T, resp *testserver.ClientResponse, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Errcode() != code {
		t.Fatalf("got %d %s (%s), want %d %s", resp.Status, resp.Errcode(), resp.Body, status, code)
	}
}

// sendMessage sends an m.room.message and returns its event ID.
func sendMessage(t *testing.T, c *testserver.Client, roomID, txnID, body string) string {
	t.Helper()
	res := c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/"+esc(txnID),
		map[string]any{"msgtype": "m.text", "body": body}, http.StatusOK)
	eventID, _ := res["event_id"].(string)
	if eventID == "" {
		t.Fatalf("send returned no event_id: %v", res)
	}
	return eventID
}
