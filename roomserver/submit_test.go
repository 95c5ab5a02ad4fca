package roomserver_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

func TestRoomsOfEveryVersionAcceptMessagesAndReadBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		rs := newRoomserver(t, be)
		for _, rules := range roomversion.All() {
			t.Run("v"+string(rules.ID), func(t *testing.T) {
				roomID := createRoom(t, rs, rules.ID)
				info, err := rs.RoomInfo(t.Context(), roomID)
				if err != nil || info.Version != rules.ID {
					t.Fatalf("room info = %+v, %v; want version %s", info, err, rules.ID)
				}
				if rules.RoomIDFromCreateEvent {
					create, err := rs.CurrentState(t.Context(), roomID, auth.StateKey{Type: "m.room.create"})
					if err != nil || len(create) != 1 {
						t.Fatalf("create event: %v (%d)", err, len(create))
					}
					if want := event.RoomIDFromCreateEventID(create[0].EventID()); roomID != want {
						t.Errorf("room ID %s, want %s from the create event", roomID, want)
					}
				} else if !strings.HasSuffix(roomID, ":"+serverName) || !strings.HasPrefix(roomID, "!") {
					t.Errorf("room ID %s is not !opaque:%s", roomID, serverName)
				}

				sent := submitOne(t, rs, message(roomID, alice, "hello"))
				ev := getEvent(t, rs, sent.EventID)
				if ev.Type() != "m.room.message" || ev.Sender() != alice || ev.RoomID() != roomID {
					t.Errorf("read back %s %s %s", ev.Type(), ev.Sender(), ev.RoomID())
				}
				if ev.Depth() != 5 {
					t.Errorf("depth %d, want 5 (after create, join, power levels, join rules)", ev.Depth())
				}
				state, err := rs.CurrentState(t.Context(), roomID)
				if err != nil || len(state) != 4 {
					t.Fatalf("current state: %v (%d events, want 4)", err, len(state))
				}
				m, err := rs.Membership(t.Context(), roomID, alice)
				if err != nil || m.Membership != "join" || m.EventID == "" {
					t.Errorf("alice's membership = %+v, %v", m, err)
				}
				stateAt, err := rs.StateAfter(t.Context(), sent.EventID)
				if err != nil || len(stateAt) != 4 {
					t.Errorf("state after the message: %v (%d events, want 4)", err, len(stateAt))
				}
			})
		}
	})
}

func TestSubmitRejectsWithoutWritingAnything(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		rs := newRoomserver(t, be)
		roomID := createRoom(t, rs, roomversion.Default)
		submitOne(t, rs, join(roomID, bob))
		tests := []struct {
			name string
			reqs []api.SubmitRequest
			want error
		}{
			{"a non-member sending a message", []api.SubmitRequest{message(roomID, "@carol:"+serverName, "hi")}, auth.ErrNotAllowed},
			{"a user without power changing power levels", []api.SubmitRequest{{RoomID: roomID, Type: "m.room.power_levels", StateKey: ptr(""), Sender: bob, Content: json.RawMessage(`{"users":{"` + bob + `":100}}`)}}, auth.ErrNotAllowed},
			{"a batch whose second event is forbidden", []api.SubmitRequest{message(roomID, bob, "ok"), message(roomID, "@carol:"+serverName, "no")}, auth.ErrNotAllowed},
			{"an unknown room", []api.SubmitRequest{message("!nowhere:"+serverName, alice, "hi")}, api.ErrRoomNotFound},
			{"an unknown room version", []api.SubmitRequest{{Type: "m.room.create", StateKey: ptr(""), Sender: alice, RoomVersion: "999"}}, api.ErrUnsupportedRoomVersion},
			{"an event over 64 KiB", []api.SubmitRequest{message(roomID, alice, strings.Repeat("x", 70000))}, api.ErrEventTooLarge},
			{"content that is not an object", []api.SubmitRequest{{RoomID: roomID, Type: "m.room.message", Sender: alice, Content: json.RawMessage(`[1]`)}}, api.ErrInvalidEvent},
			{"a sender of another server", []api.SubmitRequest{message(roomID, "@eve:elsewhere.example", "hi")}, api.ErrInvalidEvent},
			{"a state key over 255 bytes", []api.SubmitRequest{{RoomID: roomID, Type: "m.room.topic", StateKey: ptr(strings.Repeat("k", 300)), Sender: alice, Content: json.RawMessage(`{}`)}}, api.ErrInvalidEvent},
			{"a redaction of another user's event without power", []api.SubmitRequest{{RoomID: roomID, Type: "m.room.redaction", Sender: bob, Redacts: mustMessage(t, rs, roomID, alice)}}, auth.ErrNotAllowed},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := count(t, be.db, "roomserver_events")
				_, err := rs.Submit(t.Context(), tt.reqs...)
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if after := count(t, be.db, "roomserver_events"); after != before {
					t.Errorf("%d events stored by a rejected submit", after-before)
				}
			})
		}
	})
}

// mustMessage sends a message and returns its ID.
func mustMessage(t *testing.T, rs api.API, roomID, sender string) string {
	t.Helper()
	return submitOne(t, rs, message(roomID, sender, "message")).EventID
}
