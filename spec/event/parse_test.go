package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// basePDU is a valid message event in the format of the room version,
// as a map that test cases modify.
func basePDU(rules roomversion.Rules) map[string]any {
	ev := map[string]any{
		"type": "m.room.message", "room_id": "!r:x", "sender": "@u:x",
		"content": map[string]any{"body": "hi"}, "depth": 3, "origin_server_ts": 1700000000000,
		"hashes":      map[string]any{"sha256": "aGFzaA"},
		"signatures":  map[string]any{"x": map[string]any{"ed25519:1": "c2ln"}},
		"prev_events": []any{"$prev"}, "auth_events": []any{"$auth1", "$auth2"},
	}
	if rules.EventFormat == roomversion.EventFormatV1 {
		ev["event_id"] = "$base:x"
		ev["prev_events"] = []any{[]any{"$prev:x", map[string]any{"sha256": "aGFzaA"}}}
		ev["auth_events"] = []any{[]any{"$auth:x", map[string]any{"sha256": "aGFzaA"}}}
	}
	return ev
}

func ids(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = "$e" + strings.Repeat("x", i)
	}
	return out
}

type versionFilter func(roomversion.Rules) bool

func allVersions(roomversion.Rules) bool   { return true }
func v1Format(r roomversion.Rules) bool    { return r.EventFormat == roomversion.EventFormatV1 }
func derivedIDs(r roomversion.Rules) bool  { return r.EventFormat != roomversion.EventFormatV1 }
func strictJSON(r roomversion.Rules) bool  { return r.StrictCanonicalJSON }
func lenientJSON(r roomversion.Rules) bool { return !r.StrictCanonicalJSON }
func hashRoomIDs(r roomversion.Rules) bool { return r.RoomIDFromCreateEvent }
func topRedacts(r roomversion.Rules) bool  { return !r.ImplicitRoomCreator }
func contentRedacts(r roomversion.Rules) bool {
	return r.ImplicitRoomCreator
}

