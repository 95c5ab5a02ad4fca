package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

const origin = "origin.example"

// room builds a short room history through Build, the way a server creates
// a room: create event, creator's join, a message and its redaction.
type room struct {
	t      testing.TB
	rules  roomversion.Rules
	key    signing.SigningKey
	events map[string]*Event
	seq    int
}

func newRoom(t testing.TB, rules roomversion.Rules) *room {
	t.Helper()
	return &room{t: t, rules: rules, key: seededKey(t, "ed25519:k1", 7), events: map[string]*Event{}}
}

func (r *room) build(tmpl Template) *Event {
	r.t.Helper()
	r.seq++
	tmpl.OpaqueID = fmt.Sprintf("ev%d", r.seq)
	tmpl.OriginServerTS = int64(1000 + r.seq)
	tmpl.ReferenceHashes = func(id string) (map[string]string, bool) {
		ev, ok := r.events[id]
		if !ok {
			return nil, false
		}
		h, err := ev.ReferenceHashes()
		return h, err == nil
	}
	ev, err := Build(r.rules, tmpl, origin, r.key)
	if err != nil {
		r.t.Fatalf("Build %s: %v", tmpl.Type, err)
	}
	r.events[ev.EventID()] = ev
	return ev
}

func buildCreate(t testing.TB, rules roomversion.Rules) *Event {
	t.Helper()
	return newRoom(t, rules).create()
}

func (r *room) create() *Event {
	r.t.Helper()
	content := fmt.Sprintf(`{"room_version":%q}`, r.rules.ID)
	if !r.rules.ImplicitRoomCreator {
		content = fmt.Sprintf(`{"creator":"@alice:%s","room_version":%q}`, origin, r.rules.ID)
	}
	tmpl := Template{
		Type: "m.room.create", StateKey: ptr(""), Sender: "@alice:" + origin,
		Content: json.RawMessage(content), Depth: 1, Unsigned: json.RawMessage(`{"age_ts":1}`),
	}
	if !r.rules.RoomIDFromCreateEvent {
		tmpl.RoomID = "!room:" + origin
	}
	return r.build(tmpl)
}

func TestBuildParseVerifyRoundTrip(t *testing.T) {
	for _, rules := range roomversion.All() {
		t.Run("events built in room version "+string(rules.ID)+" parse, verify and hash-check", func(t *testing.T) {
			r := newRoom(t, rules)
			create := r.create()
			roomID := create.RoomID()
			var createRef []string
			if !rules.RoomIDFromCreateEvent {
				createRef = []string{create.EventID()}
			}
			join := r.build(Template{
				Type: "m.room.member", StateKey: ptr("@alice:" + origin), Sender: "@alice:" + origin,
				RoomID: roomID, Content: json.RawMessage(`{"membership":"join"}`),
				PrevEvents: []string{create.EventID()}, AuthEvents: createRef, Depth: 2,
			})
			msg := r.build(Template{
				Type: "m.room.message", Sender: "@alice:" + origin, RoomID: roomID,
				Content:    json.RawMessage(`{"body":"hello","msgtype":"m.text"}`),
				PrevEvents: []string{join.EventID()}, AuthEvents: append(slices.Clone(createRef), join.EventID()), Depth: 3,
			})
			redaction := r.build(Template{
				Type: "m.room.redaction", Sender: "@alice:" + origin, RoomID: roomID, Redacts: msg.EventID(),
				PrevEvents: []string{msg.EventID()}, AuthEvents: append(slices.Clone(createRef), join.EventID()), Depth: 4,
			})
			keys := keyring(1<<62, map[string]signing.SigningKey{origin: r.key})
			for _, ev := range []*Event{create, join, msg, redaction} {
				parsed, err := Parse(rules, ev.JSON())
				if err != nil {
					t.Fatalf("Parse %s: %v", ev.Type(), err)
				}
				if parsed.EventID() != ev.EventID() || parsed.RoomID() != roomID {
					t.Errorf("%s: parsed IDs %s %s, built %s %s", ev.Type(), parsed.EventID(), parsed.RoomID(), ev.EventID(), roomID)
				}
				if err := VerifyEventSignatures(rules, parsed, keys); err != nil {
					t.Errorf("%s: VerifyEventSignatures: %v", ev.Type(), err)
				}
				if err := CheckContentHash(parsed); err != nil {
					t.Errorf("%s: CheckContentHash: %v", ev.Type(), err)
				}
				checkIDFormat(t, rules, parsed)
			}
			if redaction.Redacts() != msg.EventID() {
				t.Errorf("Redacts() = %q, want %q", redaction.Redacts(), msg.EventID())
			}
			checkRedactsPlacement(t, rules, redaction)
			checkReferences(t, rules, msg, join, r)
			if string(create.Unsigned()) != `{"age_ts":1}` {
				t.Errorf("unsigned %s, want the template's", create.Unsigned())
			}
		})
	}
}

