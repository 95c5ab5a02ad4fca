package syncapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

const v3 = "/_matrix/client/v3"

func start(t *testing.T, b testserver.Backend) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Config(t, b))
}

func esc(s string) string { return url.PathEscape(s) }

// syncResp is the part of a /sync response the tests read.
type syncResp struct {
	NextBatch string `json:"next_batch"`
	Rooms     struct {
		Join   map[string]roomResp `json:"join"`
		Invite map[string]struct {
			InviteState struct {
				Events []clientEvent `json:"events"`
			} `json:"invite_state"`
		} `json:"invite"`
		Leave map[string]roomResp `json:"leave"`
		Knock map[string]struct {
			KnockState struct {
				Events []clientEvent `json:"events"`
			} `json:"knock_state"`
		} `json:"knock"`
	} `json:"rooms"`
}

type roomResp struct {
	Timeline struct {
		Events    []clientEvent `json:"events"`
		Limited   bool          `json:"limited"`
		PrevBatch string        `json:"prev_batch"`
	} `json:"timeline"`
	State struct {
		Events []clientEvent `json:"events"`
	} `json:"state"`
	Summary   map[string]any `json:"summary"`
	Ephemeral struct {
		Events []clientEvent `json:"events"`
	} `json:"ephemeral"`
	UnreadNotifications       *unreadResp           `json:"unread_notifications"`
	UnreadThreadNotifications map[string]unreadResp `json:"unread_thread_notifications"`
}

type unreadResp struct {
	Highlight    int `json:"highlight_count"`
	Notification int `json:"notification_count"`
}

type clientEvent struct {
	EventID  string         `json:"event_id"`
	Type     string         `json:"type"`
	Sender   string         `json:"sender"`
	StateKey *string        `json:"state_key"`
	RoomID   string         `json:"room_id"`
	Content  map[string]any `json:"content"`
	Unsigned map[string]any `json:"unsigned"`
}

func (r roomResp) timelineTypes() []string {
	var out []string
	for _, e := range r.Timeline.Events {
		out = append(out, e.Type)
	}
	return out
}

func (r roomResp) stateHas(evType, stateKey string) bool {
	for _, e := range r.State.Events {
		if e.Type == evType && e.StateKey != nil && *e.StateKey == stateKey {
			return true
		}
	}
	return false
}

// sync calls /sync with the given query and fails unless it answers 200.
func sync(t *testing.T, c *testserver.Client, query url.Values) syncResp {
	t.Helper()
	return syncAs[syncResp](t, c, query)
}

// syncAs is sync decoding the parts of the response a test reads into T.
func syncAs[T any](t *testing.T, c *testserver.Client, query url.Values) T {
	t.Helper()
	resp := c.Do(t, http.MethodGet, v3+"/sync?"+query.Encode(), nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("sync %v: %d %s", query, resp.Status, resp.Body)
	}
	var s T
	resp.JSON(t, &s)
	return s
}

func since(token string, timeout time.Duration) url.Values {
	q := url.Values{"timeout": {fmt.Sprint(timeout.Milliseconds())}}
	if token != "" {
		q.Set("since", token)
	}
	return q
}

// syncUntil syncs incrementally until cond holds for the accumulated
// responses, failing the test at the deadline.
func syncUntil(t *testing.T, c *testserver.Client, token string, what string, cond func(syncResp) bool) syncResp {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := sync(t, c, since(token, 2*time.Second))
		if cond(s) {
			return s
		}
		token = s.NextBatch
		if time.Now().After(deadline) {
			t.Fatalf("sync: %s did not happen in time", what)
		}
	}
}

// initialSyncUntil repeats initial syncs (with the query) until cond holds.
func initialSyncUntil(t *testing.T, c *testserver.Client, query url.Values, what string, cond func(syncResp) bool) syncResp {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := sync(t, c, query)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("initial sync: %s did not happen in time", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

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

func join(t *testing.T, c *testserver.Client, roomID string) {
	t.Helper()
	c.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/join", map[string]any{}, http.StatusOK)
}

func invite(t *testing.T, c *testserver.Client, roomID, userID string) {
	t.Helper()
	c.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/invite", map[string]any{"user_id": userID}, http.StatusOK)
}

func leave(t *testing.T, c *testserver.Client, roomID string) {
	t.Helper()
	c.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/leave", map[string]any{}, http.StatusOK)
}

func send(t *testing.T, c *testserver.Client, roomID, txnID, body string) string {
	t.Helper()
	res := c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/"+esc(txnID),
		map[string]any{"msgtype": "m.text", "body": body}, http.StatusOK)
	eventID, _ := res["event_id"].(string)
	if eventID == "" {
		t.Fatalf("send returned no event_id: %v", res)
	}
	return eventID
}

func setState(t *testing.T, c *testserver.Client, roomID, evType, stateKey string, content map[string]any) string {
	t.Helper()
	res := c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/state/"+esc(evType)+"/"+esc(stateKey), content, http.StatusOK)
	id, _ := res["event_id"].(string)
	return id
}

func wantError(t *testing.T, resp *testserver.ClientResponse, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Errcode() != code {
		t.Fatalf("got %d %s (%s), want %d %s", resp.Status, resp.Errcode(), resp.Body, status, code)
	}
}

func bodies(evs []clientEvent) []string {
	var out []string
	for _, e := range evs {
		if b, ok := e.Content["body"].(string); ok && e.Type == "m.room.message" {
			out = append(out, b)
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// waitForEvent syncs until the event is in the room's timeline (the
// consumer stores events asynchronously) and returns the next token.
func waitForEvent(t *testing.T, c *testserver.Client, token, roomID, eventID string) string {
	t.Helper()
	s := syncUntil(t, c, token, "event "+eventID+" arrives", func(s syncResp) bool {
		for _, e := range s.Rooms.Join[roomID].Timeline.Events {
			if e.EventID == eventID {
				return true
			}
		}
		return false
	})
	return s.NextBatch
}

// getJSON GETs path, fails unless it answers 200, and decodes the body
// into v.
func getJSON(t *testing.T, c *testserver.Client, path string, v any) {
	t.Helper()
	resp := c.Do(t, http.MethodGet, path, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.Status, resp.Body)
	}
	resp.JSON(t, v)
}

// errorCase is a GET that must fail with the spec's error.
type errorCase struct {
	name   string
	client *testserver.Client
	path   string
	status int
	code   string
}

func checkErrors(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.client.Do(t, http.MethodGet, tt.path, nil), tt.status, tt.code)
		})
	}
}