func TestParseDropsEventsOutsideTheFormat(t *testing.T) {
	long := strings.Repeat("a", MaxFieldSize+1)
	cases := []struct {
		name     string
		versions versionFilter
		mutate   func(map[string]any)
		want     error
	}{
		{"an event without a type", allVersions, func(e map[string]any) { delete(e, "type") }, ErrMissingField},
		{"an event without a sender", allVersions, func(e map[string]any) { delete(e, "sender") }, ErrMissingField},
		{"an event without content", allVersions, func(e map[string]any) { delete(e, "content") }, ErrMissingField},
		{"an event without a depth", allVersions, func(e map[string]any) { delete(e, "depth") }, ErrMissingField},
		{"an event without origin_server_ts", allVersions, func(e map[string]any) { delete(e, "origin_server_ts") }, ErrMissingField},
		{"an event without hashes", allVersions, func(e map[string]any) { delete(e, "hashes") }, ErrMissingField},
		{"an event without a sha256 hash", allVersions, func(e map[string]any) { e["hashes"] = map[string]any{"sha512": "x"} }, ErrMissingField},
		{"an event without signatures", allVersions, func(e map[string]any) { delete(e, "signatures") }, ErrMissingField},
		{"an event without prev_events", allVersions, func(e map[string]any) { delete(e, "prev_events") }, ErrMissingField},
		{"an event without auth_events", allVersions, func(e map[string]any) { delete(e, "auth_events") }, ErrMissingField},
		{"a message without a room_id", allVersions, func(e map[string]any) { delete(e, "room_id") }, ErrMissingField},
		{"a version 1 event without an event_id", v1Format, func(e map[string]any) { delete(e, "event_id") }, ErrMissingField},

		{"an event whose type is a number", allVersions, func(e map[string]any) { e["type"] = 1 }, ErrInvalidField},
		{"an event whose sender is not a user ID", allVersions, func(e map[string]any) { e["sender"] = "alice" }, ErrInvalidField},
		{"an event whose sender has no server name", allVersions, func(e map[string]any) { e["sender"] = "@alice:" }, ErrInvalidField},
		{"an event whose state_key is null", allVersions, func(e map[string]any) { e["state_key"] = nil }, ErrInvalidField},
		{"an event whose content is an array", allVersions, func(e map[string]any) { e["content"] = []any{} }, ErrInvalidField},
		{"an event with a negative depth", allVersions, func(e map[string]any) { e["depth"] = -1 }, ErrInvalidField},
		{"an event whose depth is a string", allVersions, func(e map[string]any) { e["depth"] = "3" }, ErrInvalidField},
		{"an event whose depth is a float", lenientJSON, func(e map[string]any) { e["depth"] = 3.5 }, ErrInvalidField},
		{"an event whose depth is beyond int64", lenientJSON, func(e map[string]any) { e["depth"] = json.Number("9223372036854775808") }, ErrInvalidField},
		{"an event whose origin_server_ts is a string", allVersions, func(e map[string]any) { e["origin_server_ts"] = "1" }, ErrInvalidField},
		{"an event whose sha256 hash is a number", allVersions, func(e map[string]any) { e["hashes"] = map[string]any{"sha256": 1} }, ErrInvalidField},
		{"an event whose signatures are a string", allVersions, func(e map[string]any) { e["signatures"] = "x" }, ErrInvalidField},
		{"an event whose server signatures are a string", allVersions, func(e map[string]any) { e["signatures"] = map[string]any{"x": "y"} }, ErrInvalidField},
		{"an event with a numeric signature", allVersions, func(e map[string]any) { e["signatures"] = map[string]any{"x": map[string]any{"ed25519:1": 1}} }, ErrInvalidField},
		{"an event whose unsigned is an array", allVersions, func(e map[string]any) { e["unsigned"] = []any{} }, ErrInvalidField},
		{"an event whose room_id is a number", allVersions, func(e map[string]any) { e["room_id"] = 1 }, ErrInvalidField},
		{"an event whose prev_events is an object", allVersions, func(e map[string]any) { e["prev_events"] = map[string]any{} }, ErrInvalidField},
		{"a version 1 event whose prev_events hold bare IDs", v1Format, func(e map[string]any) { e["prev_events"] = []any{"$p:x"} }, ErrInvalidField},
		{"a version 1 event whose reference has three parts", v1Format, func(e map[string]any) {
			e["auth_events"] = []any{[]any{"$a:x", map[string]any{}, 1}}
		}, ErrInvalidField},
		{"a version 1 event whose reference hashes are not strings", v1Format, func(e map[string]any) {
			e["auth_events"] = []any{[]any{"$a:x", map[string]any{"sha256": 1}}}
		}, ErrInvalidField},
		{"a version 1 event whose event_id has no server name", v1Format, func(e map[string]any) { e["event_id"] = "$abc" }, ErrInvalidField},
		{"a version 1 event whose event_id has no sigil", v1Format, func(e map[string]any) { e["event_id"] = "abc:x" }, ErrInvalidField},
		{"a hashed-ID event whose prev_events hold pairs", derivedIDs, func(e map[string]any) {
			e["prev_events"] = []any{[]any{"$p:x", map[string]any{"sha256": "x"}}}
		}, ErrInvalidField},
		{"a hashed-ID event that carries an event_id", derivedIDs, func(e map[string]any) { e["event_id"] = "$x" }, ErrUnexpectedEventID},
		{"a version 12 create event with a room_id", hashRoomIDs, func(e map[string]any) {
			e["type"], e["state_key"] = "m.room.create", ""
		}, ErrUnexpectedRoomID},
		{"a version 12 event whose room_id has no sigil", hashRoomIDs, func(e map[string]any) { e["room_id"] = "abc" }, ErrInvalidField},
		{"a redaction whose top-level redacts is a number", topRedacts, func(e map[string]any) {
			e["type"], e["redacts"] = "m.room.redaction", 1
		}, ErrInvalidField},
		{"a redaction whose content.redacts is a number", contentRedacts, func(e map[string]any) {
			e["type"], e["content"] = "m.room.redaction", map[string]any{"redacts": 1}
		}, ErrInvalidField},

		{"more than 20 prev_events", allVersions, func(e map[string]any) { setReferences(e, "prev_events", 21) }, ErrTooManyPrevEvents},
		{"more than 10 auth_events", allVersions, func(e map[string]any) { setReferences(e, "auth_events", 11) }, ErrTooManyAuthEvents},
		{"a type over 255 bytes", allVersions, func(e map[string]any) { e["type"] = long }, ErrFieldTooLong},
		{"a state_key over 255 bytes", allVersions, func(e map[string]any) { e["state_key"] = long }, ErrFieldTooLong},
		{"a state_key of 128 two-byte characters", allVersions, func(e map[string]any) { e["state_key"] = strings.Repeat("é", 128) }, ErrFieldTooLong},
		{"a sender over 255 bytes", allVersions, func(e map[string]any) { e["sender"] = "@" + long + ":x" }, ErrFieldTooLong},
		{"a room_id over 255 bytes", allVersions, func(e map[string]any) { e["room_id"] = "!" + long + ":x" }, ErrFieldTooLong},
		{"a version 1 event_id over 255 bytes", v1Format, func(e map[string]any) { e["event_id"] = "$" + long + ":x" }, ErrFieldTooLong},
		{"a PDU over 65536 bytes", allVersions, func(e map[string]any) { e["content"] = map[string]any{"body": strings.Repeat("a", MaxPDUSize)} }, ErrEventTooLarge},

		{"a float in a version 6 event", strictJSON, func(e map[string]any) { e["content"] = map[string]any{"n": 1.5} }, ErrInvalidJSON},
		{"an integer beyond 2^53 in a version 6 event", strictJSON, func(e map[string]any) {
			e["content"] = map[string]any{"n": json.Number("9007199254740992")}
		}, ErrInvalidJSON},
	}
	for _, tc := range cases {
		for _, rules := range roomversion.All() {
			if !tc.versions(rules) {
				continue
			}
			t.Run("Parse drops "+tc.name+" in room version "+string(rules.ID), func(t *testing.T) {
				ev := basePDU(rules)
				tc.mutate(ev)
				if _, err := Parse(rules, mustJSON(t, ev)); !errors.Is(err, tc.want) {
					t.Errorf("Parse = %v, want %v", err, tc.want)
				}
			})
		}
	}
}

