package difftest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/matrix-org/gomatrixserverlib"
	"github.com/tidwall/gjson"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// randRawEvent is a random event as a JSON object, not necessarily a valid
// PDU: the content of its type with odd values, the top-level keys of the
// format plus legacy and unknown ones that redaction must drop or keep.
func randRawEvent(r *rand.Rand, rules roomversion.Rules, typ string) []byte {
	sender := randUser(r)
	ev := map[string]any{
		"type":             typ,
		"sender":           sender,
		"room_id":          randRoomID(r, rules),
		"content":          json.RawMessage(randContent(r, rules, typ, sender, true)),
		"depth":            r.IntN(1000),
		"origin_server_ts": 1_600_000_000_000 + r.Int64N(1e11),
		"prev_events":      []string{randEventID(r, rules)},
		"auth_events":      []string{randEventID(r, rules)},
		"hashes":           map[string]string{"sha256": randHashID(r, "", false)},
		"signatures":       map[string]any{"a.example": map[string]string{"ed25519:1": "c2ln"}},
	}
	if k := stateKeyFor(r, typ, sender); k != nil {
		ev["state_key"] = *k
	}
	if rules.EventFormat == roomversion.EventFormatV1 {
		ev["event_id"] = randEventID(r, rules)
	}
	if typ == typeRedaction && r.IntN(2) == 0 {
		ev["redacts"] = randEventID(r, rules)
	}
	for _, k := range []string{"origin", "membership", "prev_state", "unsigned", "org.example.extra", "age_ts", "redacts"} {
		if _, ok := ev[k]; !ok && r.IntN(4) == 0 {
			ev[k] = json.RawMessage(randJSON(r, 2, jsonOptions{}))
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// gmslDropsThirdPartyInvite reports whether gomatrixserverlib's redaction
// of the event departs from the spec: from room version 11 an m.room.member
// event keeps content.third_party_invite with only its signed key, and
// gomatrixserverlib drops third_party_invite. TestRedactionKeepsThirdPartyInviteSigned
// holds the case.
func gmslDropsThirdPartyInvite(rules roomversion.Rules, raw []byte) bool {
	return rules.Redaction == roomversion.RedactionV11 &&
		gjson.GetBytes(raw, "type").Str == typeMember &&
		gjson.GetBytes(raw, "content.third_party_invite").IsObject()
}

// TestRedactionAgreesWithGomatrixserverlib redacts random events of every
// type with special redaction rules in every room version.
func TestRedactionAgreesWithGomatrixserverlib(t *testing.T) {
	for _, rules := range versions(t, gmslKnows) {
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 400)
			v := gmslVersion(t, rules)
			for i := range n {
				typ := eventTypes[i%len(eventTypes)]
				raw := randRawEvent(r, rules, typ)
				ours, err := event.Redact(rules, raw)
				if err != nil {
					t.Fatalf("case %d: Redact(%s): %v", i, raw, err)
				}
				theirs, err := v.RedactEventJSON(raw)
				if err != nil {
					t.Fatalf("case %d: gomatrixserverlib cannot redact %s: %v", i, raw, err)
				}
				theirs, err = gomatrixserverlib.CanonicalJSON(theirs)
				if err != nil {
					t.Fatal(err)
				}
				if gmslDropsThirdPartyInvite(rules, raw) {
					continue
				}
				if !bytes.Equal(ours, theirs) {
					t.Fatalf("case %d: redaction of %s\nours:   %s\ntheirs: %s", i, raw, ours, theirs)
				}
			}
		})
	}
}

// TestRedactionKeepsThirdPartyInviteSigned: "The third_party_invite key of
// m.room.member events is no longer redacted, but will only contain the
// signed key after redaction" (room version 11, also 12). gomatrixserverlib
// drops third_party_invite entirely, so its event IDs and reference hashes
// of such member events differ from Synapse's and ours. An object without
// signed stays as {}, as Synapse keeps it.
// https://spec.matrix.org/latest/rooms/v11/#redactions
func TestRedactionKeepsThirdPartyInviteSigned(t *testing.T) {
	raw := []byte(`{"type":"m.room.member","state_key":"@a:b.example","sender":"@a:b.example","room_id":"!r:b.example",` +
		`"content":{"membership":"join","displayname":"A","third_party_invite":{"display_name":"a","signed":{"mxid":"@a:b.example","token":"t"}}}}`)
	emptyInvite := []byte(`{"type":"m.room.member","state_key":"@a:b.example","sender":"@a:b.example","room_id":"!r:b.example",` +
		`"content":{"membership":"join","third_party_invite":{"display_name":"a"}}}`)
	for _, tc := range []struct {
		version roomversion.ID
		want    string
	}{
		{"10", `{"content":{"membership":"join"},"room_id":"!r:b.example","sender":"@a:b.example","state_key":"@a:b.example","type":"m.room.member"}`},
		{"11", `{"content":{"membership":"join","third_party_invite":{"signed":{"mxid":"@a:b.example","token":"t"}}},"room_id":"!r:b.example","sender":"@a:b.example","state_key":"@a:b.example","type":"m.room.member"}`},
		{"12", `{"content":{"membership":"join","third_party_invite":{"signed":{"mxid":"@a:b.example","token":"t"}}},"room_id":"!r:b.example","sender":"@a:b.example","state_key":"@a:b.example","type":"m.room.member"}`},
	} {
		rules, err := roomversion.Lookup(tc.version)
		if err != nil {
			t.Fatal(err)
		}
		gotEmpty, err := event.Redact(rules, emptyInvite)
		if wantEmpty := `{"membership":"join","third_party_invite":{}}`; rules.Redaction == roomversion.RedactionV11 &&
			(err != nil || gjson.GetBytes(gotEmpty, "content").Raw != wantEmpty) {
			t.Errorf("v%s: Redact = %s, %v; want content %s", tc.version, gotEmpty, err, wantEmpty)
		}
		got, err := event.Redact(rules, raw)
		if err != nil || string(got) != tc.want {
			t.Errorf("v%s: Redact = %s, %v; want %s", tc.version, got, err, tc.want)
		}
	}
}
