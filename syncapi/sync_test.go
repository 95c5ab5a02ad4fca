package syncapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestInitialSyncShowsJoinedRoomWithStateAndTimeline(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, map[string]any{"name": "Lobby"})
		msg := send(t, alice, roomID, "t1", "hello")

		s := initialSyncUntil(t, alice, nil, "the message", func(s syncResp) bool {
			return slices.Contains(bodies(s.Rooms.Join[roomID].Timeline.Events), "hello")
		})
		room := s.Rooms.Join[roomID]
		last := room.Timeline.Events[len(room.Timeline.Events)-1]
		if last.EventID != msg || last.RoomID != roomID || last.Unsigned["transaction_id"] != "t1" {
			t.Errorf("last timeline event = %+v, want %s with transaction_id t1", last, msg)
		}
		if !room.stateHas("m.room.create", "") && room.Timeline.Events[0].Type != "m.room.create" {
			t.Errorf("neither state nor timeline has the create event: %v", room.timelineTypes())
		}
		if room.Summary["m.joined_member_count"] != float64(1) {
			t.Errorf("summary = %v, want one joined member", room.Summary)
		}
		if s.NextBatch == "" {
			t.Error("no next_batch")
		}
	})
}

func TestIncrementalSyncReturnsOnlyNewEvents(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		first := send(t, alice, roomID, "t1", "one")
		token := waitForEvent(t, alice, "", roomID, first)

		send(t, alice, roomID, "t2", "two")
		s := syncUntil(t, alice, token, "the second message", func(s syncResp) bool {
			return len(s.Rooms.Join[roomID].Timeline.Events) > 0
		})
		room := s.Rooms.Join[roomID]
		if got := bodies(room.Timeline.Events); !slices.Equal(got, []string{"two"}) || room.Timeline.Limited {
			t.Errorf("incremental timeline = %v (limited %v), want [two] unlimited", got, room.Timeline.Limited)
		}
		if len(room.State.Events) != 0 {
			t.Errorf("incremental sync repeated state: %+v", room.State.Events)
		}
		// Nothing new: the same token comes back with no rooms.
		again := sync(t, alice, since(s.NextBatch, 0))
		if again.NextBatch != s.NextBatch || len(again.Rooms.Join) != 0 {
			t.Errorf("idle sync = %+v, want the same token and no rooms", again)
		}
	})
}

func TestLongPollWakesOnNewMessageAndTimesOutWhenIdle(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		token := waitForEvent(t, alice, "", roomID, send(t, alice, roomID, "t1", "one"))

		started := time.Now()
		idle := sync(t, alice, since(token, 300*time.Millisecond))
		if elapsed := time.Since(started); elapsed < 250*time.Millisecond || len(idle.Rooms.Join) != 0 || idle.NextBatch != token {
			t.Errorf("idle long-poll returned after %s with %+v, want an empty answer after the timeout", elapsed, idle)
		}

		got := make(chan syncResp, 1)
		started = time.Now()
		go func() { got <- sync(t, alice, since(token, 30*time.Second)) }()
		// The request is parked before the message is sent at least most
		// of the time; either way it must return the message promptly.
		send(t, alice, roomID, "t2", "wake up")
		select {
		case s := <-got:
			if !slices.Contains(bodies(s.Rooms.Join[roomID].Timeline.Events), "wake up") {
				t.Errorf("woken sync = %+v, want the message", s.Rooms.Join[roomID])
			}
			if elapsed := time.Since(started); elapsed > 10*time.Second {
				t.Errorf("long-poll took %s to wake", elapsed)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("long-poll did not wake on a new message")
		}
	})
}

func TestLimitedTimelinePagesBackToTheRoomCreation(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		var want []string
		var last string
		for i := range 25 {
			body := "message " + string(rune('a'+i))
			want = append(want, body)
			last = send(t, alice, roomID, "t"+body, body)
		}
		waitForEvent(t, alice, "", roomID, last)

		filter := url.Values{"filter": {`{"room":{"timeline":{"limit":5}}}`}}
		s := sync(t, alice, filter)
		room := s.Rooms.Join[roomID]
		if !room.Timeline.Limited || len(room.Timeline.Events) != 5 || room.Timeline.PrevBatch == "" {
			t.Fatalf("timeline = %d events, limited %v, prev_batch %q; want 5, limited", len(room.Timeline.Events), room.Timeline.Limited, room.Timeline.PrevBatch)
		}
		if !room.stateHas("m.room.create", "") || !room.stateHas("m.room.member", alice.UserID) {
			t.Errorf("state at the start of a limited timeline lacks create or member: %+v", room.State.Events)
		}
		all := slices.Clone(room.Timeline.Events)
		from := room.Timeline.PrevBatch
		for pages := 0; from != ""; pages++ {
			if pages > 20 {
				t.Fatal("pagination does not end")
			}
			var page struct {
				Chunk []clientEvent `json:"chunk"`
				Start string        `json:"start"`
				End   string        `json:"end"`
			}
			resp := alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/messages?dir=b&limit=7&from="+url.QueryEscape(from), nil)
			if resp.Status != http.StatusOK {
				t.Fatalf("messages: %d %s", resp.Status, resp.Body)
			}
			resp.JSON(t, &page)
			if page.Start != from {
				t.Errorf("start = %q, want the from token %q", page.Start, from)
			}
			for _, e := range page.Chunk {
				all = slices.Insert(all, 0, e)
			}
			from = page.End
		}
		if all[0].Type != "m.room.create" {
			t.Errorf("paging back ended at %s, want m.room.create", all[0].Type)
		}
		if got := bodies(all); !slices.Equal(got, want) {
			t.Errorf("messages in order = %v, want %v", got, want)
		}
		seen := map[string]bool{}
		for _, e := range all {
			if seen[e.EventID] {
				t.Errorf("event %s returned twice", e.EventID)
			}
			seen[e.EventID] = true
		}
	})
}

