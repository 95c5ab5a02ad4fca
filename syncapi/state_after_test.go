package syncapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

// stateAfterResp is a /sync response read for both state sections, to
// tell a missing one from an empty one.
type stateAfterResp struct {
	NextBatch string `json:"next_batch"`
	Rooms     struct {
		Join  map[string]stateAfterRoom `json:"join"`
		Leave map[string]stateAfterRoom `json:"leave"`
	} `json:"rooms"`
}

// stateAfterRoom is roomResp with both state sections as pointers (the
// outer State shadows roomResp's).
type stateAfterRoom struct {
	roomResp
	State      *eventsOf `json:"state"`
	StateAfter *eventsOf `json:"state_after"`
}

type eventsOf struct {
	Events []clientEvent `json:"events"`
}

// keys lists the section's events, sorted, as "type|state_key", followed
// by "|topic" for m.room.topic and "|membership" for m.room.member.
func (e *eventsOf) keys() []string {
	var out []string
	for _, ev := range e.Events {
		k := ev.Type + "|" + deref(ev.StateKey)
		if ev.Type == "m.room.topic" {
			k += "|" + ev.Content["topic"].(string)
		}
		if ev.Type == "m.room.member" {
			k += "|" + ev.Content["membership"].(string)
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// stateAfterSync syncs with use_state_after=true, the filter and since.
func stateAfterSync(t *testing.T, c *testserver.Client, token, filter string) stateAfterResp {
	t.Helper()
	q := url.Values{"use_state_after": {"true"}, "timeout": {"0"}}
	if token != "" {
		q.Set("since", token)
	}
	if filter != "" {
		q.Set("filter", filter)
	}
	return syncAs[stateAfterResp](t, c, q)
}

// stateAfterUntil long-polls with use_state_after from token until cond
// holds for a response, failing the test at the deadline.
func stateAfterUntil(t *testing.T, c *testserver.Client, token, what string, cond func(stateAfterResp) bool) stateAfterResp {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		q := since(token, time.Second)
		q.Set("use_state_after", "true")
		s := syncAs[stateAfterResp](t, c, q)
		if cond(s) {
			return s
		}
		token = s.NextBatch
		if time.Now().After(deadline) {
			t.Fatalf("sync: %s did not happen in time", what)
		}
	}
}

// stateAfterMembers keeps the m.room.member entries of keys.
func stateAfterMembers(keys []string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, "m.room.member|") {
			out = append(out, k)
		}
	}
	return out
}

// onlyStateAfter fails unless the room carries state_after and no state.
func onlyStateAfter(t *testing.T, r stateAfterRoom, ok bool) []string {
	t.Helper()
	if !ok {
		t.Fatal("the room is missing from the sync")
	}
	if r.State != nil || r.StateAfter == nil {
		t.Fatalf("state = %v, state_after = %v; want only state_after", r.State, r.StateAfter)
	}
	return r.StateAfter.keys()
}