var (
	standardID = regexp.MustCompile(`^\$[A-Za-z0-9+/]{43}$`)
	urlSafeID  = regexp.MustCompile(`^\$[A-Za-z0-9_-]{43}$`)
)

func checkIDFormat(t *testing.T, rules roomversion.Rules, ev *Event) {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(ev.JSON(), &raw); err != nil {
		t.Fatal(err)
	}
	_, hasEventID := raw["event_id"]
	_, hasRoomID := raw["room_id"]
	switch rules.EventIDFormat {
	case roomversion.EventIDServerAssigned:
		if !strings.HasPrefix(ev.EventID(), "$ev") || !strings.HasSuffix(ev.EventID(), ":"+origin) || !hasEventID {
			t.Errorf("version %s event ID %q is not $opaque:origin in the JSON", rules.ID, ev.EventID())
		}
	case roomversion.EventIDReferenceHash:
		if !standardID.MatchString(ev.EventID()) || hasEventID {
			t.Errorf("version %s event ID %q is not $ + standard base64 of a hash, or is in the JSON", rules.ID, ev.EventID())
		}
	case roomversion.EventIDReferenceHashURLSafe:
		if !urlSafeID.MatchString(ev.EventID()) || hasEventID {
			t.Errorf("version %s event ID %q is not $ + URL-safe base64 of a hash, or is in the JSON", rules.ID, ev.EventID())
		}
	}
	isCreate := ev.Type() == "m.room.create"
	if rules.RoomIDFromCreateEvent && isCreate {
		if hasRoomID || ev.RoomID() != "!"+ev.EventID()[1:] {
			t.Errorf("version %s create: room_id in JSON %v, RoomID %q, want ! + event ID", rules.ID, hasRoomID, ev.RoomID())
		}
	} else if !hasRoomID {
		t.Errorf("version %s %s has no room_id", rules.ID, ev.Type())
	}
}

func checkRedactsPlacement(t *testing.T, rules roomversion.Rules, redaction *Event) {
	t.Helper()
	var top, content map[string]json.RawMessage
	if err := json.Unmarshal(redaction.JSON(), &top); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(redaction.Content(), &content); err != nil {
		t.Fatal(err)
	}
	_, inTop := top["redacts"]
	_, inContent := content["redacts"]
	if rules.ImplicitRoomCreator != inContent || rules.ImplicitRoomCreator == inTop {
		t.Errorf("version %s: redacts at top level %v, in content %v", rules.ID, inTop, inContent)
	}
}