func TestInvitesJoinsAndLeavesAppearInSync(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{"name": "Plans"})
		token := sync(t, bob, nil).NextBatch

		invite(t, alice, roomID, bob.UserID)
		s := syncUntil(t, bob, token, "the invite", func(s syncResp) bool { _, ok := s.Rooms.Invite[roomID]; return ok })
		inv := s.Rooms.Invite[roomID].InviteState.Events
		var types []string
		for _, e := range inv {
			types = append(types, e.Type)
		}
		if !slices.Contains(types, "m.room.name") || !slices.Contains(types, "m.room.create") {
			t.Errorf("invite_state types = %v, want the name and create events", types)
		}
		if lastEv := inv[len(inv)-1]; lastEv.Type != "m.room.member" || *lastEv.StateKey != bob.UserID || lastEv.Content["membership"] != "invite" {
			t.Errorf("invite_state ends with %+v, want bob's invite", lastEv)
		}

		join(t, bob, roomID)
		s = syncUntil(t, bob, s.NextBatch, "the join", func(s syncResp) bool { _, ok := s.Rooms.Join[roomID]; return ok })
		joined := s.Rooms.Join[roomID]
		if !joined.stateHas("m.room.name", "") && !slices.Contains(joined.timelineTypes(), "m.room.name") {
			t.Errorf("newly joined room lacks its name in state and timeline")
		}

		leave(t, bob, roomID)
		s = syncUntil(t, bob, s.NextBatch, "the leave", func(s syncResp) bool { _, ok := s.Rooms.Leave[roomID]; return ok })
		left := s.Rooms.Leave[roomID]
		if n := len(left.Timeline.Events); n == 0 || left.Timeline.Events[n-1].Content["membership"] != "leave" {
			t.Errorf("left room timeline = %v, want it to end with the leave", left.timelineTypes())
		}
		// After the leave, alice's messages no longer reach bob.
		send(t, alice, roomID, "after", "after the leave")
		quiet := sync(t, bob, since(s.NextBatch, 300*time.Millisecond))
		if len(quiet.Rooms.Join)+len(quiet.Rooms.Leave) != 0 {
			t.Errorf("bob still syncs the room after leaving: %+v", quiet.Rooms)
		}
		// An initial sync shows the left room only when include_leave asks.
		if _, ok := sync(t, bob, nil).Rooms.Leave[roomID]; ok {
			t.Error("initial sync without include_leave shows the left room")
		}
		archive := sync(t, bob, url.Values{"filter": {`{"room":{"include_leave":true}}`}})
		if _, ok := archive.Rooms.Leave[roomID]; !ok {
			t.Error("initial sync with include_leave lacks the left room")
		}
	})
}

func TestSyncRejectsBadParameters(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		tests := []struct {
			name   string
			query  string
			status int
			code   string
		}{
			{"a malformed since token is an invalid parameter", "since=garbage", 400, "M_INVALID_PARAM"},
			{"a since token with a negative position is an invalid parameter", "since=s-4", 400, "M_INVALID_PARAM"},
			{"a timeout that is not a number is an invalid parameter", "timeout=soon", 400, "M_INVALID_PARAM"},
			{"full_state must be a boolean", "full_state=yes", 400, "M_INVALID_PARAM"},
			{"use_state_after must be a boolean", "use_state_after=1", 400, "M_INVALID_PARAM"},
			{"an unknown set_presence is an invalid parameter", "set_presence=dancing", 400, "M_INVALID_PARAM"},
			{"an unknown filter ID is an invalid parameter", "filter=12345", 400, "M_INVALID_PARAM"},
			{"an inline filter that is not JSON is not JSON", "filter=" + url.QueryEscape("{nope"), 400, "M_NOT_JSON"},
			{"an inline filter of the wrong shape is bad JSON", "filter=" + url.QueryEscape(`{"room":{"timeline":{"limit":"ten"}}}`), 400, "M_BAD_JSON"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, alice.Do(t, http.MethodGet, v3+"/sync?"+tt.query, nil), tt.status, tt.code)
			})
		}
		t.Run("a request without an access token is refused", func(t *testing.T) {
			wantError(t, srv.Anonymous().Do(t, http.MethodGet, v3+"/sync", nil), 401, "M_MISSING_TOKEN")
		})
		t.Run("a request with an unknown access token is refused", func(t *testing.T) {
			c := srv.Anonymous()
			c.AccessToken = "not-a-token"
			wantError(t, c.Do(t, http.MethodGet, v3+"/sync", nil), 401, "M_UNKNOWN_TOKEN")
		})
	})
}

func TestSyncTokenFromTheFutureWaitsInsteadOfSkipping(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		createRoom(t, alice, nil)
		started := time.Now()
		s := sync(t, alice, since("s1000000", 300*time.Millisecond))
		if s.NextBatch != "s1000000" || len(s.Rooms.Join) != 0 {
			t.Errorf("future token answered %+v, want the same token and nothing", s)
		}
		if time.Since(started) < 250*time.Millisecond {
			t.Error("a token from the future answered before the timeout")
		}
	})
}
