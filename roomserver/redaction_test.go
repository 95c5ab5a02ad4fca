package roomserver_test

import (
	"encoding/json"
	"testing"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
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
						var unsigned struct {
							RedactedBecause struct {
								EventID string `json:"event_id"`
								Sender  string `json:"sender"`
							} `json:"redacted_because"`
						}
						if err := json.Unmarshal(ev.Unsigned(), &unsigned); err != nil || unsigned.RedactedBecause.EventID != redaction.EventID || unsigned.RedactedBecause.Sender != tt.redacter {
							t.Errorf("unsigned = %s, want redacted_because with %s", ev.Unsigned(), redaction.EventID)
						}
						evs := outs.waitFor(t, "the redaction's output", hasEvents(redaction.EventID))
						for _, out := range evs {
							if out.EventID == redaction.EventID && out.RedactsEventID != target {
								t.Errorf("output redacts_event_id = %q, want %s", out.RedactsEventID, target)
							}
						}
					})
				}
				t.Run("of a state event", func(t *testing.T) {
					topic := submitOne(t, rs, topic(roomID, "secret"))
					submitOne(t, rs, api.SubmitRequest{RoomID: roomID, Type: "m.room.redaction", Sender: alice, Redacts: topic.EventID})
					state, err := rs.CurrentState(t.Context(), roomID, auth.StateKey{Type: "m.room.topic"})
					if err != nil || len(state) != 1 {
						t.Fatalf("topic: %v (%d events)", err, len(state))
					}
					if state[0].EventID() != topic.EventID || string(state[0].Content()) != "{}" {
						t.Errorf("current topic %s %s, want the redacted %s", state[0].EventID(), state[0].Content(), topic.EventID)
					}
				})
			})
		}
	})
}
