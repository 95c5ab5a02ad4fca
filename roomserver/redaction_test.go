package roomserver_test

import (
	"encoding/json"
	"testing"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/roomversion"
)

func TestRedactionsAreAppliedAndVisibleInEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		rs := newRoomserver(t, be)
		outs := collectOutputs(t, be.newBus(t))
		for _, version := range []roomversion.ID{"1", "3", "11", "12"} {
			t.Run("v"+string(version), func(t *testing.T) {
				roomID := createRoom(t, rs, version)
				submitOne(t, rs, join(roomID, bob))
				tests := []struct {
					name     string
					author   string
					redacter string
				}{
					{"by its sender", bob, bob},
					{"by a user with the redact power level", bob, alice},
				}
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						target := mustMessage(t, rs, roomID, tt.author)
						redaction := submitOne(t, rs, api.SubmitRequest{
							RoomID: roomID, Type: "m.room.redaction", Sender: tt.redacter,
							Content: json.RawMessage(`{"reason":"spam"}`), Redacts: target,
						})
						ev := getEvent(t, rs, target)
						if !ev.Redacted() || string(ev.Content()) != "{}" {
							t.Errorf("redacted event content = %s (redacted %v), want {}", ev.Content(), ev.Redacted())
						}
						evs := outs.waitFor(t, "the redaction's output", hasEvents(redaction.EventID))
						for _, out := range evs {
							if out.EventID == redaction.EventID && out.RedactsEventID != target {
								t.Errorf("output redacts_event_id = %q, want %s", out.RedactsEventID, target)
							}
						}
					})
				}
			})
		}
	})
}