// checkReferences: versions 1 and 2 pair each reference with the
// referenced event's reference hash; later versions list IDs only.
func checkReferences(t *testing.T, rules roomversion.Rules, msg, join *Event, r *room) {
	t.Helper()
	prev := msg.PrevEvents()
	if len(prev) != 1 || prev[0].EventID != join.EventID() {
		t.Fatalf("prev_events %v, want [%s]", prev, join.EventID())
	}
	if rules.EventFormat != roomversion.EventFormatV1 {
		if prev[0].Hashes != nil {
			t.Errorf("version %s prev_events carry hashes %v", rules.ID, prev[0].Hashes)
		}
		return
	}
	want, err := join.ReferenceHashes()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(prev[0].Hashes, want) {
		t.Errorf("prev_events hashes %v, want the join's reference hash %v", prev[0].Hashes, want)
	}
	if ids := msg.AuthEventIDs(); len(ids) != 2 {
		t.Errorf("AuthEventIDs %v", ids)
	}
}

func TestBuildRefusesIncompleteTemplates(t *testing.T) {
	key := seededKey(t, "ed25519:k1", 7)
	msg := Template{Type: "m.room.message", Sender: "@a:x", RoomID: "!r:x", OpaqueID: "o", Depth: 1}
	cases := []struct {
		name    string
		version roomversion.ID
		mutate  func(*Template)
		want    error
	}{
		{"a template without a type", "11", func(t *Template) { t.Type = "" }, ErrInvalidTemplate},
		{"a template without a sender", "11", func(t *Template) { t.Sender = "" }, ErrInvalidTemplate},
		{"a message without a room ID", "12", func(t *Template) { t.RoomID = "" }, ErrInvalidTemplate},
		{"a version 12 create event with a room ID", "12", func(t *Template) { t.Type, t.StateKey = "m.room.create", ptr("") }, ErrInvalidTemplate},
		{"a version 1 event without an opaque ID", "1", func(t *Template) { t.OpaqueID = "" }, ErrInvalidTemplate},
		{"a version 1 event referencing an unknown event", "1", func(t *Template) { t.PrevEvents = []string{"$unknown:x"} }, ErrUnknownReference},
		{"content that is not an object", "11", func(t *Template) { t.Content = json.RawMessage(`[]`) }, ErrInvalidTemplate},
		{"unsigned that is not an object", "11", func(t *Template) { t.Unsigned = json.RawMessage(`1`) }, ErrInvalidTemplate},
		{"a redaction whose content names another event", "11", func(t *Template) {
			t.Type, t.Redacts, t.Content = "m.room.redaction", "$a", json.RawMessage(`{"redacts":"$b"}`)
		}, ErrInvalidTemplate},
		{"a sender that is not a user ID", "11", func(t *Template) { t.Sender = "alice" }, ErrInvalidField},
		{"content larger than a PDU may be", "11", func(t *Template) {
			t.Content = json.RawMessage(`{"body":"` + strings.Repeat("a", MaxPDUSize) + `"}`)
		}, ErrEventTooLarge},
		{"a float in version 6 content", "6", func(t *Template) { t.Content = json.RawMessage(`{"n":0.5}`) }, ErrInvalidJSON},
		{"rules that are not a room version", "", nil, ErrUnsupportedRules},
	}
	for _, tc := range cases {
		t.Run("Build refuses "+tc.name, func(t *testing.T) {
			tmpl := msg
			if tc.mutate != nil {
				tc.mutate(&tmpl)
			}
			var rules roomversion.Rules
			if tc.version != "" {
				rules = rulesFor(t, tc.version)
			}
			if _, err := Build(rules, tmpl, "x", key); !errors.Is(err, tc.want) {
				t.Errorf("Build = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestBuildKeepsContentRedactsThatAgree(t *testing.T) {
	ev, err := Build(rulesFor(t, "11"), Template{
		Type: "m.room.redaction", Sender: "@a:x", RoomID: "!r:x", Redacts: "$a",
		Content: json.RawMessage(`{"redacts":"$a","reason":"spam"}`), Depth: 1,
	}, "x", seededKey(t, "ed25519:k1", 7))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if ev.Redacts() != "$a" || string(ev.Content()) != `{"reason":"spam","redacts":"$a"}` {
		t.Errorf("Redacts %q, content %s", ev.Redacts(), ev.Content())
	}
}
