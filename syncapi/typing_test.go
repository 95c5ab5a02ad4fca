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
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

// ephemeralSync is the part of a /sync response the typing and presence
// tests read.
type ephemeralSync struct {
	NextBatch string `json:"next_batch"`
	Rooms     struct {
		Join map[string]struct {
			Timeline struct {
				Events []clientEvent `json:"events"`
			} `json:"timeline"`
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
	return syncAs[ephemeralSync](t, c, query)
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

// syncEphemeralUntil syncs incrementally from token, leaving c's presence
// alone, until cond holds for a response, and returns that response.
func syncEphemeralUntil(t *testing.T, c *testserver.Client, token, what string, cond func(ephemeralSync) bool) ephemeralSync {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		q := since(token, 2*time.Second)
		q.Set("set_presence", "offline")
		s := syncEphemeral(t, c, q)
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

// settled sends a message to the room and syncs c (leaving its presence
// alone) until it arrives, so everything before it was delivered: a sync
// parked on the token returned wakes only for what comes next.
func settled(t *testing.T, c *testserver.Client, roomID string) string {
	t.Helper()
	eventID := send(t, c, roomID, "settle-"+time.Now().Format("150405.000000000"), "settle")
	s := syncEphemeralUntil(t, c, "", "event "+eventID+" arrives", func(s ephemeralSync) bool {
		return slices.ContainsFunc(s.Rooms.Join[roomID].Timeline.Events, func(e clientEvent) bool { return e.EventID == eventID })
	})
	return s.NextBatch
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
		token := settled(t, alice, roomID)

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
		token := settled(t, alice, roomID)

		got := parkedSync(t, alice, token)
		// The parked sync may register after the typing was applied; it
		// then answers at once, which is what the test needs too.
		setTyping(t, bob, roomID, true, 30000)
		if ids, _ := woken(t, got, "a typing notification").typingIn(roomID); !slices.Equal(ids, []string{bob.UserID}) {
			t.Errorf("the woken sync's typing = %v, want bob", ids)
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

// instances are two servers on one database and bus, with alice and bob,
// registered through A, joined to one room.
type instances struct {
	cfg        config.Config
	a, b       *testserver.Server
	alice, bob *testserver.Client
	roomID     string
}

// twoInstances starts them with the test configuration changed by
// change, or skips t on SQLite with the embedded bus,
// which belong to one process.
func twoInstances(t *testing.T, b testserver.Backend, change func(*config.Config)) instances {
	t.Helper()
	in := instances{cfg: testserver.Config(t, b)}
	change(&in.cfg)
	in.a, in.b = testserver.StartTwoInstances(t, b, in.cfg)
	in.alice, in.bob = in.a.NewUser(t, "alice"), in.a.NewUser(t, "bob")
	in.roomID = sharedRoom(t, in.alice, in.bob)
	return in
}

// onB is c talking to instance B.
func (in instances) onB(c *testserver.Client) *testserver.Client {
	return c.On(in.b)
}

// parkedSync starts a long-polling sync that leaves c's presence alone.
func parkedSync(t *testing.T, c *testserver.Client, token string) <-chan ephemeralSync {
	got := make(chan ephemeralSync, 1)
	go func() {
		q := since(token, 30*time.Second)
		q.Set("set_presence", "offline")
		got <- syncEphemeral(t, c, q)
	}()
	return got
}

// woken waits for a parked sync to answer well before its timeout.
func woken(t *testing.T, got <-chan ephemeralSync, what string) ephemeralSync {
	t.Helper()
	select {
	case s := <-got:
		return s
	case <-time.After(20 * time.Second):
		t.Fatalf("a parked sync did not wake for %s", what)
		return ephemeralSync{}
	}
}

func TestTypingOnOneInstanceWakesSyncParkedOnAnother(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		in := twoInstances(t, b, func(*config.Config) {})
		aliceOnB := in.onB(in.alice)
		token := settled(t, aliceOnB, in.roomID)

		got := parkedSync(t, aliceOnB, token)
		setTyping(t, in.bob, in.roomID, true, 30000)
		s := woken(t, got, "typing sent through another instance")
		if ids, _ := s.typingIn(in.roomID); !slices.Equal(ids, []string{in.bob.UserID}) {
			t.Errorf("B's sync typing = %v, want bob typing through A", ids)
		}
	})
}

func TestTypingExpiryOnTwoInstancesIsOneStop(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		in := twoInstances(t, b, func(*config.Config) {})
		cfg := in.cfg
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

		alice, bob, roomID := in.alice, in.bob, in.roomID
		marker := createRoom(t, bob, nil)
		bobOnB := in.onB(bob)
		token := sync(t, alice, nil).NextBatch

		setTyping(t, bob, roomID, true, 200)
		expires := time.Now().Add(200 * time.Millisecond)
		token = waitTyping(t, alice, token, roomID, bob.UserID)
		waitTyping(t, alice, token, roomID)
		// Both instances notice the expiry within a few ticks of it;
		// whatever they published by then lands before the marker.
		for time.Now().Before(expires.Add(2 * time.Second)) {
			syncEphemeral(t, bobOnB, since(token, 200*time.Millisecond))
		}
		setTyping(t, bobOnB, marker, true, 30000)

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
