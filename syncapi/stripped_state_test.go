package syncapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

// strippedSync is the part of /sync that holds stripped state.
type strippedSync struct {
	Rooms struct {
		Invite map[string]struct {
			InviteState struct {
				Events []map[string]any `json:"events"`
			} `json:"invite_state"`
		} `json:"invite"`
		Knock map[string]struct {
			KnockState struct {
				Events []map[string]any `json:"events"`
			} `json:"knock_state"`
		} `json:"knock"`
	} `json:"rooms"`
}

// strippedStateUntil repeats initial syncs until the room's invite_state or
// knock_state (by membership) is there.
func strippedStateUntil(t *testing.T, c *testserver.Client, roomID, membership string) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := syncAs[strippedSync](t, c, url.Values{})
		if r, ok := s.Rooms.Invite[roomID]; ok && membership == "invite" {
			return r.InviteState.Events
		}
		if r, ok := s.Rooms.Knock[roomID]; ok && membership == "knock" {
			return r.KnockState.Events
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync: no %s state for %s in time", membership, roomID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Since v1.16 (MSC4311) invite_state and knock_state must hold the room's
// m.room.create event, as stripped state.
func TestInviteAndKnockStateCarryTheCreateEvent(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		invited := createRoom(t, alice, map[string]any{"name": "Invited", "room_version": "12"})
		invite(t, alice, invited, bob.UserID)
		knocked := createRoom(t, alice, map[string]any{"name": "Door", "room_version": "10", "initial_state": []any{
			map[string]any{"type": "m.room.join_rules", "state_key": "", "content": map[string]any{"join_rule": "knock"}},
		}})
		bob.MustDo(t, http.MethodPost, v3+"/knock/"+esc(knocked), map[string]any{}, http.StatusOK)

		for _, tt := range []struct{ membership, roomID, version string }{
			{"invite", invited, "12"},
			{"knock", knocked, "10"},
		} {
			t.Run(tt.membership, func(t *testing.T) {
				evs := strippedStateUntil(t, bob, tt.roomID, tt.membership)
				var create map[string]any
				var types []string
				for _, e := range evs {
					types = append(types, e["type"].(string))
					if e["type"] == "m.room.create" {
						create = e
					}
				}
				if create == nil {
					t.Fatalf("%s_state types %v lack m.room.create", tt.membership, types)
				}
				for k := range create {
					if !slices.Contains([]string{"type", "state_key", "sender", "content"}, k) {
						t.Errorf("stripped create event has %s: %v", k, create)
					}
				}
				if c := create["content"].(map[string]any); c["room_version"] != tt.version || create["sender"] != alice.UserID {
					t.Errorf("create event %v", create)
				}
				last := evs[len(evs)-1]
				if last["state_key"] != bob.UserID || last["content"].(map[string]any)["membership"] != tt.membership {
					t.Errorf("%s_state ends with %v, want bob's %s", tt.membership, last, tt.membership)
				}
			})
		}
	})
}
