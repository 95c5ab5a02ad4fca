//go:build goexperiment.jsonv2

package difftest

import (
	"encoding/json/v2"
	"testing"

	"maunium.net/go/mautrix/federation/pdu"
	"maunium.net/go/mautrix/id"

	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// TestBuiltEventsAgreeWithMautrix builds random events with event.Build
// (room versions 3 and later, mautrix's PDU format) and has mautrix compute
// their event ID, content hash and redacted form.
func TestBuiltEventsAgreeWithMautrix(t *testing.T) {
	key := testKey(t)
	for _, rules := range roomversion.All() {
		if rules.EventFormat == roomversion.EventFormatV1 {
			continue
		}
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 200)
			rv := id.RoomVersion(rules.ID)
			for i := range n {
				tmpl := randEventTemplate(r, rules)
				ours, err := event.Build(rules, tmpl, serverOf(tmpl.Sender), key)
				if err != nil {
					t.Fatalf("case %d: Build: %v", i, err)
				}
				var p pdu.PDU
				if err := json.Unmarshal(ours.JSON(), &p); err != nil {
					t.Fatalf("case %d: mautrix cannot parse %s: %v", i, ours.JSON(), err)
				}
				if !p.VerifyContentHash() {
					t.Fatalf("case %d: mautrix finds a content hash mismatch in %s", i, ours.JSON())
				}
				evID, err := p.GetEventID(rv)
				if err != nil {
					t.Fatal(err)
				}
				if string(evID) != ours.EventID() {
					t.Fatalf("case %d: event ID of %s\nours:   %s\ntheirs: %s", i, ours.JSON(), ours.EventID(), evID)
				}
				redacted, err := event.Redact(rules, ours.JSON())
				if err != nil {
					t.Fatal(err)
				}
				theirs, err := json.Marshal(p.Redact(rv), json.Deterministic(true))
				if err != nil {
					t.Fatal(err)
				}
				canon, err := canonicalize(theirs)
				if err != nil {
					t.Fatal(err)
				}
				if string(canon) != string(redacted) {
					t.Fatalf("case %d: redaction of %s\nours:   %s\ntheirs: %s", i, ours.JSON(), redacted, canon)
				}
			}
		})
	}
}

// canonicalize is our canonical JSON, for comparing mautrix's output
// byte for byte.
func canonicalize(b []byte) ([]byte, error) { return canonicaljson.Canonicalize(b) }
