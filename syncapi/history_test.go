package syncapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

type messagesPage struct {
	Chunk []clientEvent `json:"chunk"`
	Start string        `json:"start"`
	End   string        `json:"end"`
	State []clientEvent `json:"state"`
}

func messages(t *testing.T, c *testserver.Client, roomID string, query url.Values) messagesPage {
	t.Helper()
	resp := c.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/messages?"+query.Encode(), nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("messages %v: %d %s", query, resp.Status, resp.Body)
	}
	var p messagesPage
	resp.JSON(t, &p)
	return p
}

func TestMessagesHonoursHistoryVisibilityAndRejectsBadRequests(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "eve")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		setState(t, alice, roomID, "m.room.history_visibility", "", map[string]any{"history_visibility": "joined"})
		send(t, alice, roomID, "t1", "before bob")
		join(t, bob, roomID)
		last := send(t, alice, roomID, "t2", "after bob")
		waitForEvent(t, alice, "", roomID, last)

		got := bodies(messages(t, bob, roomID, url.Values{"dir": {"b"}, "limit": {"50"}}).Chunk)
		if !slices.Equal(got, []string{"after bob"}) {
			t.Errorf("bob sees %v, want only what was sent after he joined", got)
		}
		forwards := messages(t, alice, roomID, url.Values{"dir": {"f"}, "limit": {"50"}})
		if forwards.Chunk[0].Type != "m.room.create" || forwards.End != "" {
			t.Errorf("paging forwards from the start begins with %s, end %q; want the create event and no end", forwards.Chunk[0].Type, forwards.End)
		}
		lazy := messages(t, alice, roomID, url.Values{"dir": {"b"}, "limit": {"1"}, "filter": {`{"lazy_load_members":true}`}})
		if len(lazy.State) != 1 || *lazy.State[0].StateKey != alice.UserID {
			t.Errorf("lazy-loaded /messages state = %+v, want alice's membership", lazy.State)
		}

		base := v3 + "/rooms/" + esc(roomID) + "/messages"
		tests := []struct {
			name   string
			client *testserver.Client
			path   string
			status int
			code   string
		}{
			{"a user who was never in the room is forbidden", eve, base + "?dir=b", 403, "M_FORBIDDEN"},
			{"an unknown room is forbidden", alice, v3 + "/rooms/" + esc("!nowhere:test.ocomms.local") + "/messages?dir=b", 403, "M_FORBIDDEN"},
			{"a missing dir is a missing parameter", alice, base, 400, "M_MISSING_PARAM"},
			{"an unknown dir is an invalid parameter", alice, base + "?dir=up", 400, "M_INVALID_PARAM"},
			{"a malformed from token is an invalid parameter", alice, base + "?dir=b&from=xyz", 400, "M_INVALID_PARAM"},
			{"a negative limit is an invalid parameter", alice, base + "?dir=b&limit=-1", 400, "M_INVALID_PARAM"},
			{"a filter that is not JSON is refused", alice, base + "?dir=b&filter=%7Bx", 400, "M_NOT_JSON"},
			{"a request without a token is refused", srv.Anonymous(), base + "?dir=b", 401, "M_MISSING_TOKEN"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.client.Do(t, http.MethodGet, tt.path, nil), tt.status, tt.code)
			})
		}
	})
}

func TestContextEventAndRedactions(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "eve")
		roomID := createRoom(t, alice, nil)
		var ids []string
		for _, body := range []string{"a", "b", "c", "d", "e"} {
			ids = append(ids, send(t, alice, roomID, "t"+body, body))
		}
		redaction := alice.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/redact/"+esc(ids[0])+"/r1",
			map[string]any{"reason": "oops"}, http.StatusOK)["event_id"].(string)
		waitForEvent(t, alice, "", roomID, redaction)

		var ctx struct {
			Event        clientEvent   `json:"event"`
			EventsBefore []clientEvent `json:"events_before"`
			EventsAfter  []clientEvent `json:"events_after"`
			Start, End   string
			State        []clientEvent `json:"state"`
		}
		alice.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/context/"+esc(ids[2])+"?limit=2", nil, http.StatusOK)
		alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/context/"+esc(ids[2])+"?limit=2", nil).JSON(t, &ctx)
		if ctx.Event.EventID != ids[2] || len(ctx.EventsBefore) != 1 || ctx.EventsBefore[0].EventID != ids[1] ||
			len(ctx.EventsAfter) != 1 || ctx.EventsAfter[0].EventID != ids[3] || ctx.Start == "" || ctx.End == "" {
			t.Errorf("context = %+v, want b before and d after c", ctx)
		}
		if len(ctx.State) == 0 {
			t.Error("context has no state")
		}

		ev := alice.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc(ids[0]), nil, http.StatusOK)
		content, _ := ev["content"].(map[string]any)
		unsigned, _ := ev["unsigned"].(map[string]any)
		because, _ := unsigned["redacted_because"].(map[string]any)
		if len(content) != 0 || because["event_id"] != redaction {
			t.Errorf("redacted event = %v, want empty content and redacted_because %s", ev, redaction)
		}

		wantError(t, alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc("$unknown"), nil), 404, "M_NOT_FOUND")
		wantError(t, eve.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc(ids[1]), nil), 404, "M_NOT_FOUND")
		wantError(t, eve.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/context/"+esc(ids[1]), nil), 404, "M_NOT_FOUND")
	})
}

func TestMembersAndJoinedMembers(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, carol, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol"), srv.NewUser(t, "eve")
		roomID := createRoom(t, alice, nil)
		invite(t, alice, roomID, bob.UserID)
		invite(t, alice, roomID, carol.UserID)
		join(t, bob, roomID)
		last := send(t, alice, roomID, "t1", "hi")
		waitForEvent(t, alice, "", roomID, last)

		members := func(query string) map[string]string {
			var resp struct {
				Chunk []clientEvent `json:"chunk"`
			}
			alice.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/members"+query, nil, http.StatusOK)
			alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/members"+query, nil).JSON(t, &resp)
			out := map[string]string{}
			for _, e := range resp.Chunk {
				out[*e.StateKey], _ = e.Content["membership"].(string)
			}
			return out
		}
		if got := members(""); len(got) != 3 || got[carol.UserID] != "invite" || got[bob.UserID] != "join" {
			t.Errorf("members = %v", got)
		}
		if got := members("?membership=join"); len(got) != 2 || got[carol.UserID] != "" {
			t.Errorf("joined members = %v", got)
		}
		if got := members("?not_membership=join"); len(got) != 1 || got[carol.UserID] != "invite" {
			t.Errorf("members not joined = %v", got)
		}
		joined := alice.MustDo(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/joined_members", nil, http.StatusOK)["joined"].(map[string]any)
		if len(joined) != 2 || joined[bob.UserID] == nil {
			t.Errorf("joined_members = %v, want alice and bob", joined)
		}

		wantError(t, eve.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/members", nil), 403, "M_FORBIDDEN")
		wantError(t, eve.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/joined_members", nil), 403, "M_FORBIDDEN")
		wantError(t, alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/members?membership=lurking", nil), 400, "M_INVALID_PARAM")
	})
}
