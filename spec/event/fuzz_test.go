package event

import (
	"encoding/json"
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// FuzzParse feeds arbitrary bytes to Parse in room versions of each event
// format. Parse must never panic, and an event it accepts must survive the
// operations servers apply to stored events.
func FuzzParse(f *testing.F) {
	for _, name := range []string{
		"spec_sign_minimal_out.json", "spec_sign_redactable_out.json", "interop_v10_message.json",
	} {
		f.Add(readTestdata(f, name))
	}
	for _, id := range []roomversion.ID{"1", "4", "11", "12"} {
		r := newRoom(f, rulesFor(f, id))
		create := r.create()
		f.Add(create.JSON())
		f.Add(r.build(Template{
			Type: "m.room.member", StateKey: ptr("@bob:x"), Sender: "@bob:x", RoomID: create.RoomID(),
			Content:    json.RawMessage(`{"membership":"join","join_authorised_via_users_server":"@a:b","third_party_invite":{"signed":{}}}`),
			PrevEvents: []string{create.EventID()}, Depth: 2,
		}).JSON())
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"type":"m.room.redaction","content":{"redacts":1}}`))

	versions := []roomversion.Rules{rulesFor(f, "1"), rulesFor(f, "3"), rulesFor(f, "5"), rulesFor(f, "11"), rulesFor(f, "12")}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, rules := range versions {
			ev, err := Parse(rules, raw)
			if err != nil {
				_, _ = Redact(rules, raw)
				continue
			}
			again, err := Parse(rules, ev.JSON())
			if err != nil {
				t.Fatalf("version %s: reparse of accepted event: %v", rules.ID, err)
			}
			if again.EventID() != ev.EventID() {
				t.Fatalf("version %s: event ID %s became %s on reparse", rules.ID, ev.EventID(), again.EventID())
			}
			red, err := ev.Redact()
			if err != nil {
				t.Fatalf("version %s: redact accepted event: %v", rules.ID, err)
			}
			if red.EventID() != ev.EventID() {
				t.Fatalf("version %s: redaction changed the event ID", rules.ID)
			}
			_ = CheckContentHash(ev)
			_, _ = RequiredSigners(rules, ev)
		}
	})
}