func setReferences(e map[string]any, key string, n int) {
	refs := ids(n)
	if _, pairs := e["event_id"]; pairs {
		for i, id := range refs {
			refs[i] = []any{id.(string) + ":x", map[string]any{"sha256": "x"}}
		}
	}
	e[key] = refs
}

func TestParseRefusesBytesThatAreNotAnEventObject(t *testing.T) {
	cases := []struct{ name, raw string }{
		{"empty input", ``},
		{"truncated JSON", `{"type":"m.room.message"`},
		{"a top-level array", `[]`},
		{"a top-level string", `"event"`},
		{"duplicate keys", `{"type":"a","type":"b"}`},
		{"invalid UTF-8", "{\"type\":\"\xff\"}"},
	}
	for _, tc := range cases {
		t.Run("Parse refuses "+tc.name, func(t *testing.T) {
			if _, err := Parse(rulesFor(t, "11"), []byte(tc.raw)); !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("Parse = %v, want ErrInvalidJSON", err)
			}
		})
	}
	t.Run("Parse refuses rules that are not a room version", func(t *testing.T) {
		if _, err := Parse(roomversion.Rules{}, mustJSON(t, basePDU(rulesFor(t, "11")))); !errors.Is(err, ErrUnsupportedRules) {
			t.Errorf("Parse = %v, want ErrUnsupportedRules", err)
		}
	})
}

