package roomserver_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/roomversion"
)

func topic(roomID, text string) api.SubmitRequest {
	content, _ := json.Marshal(map[string]string{"topic": text})
	return api.SubmitRequest{RoomID: roomID, Type: "m.room.topic", StateKey: ptr(""), Sender: alice, Content: content}
}

func TestStateStorageGrowsWithStateChangesNotMessages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		rs := newRoomserver(t, be)
		roomID := createRoom(t, rs, roomversion.Default) // 4 state events
		for i := range 1000 {
			if i%100 == 0 {
				submitOne(t, rs, topic(roomID, fmt.Sprint(i)))
			}
			submitOne(t, rs, message(roomID, alice, fmt.Sprint(i)))
		}
		if n := count(t, be.db, "roomserver_events"); n != 1014 {
			t.Fatalf("%d events, want 1014", n)
		}
		// One snapshot per state change, each holding only its change:
		// the full copy every 32 changes is not reached yet.
		if n := count(t, be.db, "roomserver_state_snapshots"); n != 14 {
			t.Errorf("%d state snapshots, want 14", n)
		}
		if n := count(t, be.db, "roomserver_state_entries"); n != 14 {
			t.Errorf("%d state entries, want 14", n)
		}
		if n := count(t, be.db, "roomserver_current_state"); n != 5 {
			t.Errorf("%d current state rows, want 5", n)
		}
	})
}

func TestStateAfterAnEventIsTheStateAtThatEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		rs := newRoomserver(t, be)
		roomID := createRoom(t, rs, roomversion.Default)
		// Enough changes to cross full snapshots, with members joining so
		// the state grows along the way.
		type point struct {
			messageID, topic string
			members          int
		}
		var points []point
		members := 1
		for i := range 80 {
			text := fmt.Sprint("topic ", i)
			submitOne(t, rs, topic(roomID, text))
			if i%10 == 0 {
				submitOne(t, rs, join(roomID, fmt.Sprintf("@user%d:%s", i, serverName)))
				members++
			}
			points = append(points, point{mustMessage(t, rs, roomID, alice), text, members})
		}
		for _, p := range points {
			state, err := rs.StateAfter(t.Context(), p.messageID)
			if err != nil {
				t.Fatalf("state after %s: %v", p.messageID, err)
			}
			var gotTopic string
			gotMembers := 0
			for _, ev := range state {
				switch ev.Type() {
				case "m.room.topic":
					var c struct{ Topic string }
					_ = json.Unmarshal(ev.Content(), &c)
					gotTopic = c.Topic
				case "m.room.member":
					gotMembers++
				}
			}
			if gotTopic != p.topic || gotMembers != p.members || len(state) != 4+p.members {
				t.Fatalf("state after the message of %q: topic %q, %d members, %d events; want %d members",
					p.topic, gotTopic, gotMembers, len(state), p.members)
			}
			only, err := rs.StateAfter(t.Context(), p.messageID, auth.StateKey{Type: "m.room.topic"})
			if err != nil || len(only) != 1 {
				t.Fatalf("topic after %s: %v (%d events)", p.messageID, err, len(only))
			}
		}
		if _, err := rs.StateAfter(t.Context(), "$unknown"); !errors.Is(err, api.ErrEventNotFound) {
			t.Errorf("state after an unknown event: %v, want ErrEventNotFound", err)
		}
	})
}

func TestMembershipQueries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		rs := newRoomserver(t, be)
		first := createRoom(t, rs, roomversion.Default)
		second := createRoom(t, rs, "12")
		joined := submitOne(t, rs, join(first, bob))
		submitOne(t, rs, join(second, bob))
		left := submitOne(t, rs, api.SubmitRequest{RoomID: second, Type: "m.room.member", StateKey: ptr(bob), Sender: bob, Content: []byte(`{"membership":"leave"}`)})

		tests := []struct {
			name, roomID, user string
			want               api.Membership
		}{
			{"a joined member", first, bob, api.Membership{Membership: "join", EventID: joined.EventID}},
			{"a member who left", second, bob, api.Membership{Membership: "leave", EventID: left.EventID}},
			{"a user who never was a member", first, "@carol:" + serverName, api.Membership{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := rs.Membership(t.Context(), tt.roomID, tt.user)
				if err != nil || got != tt.want {
					t.Errorf("membership = %+v, %v; want %+v", got, err, tt.want)
				}
			})
		}
		rooms, err := rs.RoomsOfUser(t.Context(), bob, "join")
		if err != nil || len(rooms) != 1 || rooms[0] != first {
			t.Errorf("bob's joined rooms = %v, %v; want [%s]", rooms, err, first)
		}
		rooms, err = rs.RoomsOfUser(t.Context(), alice, "join")
		if err != nil || len(rooms) != 2 {
			t.Errorf("alice's joined rooms = %v, %v; want 2", rooms, err)
		}
		if _, err := rs.Membership(t.Context(), "!unknown:"+serverName, bob); !errors.Is(err, api.ErrRoomNotFound) {
			t.Errorf("membership in an unknown room: %v, want ErrRoomNotFound", err)
		}
		if _, err := rs.CurrentState(t.Context(), "!unknown:"+serverName); !errors.Is(err, api.ErrRoomNotFound) {
			t.Errorf("state of an unknown room: %v, want ErrRoomNotFound", err)
		}
	})
}
