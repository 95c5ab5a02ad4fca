package syncapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// unsignedMembership is unsigned.membership of the event, "" when absent.
func unsignedMembership(e clientEvent) string {
	m, _ := e.Unsigned["membership"].(string)
	return m
}

// wantMemberships checks unsigned.membership of the listed events among evs;
// every event of evs must carry one.
func wantMemberships(t *testing.T, where string, evs []clientEvent, want map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range evs {
		got := unsignedMembership(e)
		if got == "" {
			t.Errorf("%s: %s (%s) has no unsigned.membership", where, e.EventID, e.Type)
		}
		if w, ok := want[e.EventID]; ok {
			seen[e.EventID] = true
			if got != w {
				t.Errorf("%s: unsigned.membership of %s = %q, want %q", where, e.EventID, got, w)
			}
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("%s: event %s missing", where, id)
		}
	}
}

// Bob joins a room with shared history after its first message and later
// leaves it: each endpoint that returns events tells him his membership
// at each event, "leave" before he ever joined (MSC4115, spec v1.11).
func TestUnsignedMembershipIsTheRequestersMembershipAtTheEvent(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		setState(t, alice, roomID, "m.room.history_visibility", "", map[string]any{"history_visibility": "shared"})
		before := send(t, alice, roomID, "m1", "before bob")
		join(t, bob, roomID)
		root := send(t, alice, roomID, "m2", "root")
		reply := threadReply(t, alice, roomID, root, "m3")
		token := waitForEvent(t, bob, "", roomID, reply)

		// The event that changes the membership carries the new one.
		s := sync(t, bob, url.Values{})
		rr := s.Rooms.Join[roomID]
		var bobJoin string
		for _, e := range rr.Timeline.Events {
			if e.Type == "m.room.member" && e.StateKey != nil && *e.StateKey == bob.UserID {
				bobJoin = e.EventID
			}
		}
		if bobJoin == "" {
			t.Fatalf("bob's join is not in his initial sync timeline: %+v", rr.Timeline.Events)
		}
		wantMemberships(t, "initial sync timeline", rr.Timeline.Events,
			map[string]string{bobJoin: "join", root: "join", reply: "join"})
		wantMemberships(t, "initial sync state", rr.State.Events, nil)

		page := messages(t, bob, roomID, url.Values{"dir": {"b"}, "limit": {"50"}})
		wantMemberships(t, "bob's /messages", page.Chunk,
			map[string]string{before: "leave", bobJoin: "join", root: "join", reply: "join"})
		alicePage := messages(t, alice, roomID, url.Values{"dir": {"b"}, "limit": {"50"}})
		wantMemberships(t, "alice's /messages", alicePage.Chunk,
			map[string]string{before: "join", bobJoin: "join"})

		var ev clientEvent
		getJSON(t, bob, v3+"/rooms/"+esc(roomID)+"/event/"+esc(before), &ev)
		wantMemberships(t, "/event", []clientEvent{ev}, map[string]string{before: "leave"})

		var ctxResp struct {
			Event        clientEvent   `json:"event"`
			EventsBefore []clientEvent `json:"events_before"`
			EventsAfter  []clientEvent `json:"events_after"`
			State        []clientEvent `json:"state"`
		}
		getJSON(t, bob, v3+"/rooms/"+esc(roomID)+"/context/"+esc(bobJoin)+"?limit=4", &ctxResp)
		wantMemberships(t, "/context event", []clientEvent{ctxResp.Event}, map[string]string{bobJoin: "join"})
		wantMemberships(t, "/context before", ctxResp.EventsBefore, map[string]string{before: "leave"})
		wantMemberships(t, "/context after", ctxResp.EventsAfter, map[string]string{root: "join"})
		wantMemberships(t, "/context state", ctxResp.State, nil)

		wantMemberships(t, "/relations", relations(t, bob, roomID, esc(root), url.Values{}).Chunk,
			map[string]string{reply: "join"})

		var threads struct {
			Chunk []clientEvent `json:"chunk"`
		}
		getJSON(t, bob, v1+"/rooms/"+esc(roomID)+"/threads", &threads)
		wantMemberships(t, "/threads", threads.Chunk, map[string]string{root: "join"})
		latest := threads.Chunk[0].Unsigned["m.relations"].(map[string]any)["m.thread"].(map[string]any)["latest_event"].(map[string]any)
		if m := latest["unsigned"].(map[string]any)["membership"]; m != "join" {
			t.Errorf("the thread's bundled latest_event has unsigned.membership %v, want join", m)
		}

		var members struct {
			Chunk []clientEvent `json:"chunk"`
		}
		getJSON(t, bob, v3+"/rooms/"+esc(roomID)+"/members", &members)
		wantMemberships(t, "/members", members.Chunk, map[string]string{bobJoin: "join"})

		// After leaving, bob's own leave event says so, and the events he
		// saw while joined still say join.
		leave(t, bob, roomID)
		s = syncUntil(t, bob, token, "bob's leave arrives", func(s syncResp) bool {
			_, ok := s.Rooms.Leave[roomID]
			return ok
		})
		var bobLeave string
		for _, e := range s.Rooms.Leave[roomID].Timeline.Events {
			if e.Type == "m.room.member" && e.StateKey != nil && *e.StateKey == bob.UserID {
				bobLeave = e.EventID
			}
		}
		if bobLeave == "" {
			t.Fatalf("bob's leave is not in the leave section: %+v", s.Rooms.Leave[roomID])
		}
		wantMemberships(t, "incremental sync leave", s.Rooms.Leave[roomID].Timeline.Events,
			map[string]string{bobLeave: "leave"})
		page = messages(t, bob, roomID, url.Values{"dir": {"b"}, "limit": {"50"}})
		wantMemberships(t, "bob's /messages after leaving", page.Chunk,
			map[string]string{before: "leave", root: "join", bobLeave: "leave"})
		resp := bob.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc(bobLeave), nil)
		if resp.Status != http.StatusOK {
			t.Fatalf("bob reading his leave: %d %s", resp.Status, resp.Body)
		}
	})
}