func TestParseAcceptsEventsAtTheLimits(t *testing.T) {
	limit := strings.Repeat("a", MaxFieldSize)
	cases := []struct {
		name     string
		versions versionFilter
		mutate   func(map[string]any)
		check    func(*testing.T, *Event)
	}{
		{"a state_key of exactly 255 bytes", allVersions, func(e map[string]any) { e["state_key"] = limit }, nil},
		{"a type of exactly 255 bytes", allVersions, func(e map[string]any) { e["type"] = limit }, nil},
		{"20 prev_events and 10 auth_events", allVersions, func(e map[string]any) {
			setReferences(e, "prev_events", 20)
			setReferences(e, "auth_events", 10)
		}, nil},
		{"a PDU of exactly 65536 bytes", allVersions, func(e map[string]any) { padTo(e, MaxPDUSize) }, nil},
		{"a PDU at the limit plus a large unsigned", allVersions, func(e map[string]any) {
			padTo(e, MaxPDUSize)
			e["unsigned"] = map[string]any{"age": 1, "pad": strings.Repeat("u", 1000)}
		}, nil},
		{"legacy floats and large integers before version 6", lenientJSON, func(e map[string]any) {
			e["content"] = map[string]any{"f": 1.5, "n": json.Number("123456789012345678901234567890")}
		}, func(t *testing.T, ev *Event) {
			if string(ev.Content()) != `{"f":1.5,"n":123456789012345678901234567890}` {
				t.Errorf("content %s", ev.Content())
			}
		}},
		{"unknown top-level keys", allVersions, func(e map[string]any) { e["origin"] = "x"; e["future"] = []any{1} }, func(t *testing.T, ev *Event) {
			if ev.Origin() != "x" {
				t.Errorf("Origin %q", ev.Origin())
			}
		}},
		{"a version 12 create event without a room_id", hashRoomIDs, func(e map[string]any) {
			e["type"], e["state_key"] = "m.room.create", ""
			delete(e, "room_id")
		}, func(t *testing.T, ev *Event) {
			if ev.RoomID() != RoomIDFromCreateEventID(ev.EventID()) || CreateEventIDFromRoomID(ev.RoomID()) != ev.EventID() {
				t.Errorf("room ID %q for create event %q", ev.RoomID(), ev.EventID())
			}
		}},
		{"a redaction with top-level redacts", topRedacts, func(e map[string]any) {
			e["type"], e["redacts"] = "m.room.redaction", "$target"
		}, func(t *testing.T, ev *Event) {
			if ev.Redacts() != "$target" {
				t.Errorf("Redacts %q", ev.Redacts())
			}
		}},
		{"a redaction whose top-level redacts the version ignores", contentRedacts, func(e map[string]any) {
			e["type"], e["redacts"] = "m.room.redaction", 1
		}, func(t *testing.T, ev *Event) {
			if ev.Redacts() != "" {
				t.Errorf("Redacts %q", ev.Redacts())
			}
		}},
		{"a redaction with content.redacts", contentRedacts, func(e map[string]any) {
			e["type"], e["content"] = "m.room.redaction", map[string]any{"redacts": "$target"}
		}, func(t *testing.T, ev *Event) {
			if ev.Redacts() != "$target" {
				t.Errorf("Redacts %q", ev.Redacts())
			}
		}},
	}
	for _, tc := range cases {
		for _, rules := range roomversion.All() {
			if !tc.versions(rules) {
				continue
			}
			t.Run("Parse accepts "+tc.name+" in room version "+string(rules.ID), func(t *testing.T) {
				ev := basePDU(rules)
				tc.mutate(ev)
				parsed, err := Parse(rules, mustJSON(t, ev))
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if tc.check != nil {
					tc.check(t, parsed)
				}
			})
		}
	}
}

// padTo grows the content so that the event without unsigned is exactly
// size bytes of canonical JSON.
func padTo(e map[string]any, size int) {
	e["content"] = map[string]any{"body": ""}
	delete(e, "unsigned")
	b, _ := json.Marshal(e)
	e["content"] = map[string]any{"body": strings.Repeat("a", size-len(b))}
}

