package syncapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestKnockAppearsInSyncWithKnockStateAndMovesOnInvite(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{
			"name":          "Door",
			"initial_state": []any{map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": "knock"}}},
		})
		token := sync(t, bob, nil).NextBatch

		bob.MustDo(t, http.MethodPost, v3+"/knock/"+esc(roomID), map[string]any{"reason": "let me in"}, http.StatusOK)
		s := syncUntil(t, bob, token, "the knock", func(s syncResp) bool { _, ok := s.Rooms.Knock[roomID]; return ok })
		checkKnockState := func(t *testing.T, s syncResp) {
			t.Helper()
			if _, ok := s.Rooms.Join[roomID]; ok {
				t.Error("a knocked room is also under join")
			}
			if _, ok := s.Rooms.Invite[roomID]; ok {
				t.Error("a knocked room is also under invite")
			}
			evs := s.Rooms.Knock[roomID].KnockState.Events
			var types []string
			for _, e := range evs {
				types = append(types, e.Type)
				if e.Type == "m.room.join_rules" && e.Content["join_rule"] != "knock" {
					t.Errorf("join rules in knock_state: %v", e.Content)
				}
			}
			for _, want := range []string{"m.room.create", "m.room.join_rules", "m.room.name"} {
				if !slices.Contains(types, want) {
					t.Errorf("knock_state types = %v, want %s among them", types, want)
				}
			}
			if n := len(evs); n == 0 || evs[n-1].Type != "m.room.member" || *evs[n-1].StateKey != bob.UserID || evs[n-1].Content["membership"] != "knock" {
				t.Errorf("knock_state = %+v, want it to end with bob's knock", evs)
			}
		}
		checkKnockState(t, s)
		t.Run("an initial sync shows the knock too", func(t *testing.T) {
			checkKnockState(t, sync(t, bob, nil))
		})

		// The room admits the knock by inviting; bob's sync moves the
		// room from knock to invite, then to join when he accepts.
		invite(t, alice, roomID, bob.UserID)
		s = syncUntil(t, bob, s.NextBatch, "the invite", func(s syncResp) bool { _, ok := s.Rooms.Invite[roomID]; return ok })
		if _, ok := s.Rooms.Knock[roomID]; ok {
			t.Error("the invited room is still under knock")
		}
		if _, ok := sync(t, bob, nil).Rooms.Knock[roomID]; ok {
			t.Error("an initial sync after the invite still shows the knock")
		}
		join(t, bob, roomID)
		s = syncUntil(t, bob, s.NextBatch, "the join", func(s syncResp) bool { _, ok := s.Rooms.Join[roomID]; return ok })
		if _, ok := s.Rooms.Knock[roomID]; ok {
			t.Error("the joined room is still under knock")
		}
	})
}

// The summary names the room's heroes (other joined or invited members,
// in the order they got there; former members when no one else is left)
// and counts the joined and invited members.
func TestSyncSummaryFollowsInvitesJoinsAndLeaves(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		alice, bob, carol, roomID, token := aloneInPublicRoom(t, b)

		steps := []struct {
			name    string
			act     func()
			heroes  []string
			joined  float64
			invited float64
		}{
			{"bob joins", func() { join(t, bob, roomID) }, []string{bob.UserID}, 2, 0},
			{"carol is invited", func() { invite(t, alice, roomID, carol.UserID) }, []string{bob.UserID, carol.UserID}, 2, 1},
			{"carol joins", func() { join(t, carol, roomID) }, []string{bob.UserID, carol.UserID}, 3, 0},
			{"bob leaves", func() { leave(t, bob, roomID) }, []string{carol.UserID}, 2, 0},
			{"carol leaves: the former members are the heroes", func() { leave(t, carol, roomID) }, []string{bob.UserID, carol.UserID}, 1, 0},
		}
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				step.act()
				// The step's membership event is the last one in the room.
				s := syncUntil(t, alice, token, step.name, func(s syncResp) bool {
					evs := s.Rooms.Join[roomID].Timeline.Events
					return len(evs) > 0 && evs[len(evs)-1].Type == "m.room.member"
				})
				token = s.NextBatch
				sum := s.Rooms.Join[roomID].Summary
				var heroes []string
				hs, _ := sum["m.heroes"].([]any)
				for _, h := range hs {
					heroes = append(heroes, h.(string))
				}
				if !slices.Equal(heroes, step.heroes) || sum["m.joined_member_count"] != step.joined || sum["m.invited_member_count"] != step.invited {
					t.Errorf("summary %v, want heroes %v, %v joined, %v invited", sum, step.heroes, step.joined, step.invited)
				}
			})
		}
	})
}