func TestSyncUseStateAfterSendsTheStateAtTheEndOfTheTimeline(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat", "topic": "first"})
		join(t, bob, roomID)
		last := setState(t, alice, roomID, "m.room.topic", "", map[string]any{"topic": "second"})
		tok := waitForEvent(t, alice, "", roomID, last)
		limitOne := `{"room":{"timeline":{"limit":1}}}`

		t.Run("initial sync: the whole state at the end, the timeline's state event included", func(t *testing.T) {
			s := stateAfterSync(t, alice, "", limitOne)
			got := onlyStateAfter(t, s.Rooms.Join[roomID], true)
			for _, want := range []string{"m.room.create|", "m.room.topic||second", "m.room.member|" + alice.UserID + "|join", "m.room.member|" + bob.UserID + "|join"} {
				if !slices.Contains(got, want) {
					t.Errorf("state_after = %v, lacks %s", got, want)
				}
			}
			if slices.Contains(got, "m.room.topic||first") {
				t.Errorf("state_after = %v has the replaced topic", got)
			}
		})

		t.Run("without the parameter the room carries state and no state_after", func(t *testing.T) {
			s := syncAs[stateAfterResp](t, alice, url.Values{"filter": {limitOne}})
			r := s.Rooms.Join[roomID]
			if r.State == nil || r.StateAfter != nil {
				t.Fatalf("state = %v, state_after = %v; want only state", r.State, r.StateAfter)
			}
			if got := r.State.keys(); !slices.Contains(got, "m.room.topic||first") {
				t.Errorf("state = %v, want the topic at the start of the timeline", got)
			}
		})

		t.Run("incremental sync: only the state changed since, as it is at the end", func(t *testing.T) {
			setState(t, alice, roomID, "m.room.topic", "", map[string]any{"topic": "third"})
			setState(t, alice, roomID, "m.room.topic", "", map[string]any{"topic": "fourth"})
			msg := send(t, alice, roomID, "after-topics", "hello")
			waitForEvent(t, alice, tok, roomID, msg)
			for _, filter := range []string{"", limitOne} {
				s := stateAfterSync(t, alice, tok, filter)
				got := onlyStateAfter(t, s.Rooms.Join[roomID], true)
				if !slices.Equal(got, []string{"m.room.topic||fourth"}) {
					t.Errorf("filter %q: state_after = %v, want only the last topic", filter, got)
				}
			}
		})

		t.Run("a joined room with nothing new in its state has an empty state_after", func(t *testing.T) {
			s := stateAfterSync(t, alice, "", "")
			next := s.NextBatch
			msg := send(t, bob, roomID, "plain", "just words")
			waitForEvent(t, alice, next, roomID, msg)
			got := onlyStateAfter(t, stateAfterSync(t, alice, next, "").Rooms.Join[roomID], true)
			if len(got) != 0 {
				t.Errorf("state_after = %v, want empty", got)
			}
		})

		t.Run("a room with only new room account data has an empty state_after", func(t *testing.T) {
			next := stateAfterSync(t, alice, "", "").NextBatch
			alice.MustDo(t, http.MethodPut, v3+"/user/"+esc(alice.UserID)+"/rooms/"+esc(roomID)+"/account_data/org.example.note",
				map[string]any{"n": 1}, http.StatusOK)
			s := stateAfterUntil(t, alice, next, "the room account data arrives", func(s stateAfterResp) bool {
				_, ok := s.Rooms.Join[roomID]
				return ok
			})
			if got := onlyStateAfter(t, s.Rooms.Join[roomID], true); len(got) != 0 {
				t.Errorf("state_after = %v, want empty", got)
			}
		})
	})
}

func TestSyncUseStateAfterWithMemberChangesAndInLeftRooms(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		last := send(t, bob, roomID, "b1", "from bob")
		tok := waitForEvent(t, alice, "", roomID, last)

		t.Run("a member event in the timeline is in state_after too", func(t *testing.T) {
			bob.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/state/m.room.member/"+esc(bob.UserID),
				map[string]any{"membership": "join", "displayname": "Bobby"}, http.StatusOK)
			msg := send(t, bob, roomID, "b2", "renamed")
			waitForEvent(t, alice, tok, roomID, msg)
			s := stateAfterSync(t, alice, tok, `{"room":{"state":{"lazy_load_members":true}}}`)
			r := s.Rooms.Join[roomID]
			onlyStateAfter(t, r, true)
			var found bool
			for _, e := range r.StateAfter.Events {
				if e.Type == "m.room.member" && deref(e.StateKey) == bob.UserID && e.Content["displayname"] == "Bobby" {
					found = true
				}
			}
			if !found {
				t.Errorf("state_after = %v lacks bob's new member event", r.StateAfter.keys())
			}
		})

		t.Run("a left room's state_after ends with the leave", func(t *testing.T) {
			bobTok := stateAfterSync(t, bob, "", "").NextBatch
			leave(t, bob, roomID)
			s := stateAfterUntil(t, bob, bobTok, "the leave arrives", func(s stateAfterResp) bool {
				_, ok := s.Rooms.Leave[roomID]
				return ok
			})
			got := onlyStateAfter(t, s.Rooms.Leave[roomID], true)
			if !slices.Equal(got, []string{"m.room.member|" + bob.UserID + "|leave"}) {
				t.Errorf("state_after = %v, want bob's leave only", got)
			}
		})
	})
}
