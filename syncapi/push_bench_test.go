package syncapi

import (
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/pushrules"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// BenchmarkEvaluatePushThousandMembers measures what storing one message
// in a room of 1,000 local members costs in push rule evaluation: every
// member's default ruleset against the event.
func BenchmarkEvaluatePushThousandMembers(b *testing.B) {
	rules, err := roomversion.Lookup("10")
	if err != nil {
		b.Fatal(err)
	}
	ev, err := event.ParseWithEventID(rules, []byte(`{"type":"m.room.message","room_id":"!r:bench","sender":"@u0:bench",
		"content":{"msgtype":"m.text","body":"hello u17, how are you?"},"depth":5,"origin_server_ts":1,
		"prev_events":[],"auth_events":[],"hashes":{"sha256":"x"},"signatures":{}}`), "$e:bench")
	if err != nil {
		b.Fatal(err)
	}
	room := &pushRoom{memberCount: 1000}
	rulesets := map[string]pushrules.Ruleset{}
	for i := range 1000 {
		u := fmt.Sprintf("@u%d:bench", i)
		room.local = append(room.local, pushMember{userID: u, displayName: fmt.Sprintf("User %d", i)})
		rulesets[u] = pushrules.DefaultRuleset(u)
	}
	b.ReportAllocs()
	for b.Loop() {
		notifs, err := evaluatePush(ev, room, rulesets)
		if err != nil {
			b.Fatal(err)
		}
		if len(notifs) != 999 {
			b.Fatalf("%d notifications, want 999", len(notifs))
		}
	}
}