func TestParseReadsTheWireFields(t *testing.T) {
	raw := []byte(`{
		"type": "m.room.member", "state_key": "@u:x", "room_id": "!r:x", "sender": "@u:x",
		"content": {"membership": "join"}, "depth": 7, "origin_server_ts": 42,
		"hashes": {"sha256": "aGFzaA", "other": "b3RoZXI"},
		"signatures": {"x": {"ed25519:1": "c2ln"}},
		"event_id": "$e:x", "unsigned": {"age": 5},
		"prev_events": [["$p:x", {"sha256": "cA"}]], "auth_events": [["$a:x", {"sha256": "YQ"}]]
	}`)
	ev, err := Parse(rulesFor(t, "1"), raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"EventID", ev.EventID(), "$e:x"},
		{"RoomID", ev.RoomID(), "!r:x"},
		{"Type", ev.Type(), "m.room.member"},
		{"StateKey", *ev.StateKey(), "@u:x"},
		{"Sender", ev.Sender(), "@u:x"},
		{"Content", string(ev.Content()), `{"membership":"join"}`},
		{"Depth", ev.Depth(), int64(7)},
		{"OriginServerTS", ev.OriginServerTS(), int64(42)},
		{"PrevEventIDs", strings.Join(ev.PrevEventIDs(), ","), "$p:x"},
		{"AuthEventIDs", strings.Join(ev.AuthEventIDs(), ","), "$a:x"},
		{"PrevEvents hashes", ev.PrevEvents()[0].Hashes["sha256"], "cA"},
		{"Hashes", ev.Hashes()["other"], "b3RoZXI"},
		{"Signatures", ev.Signatures()["x"]["ed25519:1"], "c2ln"},
		{"Unsigned", string(ev.Unsigned()), `{"age":5}`},
		{"Version", ev.Version(), roomversion.ID("1")},
		{"IsState", ev.IsState(), true},
		{"JSON is canonical", string(ev.JSON()[:12]), `{"auth_event`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	*ev.StateKey() = "changed"
	ev.PrevEvents()[0].Hashes["sha256"] = "changed"
	if *ev.StateKey() != "@u:x" || ev.PrevEvents()[0].Hashes["sha256"] != "cA" {
		t.Error("accessors expose the event's own memory")
	}
}

func TestParseGivesTheSameEventForAnySpelling(t *testing.T) {
	rules := rulesFor(t, "11")
	a := []byte(`{"type":"m.room.message","room_id":"!r:x","sender":"@u:x","content":{"body":"\u00e9"},"depth":1,"origin_server_ts":1,"hashes":{"sha256":"x"},"signatures":{},"prev_events":[],"auth_events":[]}`)
	b := []byte("{\n \"auth_events\": [], \"prev_events\": [], \"signatures\": {}, \"hashes\": {\"sha256\": \"x\"},\n \"origin_server_ts\": 1, \"depth\": 1, \"content\": {\"body\": \"é\"},\n \"sender\": \"@u:x\", \"room_id\": \"!r:x\", \"type\": \"m.room.message\"\n}")
	ea, err := Parse(rules, a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := Parse(rules, b)
	if err != nil {
		t.Fatal(err)
	}
	if ea.EventID() != eb.EventID() || string(ea.JSON()) != string(eb.JSON()) {
		t.Errorf("two spellings of one event differ: %s %s / %s %s", ea.EventID(), ea.JSON(), eb.EventID(), eb.JSON())
	}
}

func TestParseWithEventID(t *testing.T) {
	t.Run("a hashed-ID event keeps the ID the caller knows", func(t *testing.T) {
		ev, err := ParseWithEventID(rulesFor(t, "10"), mustJSON(t, basePDU(rulesFor(t, "10"))), "$known")
		if err != nil || ev.EventID() != "$known" {
			t.Errorf("ParseWithEventID = %v, %v", ev, err)
		}
	})
	t.Run("a version 1 event must carry the ID the caller knows", func(t *testing.T) {
		_, err := ParseWithEventID(rulesFor(t, "1"), mustJSON(t, basePDU(rulesFor(t, "1"))), "$other:x")
		if !errors.Is(err, ErrInvalidField) {
			t.Errorf("ParseWithEventID = %v, want ErrInvalidField", err)
		}
	})
	t.Run("an empty ID is refused", func(t *testing.T) {
		_, err := ParseWithEventID(rulesFor(t, "10"), mustJSON(t, basePDU(rulesFor(t, "10"))), "")
		if !errors.Is(err, ErrInvalidField) {
			t.Errorf("ParseWithEventID = %v, want ErrInvalidField", err)
		}
	})
}
