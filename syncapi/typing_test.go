package syncapi_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/testserver"
)

// ephemeralSync is the part of a /sync response the typing and presence
// tests read.
type ephemeralSync struct {
	NextBatch string `json:"next_batch"`
	Rooms     struct {
		Join map[string]struct {
			Ephemeral struct {
				Events []clientEvent `json:"events"`
			} `json:"ephemeral"`
		} `json:"join"`
	} `json:"rooms"`
	Presence struct {
		Events []clientEvent `json:"events"`
	} `json:"presence"`
}

func syncEphemeral(t *testing.T, c *testserver.Client, query url.Values) ephemeralSync {
	t.Helper()
	resp := c.Do(t, http.MethodGet, v3+"/sync?"+query.Encode(), nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("sync %v: %d %s", query, resp.Status, resp.Body)
	}
	var s ephemeralSync
	resp.JSON(t, &s)
	return s
}

// typingIn returns the user IDs of the room's m.typing event, and whether
// the response had one.
func (s ephemeralSync) typingIn(roomID string) ([]string, bool) {
	for _, e := range s.Rooms.Join[roomID].Ephemeral.Events {
		if e.Type != "m.typing" {
			continue
		}
		ids, _ := e.Content["user_ids"].([]any)
		out := []string{}
		for _, id := range ids {
			out = append(out, id.(string))
		}
		return out, true
	}
	return nil, false
}

// syncEphemeralUntil syncs incrementally from token until cond holds for a
// response, and returns that response.
func syncEphemeralUntil(t *testing.T, c *testserver.Client, token, what string, cond func(ephemeralSync) bool) ephemeralSync {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := syncEphemeral(t, c, since(token, 2*time.Second))
		if cond(s) {
			return s
		}
		token = s.NextBatch
		if time.Now().After(deadline) {
			t.Fatalf("sync: %s did not happen in time", what)
		}
	}
}

// waitTyping syncs until the room's m.typing lists exactly want.
func waitTyping(t *testing.T, c *testserver.Client, token, roomID string, want ...string) string {
	t.Helper()
	slices.Sort(want)
	if want == nil {
		want = []string{}
	}
	s := syncEphemeralUntil(t, c, token, "typing in "+roomID+" becomes "+mustJSON(t, want), func(s ephemeralSync) bool {
		got, ok := s.typingIn(roomID)
		return ok && slices.Equal(got, want)
	})
	return s.NextBatch
}

func setTyping(t *testing.T, c *testserver.Client, roomID string, typing bool, timeoutMS int) {
	t.Helper()
	body := map[string]any{"typing": typing}
	if timeoutMS > 0 {
		body["timeout"] = timeoutMS
	}
	c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/typing/"+esc(c.UserID), body, http.StatusOK)
}

// sharedRoom creates a room of alice's that bob joins.
func sharedRoom(t *testing.T, alice, bob *testserver.Client) string {
	t.Helper()
	roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
	join(t, bob, roomID)
	return roomID
}

func TestTypingStartsStopsAndExpires(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := sharedRoom(t, alice, bob)
		token := sync(t, alice, nil).NextBatch

		setTyping(t, bob, roomID, true, 30000)
		token = waitTyping(t, alice, token, roomID, bob.UserID)
		// An initial sync tells who is typing now.
		initial := syncEphemeral(t, alice, nil)
		if got, _ := initial.typingIn(roomID); !slices.Equal(got, []string{bob.UserID}) {
			t.Errorf("initial sync typing = %v, want bob", got)
		}
		// Nothing changed since: an incremental sync has no m.typing.
		if _, ok := syncEphemeral(t, alice, since(token, 0)).typingIn(roomID); ok {
			t.Error("an incremental sync repeated an unchanged typing set")
		}

		setTyping(t, alice, roomID, true, 0)
		token = waitTyping(t, alice, token, roomID, alice.UserID, bob.UserID)
		setTyping(t, bob, roomID, false, 0)
		token = waitTyping(t, alice, token, roomID, alice.UserID)
		setTyping(t, alice, roomID, false, 0)
		token = waitTyping(t, alice, token, roomID)
		if _, ok := syncEphemeral(t, alice, nil).typingIn(roomID); ok {
			t.Error("an initial sync reported an empty typing set")
		}

		// A short timeout expires on the server without a stop.
		setTyping(t, bob, roomID, true, 300)
		token = waitTyping(t, alice, token, roomID, bob.UserID)
		waitTyping(t, alice, token, roomID)
	})
}

func TestTypingWakesAParkedSyncAndHonoursTheEphemeralFilter(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := sharedRoom(t, alice, bob)
		token := sync(t, alice, nil).NextBatch

		got := make(chan ephemeralSync, 1)
		go func() { got <- syncEphemeral(t, alice, since(token, 30*time.Second)) }()
		// The parked sync may register after the typing was applied; it
		// then answers at once, which is what the test needs too.
		setTyping(t, bob, roomID, true, 30000)
		select {
		case s := <-got:
			if ids, _ := s.typingIn(roomID); !slices.Equal(ids, []string{bob.UserID}) {
				// The room stream may have woken it first; the next
				// sync must carry the typing.
				waitTyping(t, alice, s.NextBatch, roomID, bob.UserID)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a parked sync did not wake for a typing notification")
		}

		tests := []struct {
			name   string
			filter string
			want   bool
		}{
			{"no ephemeral filter", `{}`, true},
			{"ephemeral types exclude m.typing", `{"room":{"ephemeral":{"not_types":["m.typing"]}}}`, false},
			{"ephemeral rooms exclude the room", `{"room":{"ephemeral":{"not_rooms":["` + roomID + `"]}}}`, false},
			{"ephemeral types allow m.*", `{"room":{"ephemeral":{"types":["m.*"]}}}`, true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := syncEphemeral(t, alice, url.Values{"filter": {tc.filter}})
				if _, ok := s.typingIn(roomID); ok != tc.want {
					t.Errorf("m.typing present = %v, want %v", ok, tc.want)
				}
			})
		}
	})
}

