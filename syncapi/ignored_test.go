package syncapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func ignore(t *testing.T, c *testserver.Client, userIDs ...string) {
	t.Helper()
	ignored := map[string]any{}
	for _, u := range userIDs {
		ignored[u] = map[string]any{}
	}
	putGlobal(t, c, "m.ignored_user_list", map[string]any{"ignored_users": ignored})
}

func TestEventsOfIgnoredUsersAreNotSent(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, carol := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{
			"preset":                       "public_chat",
			"power_level_content_override": map[string]any{"events": map[string]any{"m.room.topic": 0}},
		})
		join(t, bob, roomID)
		join(t, carol, roomID)
		token := waitForEvent(t, alice, "", roomID, send(t, bob, roomID, "b0", "before ignoring"))

		ignore(t, alice, bob.UserID)
		s := accountDataUntil(t, alice, token, "the ignore list arrives", func(s accountDataResp) bool {
			return s.AccountData.content("m.ignored_user_list") != nil
		})
		token = s.NextBatch

		hidden := send(t, bob, roomID, "b1", "while ignored")
		setState(t, bob, roomID, "m.room.topic", "", map[string]any{"topic": "bob's topic"})
		visible := send(t, carol, roomID, "c1", "from carol")
		var tl []clientEvent
		got := syncUntil(t, alice, token, "carol's message arrives", func(s syncResp) bool {
			tl = append(tl, s.Rooms.Join[roomID].Timeline.Events...)
			return slices.ContainsFunc(tl, func(e clientEvent) bool { return e.EventID == visible })
		})
		if slices.ContainsFunc(tl, func(e clientEvent) bool { return e.EventID == hidden }) {
			t.Errorf("the ignored user's message is in the timeline: %v", bodies(tl))
		}
		if !slices.ContainsFunc(tl, func(e clientEvent) bool { return e.Type == "m.room.topic" && e.Sender == bob.UserID }) {
			t.Errorf("the ignored user's state event is missing from the timeline: %+v", tl)
		}
		if b := bodies(messages(t, alice, roomID, url.Values{"dir": {"b"}, "limit": {"50"}}).Chunk); slices.Contains(b, "while ignored") || slices.Contains(b, "before ignoring") || !slices.Contains(b, "from carol") {
			t.Errorf("/messages bodies = %v, want carol's and none of bob's", b)
		}
		wantError(t, alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/context/"+esc(hidden), nil), http.StatusNotFound, "M_NOT_FOUND")
		wantError(t, alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/event/"+esc(hidden), nil), http.StatusNotFound, "M_NOT_FOUND")
		if init := sync(t, alice, nil); slices.Contains(bodies(init.Rooms.Join[roomID].Timeline.Events), "while ignored") {
			t.Errorf("an initial sync has the ignored user's message")
		}

		// Invites from ignored users are not sent; others are.
		bobsRoom := createRoom(t, bob, nil)
		invite(t, bob, bobsRoom, alice.UserID)
		carolsRoom := createRoom(t, carol, nil)
		invite(t, carol, carolsRoom, alice.UserID)
		got = syncUntil(t, alice, got.NextBatch, "carol's invite arrives", func(s syncResp) bool {
			_, ok := s.Rooms.Invite[carolsRoom]
			return ok
		})
		if _, ok := got.Rooms.Invite[bobsRoom]; ok {
			t.Errorf("the ignored user's invite was sent")
		}
		if _, ok := sync(t, alice, nil).Rooms.Invite[bobsRoom]; ok {
			t.Errorf("the ignored user's invite is in an initial sync")
		}

		// After un-ignoring, new events come again.
		ignore(t, alice)
		token = accountDataUntil(t, alice, got.NextBatch, "the emptied ignore list arrives", func(s accountDataResp) bool {
			c := s.AccountData.content("m.ignored_user_list")
			return c != nil && len(c["ignored_users"].(map[string]any)) == 0
		}).NextBatch
		waitForEvent(t, alice, token, roomID, send(t, bob, roomID, "b2", "after un-ignoring"))
	})
}
