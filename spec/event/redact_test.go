package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
)

type redactionCase struct {
	Name     string                     `json:"name"`
	Type     string                     `json:"type"`
	Content  json.RawMessage            `json:"content"`
	Redacted map[string]json.RawMessage `json:"redacted"`
}

// TestRedactKeepsTheProtectedContentKeys runs testdata/redactions.json: for
// each event type, the content each room version keeps, from the
// redaction sections of the room version pages.
func TestRedactKeepsTheProtectedContentKeys(t *testing.T) {
	var cases []redactionCase
	if err := json.Unmarshal(readTestdata(t, "redactions.json"), &cases); err != nil {
		t.Fatalf("redactions.json: %v", err)
	}
	for _, tc := range cases {
		covered := map[roomversion.ID]bool{}
		for versions, want := range tc.Redacted {
			for _, v := range strings.Split(versions, ",") {
				id := roomversion.ID(v)
				if covered[id] {
					t.Fatalf("%s: version %s listed twice", tc.Name, id)
				}
				covered[id] = true
				t.Run(tc.Name+" in room version "+v, func(t *testing.T) {
					ev := map[string]any{
						"type": tc.Type, "room_id": "!r:x", "sender": "@u:x", "state_key": "",
						"content": tc.Content, "depth": 1, "origin_server_ts": 1,
						"hashes": map[string]string{"sha256": "h"}, "signatures": map[string]any{},
						"prev_events": []string{}, "auth_events": []string{},
					}
					got, err := Redact(rulesFor(t, id), mustJSON(t, ev))
					if err != nil {
						t.Fatalf("Redact: %v", err)
					}
					var out map[string]json.RawMessage
					if err := json.Unmarshal(got, &out); err != nil {
						t.Fatalf("redacted output: %v", err)
					}
					if w := canonical(t, want); !bytes.Equal(out["content"], w) {
						t.Errorf("content\n got %s\nwant %s", out["content"], w)
					}
				})
			}
		}
		for _, r := range roomversion.All() {
			if !covered[r.ID] {
				t.Errorf("%s: no expectation for room version %s", tc.Name, r.ID)
			}
		}
	}
}

func TestRedactKeepsTheProtectedTopLevelKeys(t *testing.T) {
	full := `{"event_id":"$e:x","type":"m.room.message","room_id":"!r:x","sender":"@u:x",
		"state_key":"","content":{"body":"x"},"hashes":{"sha256":"h"},"signatures":{"x":{"ed25519:1":"s"}},
		"depth":5,"prev_events":[],"auth_events":[],"origin":"x","origin_server_ts":7,
		"membership":"join","prev_state":[],"unsigned":{"age":1},"redacts":"$r:x","other":"gone"}`
	before11 := `{"event_id":"$e:x","type":"m.room.message","room_id":"!r:x","sender":"@u:x",
		"state_key":"","content":{},"hashes":{"sha256":"h"},"signatures":{"x":{"ed25519:1":"s"}},
		"depth":5,"prev_events":[],"auth_events":[],"origin":"x","origin_server_ts":7,
		"membership":"join","prev_state":[]}`
	from11 := `{"event_id":"$e:x","type":"m.room.message","room_id":"!r:x","sender":"@u:x",
		"state_key":"","content":{},"hashes":{"sha256":"h"},"signatures":{"x":{"ed25519:1":"s"}},
		"depth":5,"prev_events":[],"auth_events":[],"origin_server_ts":7}`
	for _, r := range roomversion.All() {
		want := before11
		if r.Redaction >= roomversion.RedactionV11 {
			want = from11
		}
		t.Run("room version "+string(r.ID)+" drops unsigned, redacts and unknown keys", func(t *testing.T) {
			got, err := Redact(r, []byte(full))
			if err != nil {
				t.Fatalf("Redact: %v", err)
			}
			if w := canonical(t, []byte(want)); !bytes.Equal(got, w) {
				t.Errorf("redacted\n got %s\nwant %s", got, w)
			}
		})
	}
}

func TestRedactRejectsWhatIsNotAnEvent(t *testing.T) {
	cases := []struct {
		name    string
		version roomversion.ID
		raw     string
		want    error
	}{
		{"bytes that are not JSON", "11", `{"type":`, ErrInvalidJSON},
		{"an array", "11", `[1]`, ErrInvalidJSON},
		{"an event without a type", "11", `{"content":{}}`, ErrInvalidField},
		{"an event whose type is a number", "11", `{"type":1,"content":{}}`, ErrInvalidField},
		{"an event whose content is a string", "11", `{"type":"m.room.message","content":"x"}`, ErrInvalidField},
		{"a float in a version 6 event", "6", `{"type":"m.room.message","content":{"n":1.5}}`, ErrInvalidJSON},
		{"a duplicate key", "3", `{"type":"a","type":"b","content":{}}`, ErrInvalidJSON},
	}
	for _, tc := range cases {
		t.Run("Redact refuses "+tc.name, func(t *testing.T) {
			if _, err := Redact(rulesFor(t, tc.version), []byte(tc.raw)); !errors.Is(err, tc.want) {
				t.Errorf("Redact = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRedactAcceptsLegacyNumbersBeforeVersion6(t *testing.T) {
	raw := []byte(`{"type":"m.room.power_levels","content":{"ban":50.5,"users":{"@a:x":100000000000000000000}}}`)
	got, err := Redact(rulesFor(t, "5"), raw)
	if err != nil {
		t.Fatalf("Redact: %v", err)
	}
	want := `{"content":{"ban":50.5,"users":{"@a:x":100000000000000000000}},"type":"m.room.power_levels"}`
	if string(got) != want {
		t.Errorf("redacted\n got %s\nwant %s", got, want)
	}
}

func TestEventRedactKeepsTheIdentity(t *testing.T) {
	for _, r := range roomversion.All() {
		t.Run("a redacted event of room version "+string(r.ID)+" keeps its event and room IDs", func(t *testing.T) {
			create := buildCreate(t, r)
			red, err := create.Redact()
			if err != nil {
				t.Fatalf("Redact: %v", err)
			}
			if !red.Redacted() || create.Redacted() {
				t.Errorf("Redacted() = %v on the copy and %v on the original", red.Redacted(), create.Redacted())
			}
			if red.EventID() != create.EventID() || red.RoomID() != create.RoomID() {
				t.Errorf("IDs changed: %s %s -> %s %s", create.EventID(), create.RoomID(), red.EventID(), red.RoomID())
			}
			if red.Unsigned() != nil {
				t.Errorf("unsigned kept: %s", red.Unsigned())
			}
		})
	}
}