func TestTypingIsRefusedForOthersAndOutsiders(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, eve := srv.NewUser(t, "alice"), srv.NewUser(t, "bob"), srv.NewUser(t, "eve")
		roomID := sharedRoom(t, alice, bob)
		path := func(roomID, userID string) string {
			return v3 + "/rooms/" + esc(roomID) + "/typing/" + esc(userID)
		}
		tests := []struct {
			name   string
			c      *testserver.Client
			path   string
			body   any
			status int
			code   string
		}{
			{"someone else's typing", alice, path(roomID, bob.UserID), map[string]any{"typing": true}, http.StatusForbidden, "M_FORBIDDEN"},
			{"a room one is not in", eve, path(roomID, eve.UserID), map[string]any{"typing": true}, http.StatusForbidden, "M_FORBIDDEN"},
			{"an unknown room", alice, path("!nowhere:test.ocomms.local", alice.UserID), map[string]any{"typing": true}, http.StatusForbidden, "M_FORBIDDEN"},
			{"no typing field", alice, path(roomID, alice.UserID), map[string]any{"timeout": 1000}, http.StatusBadRequest, "M_BAD_JSON"},
			{"a negative timeout", alice, path(roomID, alice.UserID), map[string]any{"typing": true, "timeout": -1}, http.StatusBadRequest, "M_INVALID_PARAM"},
			{"not JSON", alice, path(roomID, alice.UserID), "{", http.StatusBadRequest, "M_NOT_JSON"},
			{"not a room ID", alice, path("room", alice.UserID), map[string]any{"typing": true}, http.StatusBadRequest, "M_INVALID_PARAM"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, tc.c.Do(t, http.MethodPut, tc.path, tc.body), tc.status, tc.code)
			})
		}
		leave(t, bob, roomID)
		wantError(t, bob.Do(t, http.MethodPut, path(roomID, bob.UserID), map[string]any{"typing": true}), http.StatusForbidden, "M_FORBIDDEN")
	})
}

func TestTypingOnOneInstanceWakesSyncParkedOnAnother(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		if b.Name == "sqlite+embedded" {
			t.Skip("two instances share PostgreSQL and an external NATS")
		}
		cfg := testserver.Config(t, b)
		instA := testserver.Start(t, cfg)
		instB := testserver.Start(t, cfg)
		alice, bob := instA.NewUser(t, "alice"), instA.NewUser(t, "bob")
		roomID := sharedRoom(t, alice, bob)
		aliceOnB := *alice
		aliceOnB.BaseURL = instB.URL
		token := waitForEvent(t, &aliceOnB, "", roomID, send(t, alice, roomID, "t1", "hello"))

		got := make(chan ephemeralSync, 1)
		go func() { got <- syncEphemeral(t, &aliceOnB, since(token, 30*time.Second)) }()
		setTyping(t, bob, roomID, true, 30000)
		select {
		case s := <-got:
			if ids, _ := s.typingIn(roomID); !slices.Equal(ids, []string{bob.UserID}) {
				t.Errorf("B's sync typing = %v, want bob typing through A", ids)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a sync parked on B did not wake for typing sent through A")
		}
	})
}

func TestTypingExpiryOnTwoInstancesIsOneStop(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		if b.Name == "sqlite+embedded" {
			t.Skip("two instances share PostgreSQL and an external NATS")
		}
		cfg := testserver.Config(t, b)
		instA := testserver.Start(t, cfg)
		instB := testserver.Start(t, cfg)
		// Watch the stream itself, as a third instance would.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		watcher, err := bus.Open(ctx, bus.Config{URLs: cfg.Bus.NATSURLs, Prefix: cfg.Bus.Prefix}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = watcher.Close(context.Background()) })
		var mu gosync.Mutex
		var seen []clientapi.Typing
		if _, err := watcher.Subscribe(t.Context(), clientapi.TypingSubject, func(m bus.Message) {
			var ty clientapi.Typing
			if m.Decode(&ty) == nil {
				mu.Lock()
				seen = append(seen, ty)
				mu.Unlock()
			}
		}, bus.WithDeliverAll()); err != nil {
			t.Fatal(err)
		}

		alice, bob := instA.NewUser(t, "alice"), instA.NewUser(t, "bob")
		roomID := sharedRoom(t, alice, bob)
		marker := createRoom(t, bob, nil)
		bobOnB := *bob
		bobOnB.BaseURL = instB.URL
		token := sync(t, alice, nil).NextBatch

		setTyping(t, bob, roomID, true, 200)
		expires := time.Now().Add(200 * time.Millisecond)
		token = waitTyping(t, alice, token, roomID, bob.UserID)
		waitTyping(t, alice, token, roomID)
		// Both instances notice the expiry within a few ticks of it;
		// whatever they published by then lands before the marker.
		for time.Now().Before(expires.Add(2 * time.Second)) {
			syncEphemeral(t, &bobOnB, since(token, 200*time.Millisecond))
		}
		setTyping(t, &bobOnB, marker, true, 30000)

		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			got := slices.Clone(seen)
			mu.Unlock()
			if len(got) > 0 && got[len(got)-1].RoomID == marker {
				var stops int
				for _, ty := range got {
					if ty.RoomID == roomID && !ty.Typing {
						stops++
					}
				}
				if stops != 1 {
					t.Errorf("the stream holds %d stops for one expiry, want 1: %+v", stops, got)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the marker did not arrive; stream so far: %+v", got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
