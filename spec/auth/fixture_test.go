package auth

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// testEvent is a PDU built from a compact description.
type testEvent struct {
	id, roomID, typ, sender string
	stateKey                *string
	content                 json.RawMessage
	prev, auth              []string
	redacts                 string
	version                 roomversion.ID
	// signers are the servers whose signatures the JSON carries; the
	// sender's server when empty.
	signers []string
	// noRoomID leaves room_id out of the JSON, as a v12 create event does.
	noRoomID bool
	rejected bool
}

var _ event.PDU = (*testEvent)(nil)

func (e *testEvent) EventID() string          { return e.id }
func (e *testEvent) RoomID() string           { return e.roomID }
func (e *testEvent) Type() string             { return e.typ }
func (e *testEvent) StateKey() *string        { return e.stateKey }
func (e *testEvent) Sender() string           { return e.sender }
func (e *testEvent) Content() json.RawMessage { return e.content }
func (e *testEvent) PrevEventIDs() []string   { return e.prev }
func (e *testEvent) AuthEventIDs() []string   { return e.auth }
func (e *testEvent) Depth() int64             { return int64(len(e.prev)) }
func (e *testEvent) OriginServerTS() int64    { return 0 }
func (e *testEvent) Redacts() string          { return e.redacts }
func (e *testEvent) Version() roomversion.ID  { return e.version }
func (e *testEvent) Rejected() bool           { return e.rejected }
func (e *testEvent) JSON() []byte {
	m := map[string]any{"type": e.typ, "sender": e.sender, "content": e.content, "prev_events": e.prev, "auth_events": e.auth}
	if !e.noRoomID {
		m["room_id"] = e.roomID
	}
	if e.stateKey != nil {
		m["state_key"] = *e.stateKey
	}
	signers := e.signers
	if len(signers) == 0 {
		signers = []string{domainOf(e.sender)}
	}
	sigs := map[string]any{}
	for _, s := range signers {
		sigs[s] = map[string]string{"ed25519:1": "c2lnbmF0dXJl"}
	}
	m["signatures"] = sigs
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}

func ptr(s string) *string { return &s }

// testState is a StateProvider over a map.
type testState map[StateKey]event.PDU

func (s testState) StateEvent(evType, stateKey string) event.PDU {
	if ev, ok := s[StateKey{evType, stateKey}]; ok {
		return ev
	}
	return nil
}

// Users of the fixture room. alice created it; bob is a moderator; carol an
// ordinary member; dave is invited, erin banned, frank knocking and mallory
// has never been in the room. oscar is on another server.
const (
	alice   = "@alice:a.example"
	bob     = "@bob:a.example"
	carol   = "@carol:a.example"
	dave    = "@dave:a.example"
	erin    = "@erin:a.example"
	frank   = "@frank:a.example"
	mallory = "@mallory:a.example"
	oscar   = "@oscar:o.example"
)

// room is the fixture room of one version, with its state.
type room struct {
	t      *testing.T
	rules  roomversion.Rules
	id     string
	create *testEvent
	state  testState
	seq    int
}

func mustRules(t testing.TB, v string) roomversion.Rules {
	t.Helper()
	r, err := roomversion.Lookup(roomversion.ID(v))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// createContent is the content of the fixture's create event.
func createContent(rules roomversion.Rules, extra string) string {
	c := fmt.Sprintf(`"room_version":%q`, rules.ID)
	if !rules.ImplicitRoomCreator {
		c += fmt.Sprintf(`,"creator":%q`, alice)
	}
	if extra != "" {
		c += "," + extra
	}
	return "{" + c + "}"
}

// newBareRoom is a room holding only its create event.
func newBareRoom(t *testing.T, rules roomversion.Rules, createExtra string) *room {
	t.Helper()
	r := &room{t: t, rules: rules, id: "!room:a.example", state: testState{}}
	r.create = &testEvent{id: "$create:a.example", roomID: r.id, typ: typeCreate, stateKey: ptr(""), sender: alice,
		content: json.RawMessage(createContent(rules, createExtra)), version: rules.ID}
	if rules.RoomIDFromCreateEvent {
		r.create.id = "$Y3JlYXRlaGFzaA"
		r.id = "!Y3JlYXRlaGFzaA"
		r.create.roomID = r.id
		r.create.noRoomID = true
	}
	r.state[StateKey{typeCreate, ""}] = r.create
	return r
}

// newRoom is the fixture room: alice (creator, 100), bob (moderator, 50),
// carol (joined, 0), dave invited, erin banned, frank knocking (v7+), an
// invite-only join rule and power levels close to what servers create.
func newRoom(t *testing.T, v string) *room {
	t.Helper()
	rules := mustRules(t, v)
	r := newBareRoom(t, rules, "")
	r.set(typeMember, alice, alice, `{"membership":"join"}`)
	users := fmt.Sprintf(`{%q:100,%q:50}`, alice, bob)
	if rules.PrivilegedCreators {
		users = fmt.Sprintf(`{%q:50}`, bob)
	}
	r.set(typePowerLevels, "", alice, `{"users":`+users+`,"users_default":0,"events":{"m.room.name":50,"m.room.power_levels":100,"m.room.history_visibility":100},"events_default":0,"state_default":50,"ban":50,"kick":50,"redact":50,"invite":0,"notifications":{"room":50}}`)
	r.set(typeJoinRules, "", alice, `{"join_rule":"invite"}`)
	r.set(typeMember, bob, bob, `{"membership":"join"}`)
	r.set(typeMember, carol, carol, `{"membership":"join"}`)
	r.set(typeMember, dave, alice, `{"membership":"invite"}`)
	r.set(typeMember, erin, alice, `{"membership":"ban"}`)
	if rules.KnockJoinRule {
		r.set(typeMember, frank, frank, `{"membership":"knock"}`)
	}
	return r
}

// set puts a state event into the room state.
func (r *room) set(typ, stateKey, sender, content string) *testEvent {
	r.seq++
	ev := &testEvent{id: fmt.Sprintf("$e%d:a.example", r.seq), roomID: r.id, typ: typ, stateKey: ptr(stateKey),
		sender: sender, content: json.RawMessage(content), prev: []string{"$prev:a.example"}, version: r.rules.ID}
	r.state[StateKey{typ, stateKey}] = ev
	return ev
}

// unset removes a state event.
func (r *room) unset(typ, stateKey string) { delete(r.state, StateKey{typ, stateKey}) }

// ev is a new event in the room; stateKey "-" makes a message event.
func (r *room) ev(typ, stateKey, sender, content string) *testEvent {
	r.seq++
	e := &testEvent{id: fmt.Sprintf("$e%d:a.example", r.seq), roomID: r.id, typ: typ, sender: sender,
		content: json.RawMessage(content), prev: []string{"$prev:a.example"}, version: r.rules.ID}
	if stateKey != "-" {
		e.stateKey = ptr(stateKey)
	}
	return e
}

// member is a new m.room.member event.
func (r *room) member(sender, target, membership string) *testEvent {
	return r.ev(typeMember, target, sender, fmt.Sprintf(`{"membership":%q}`, membership))
}

// versionRange is an inclusive range of room versions, "1-12" or "8".
func versionRange(t *testing.T, spec string) []string {
	t.Helper()
	lo, hi, found := strings.Cut(spec, "-")
	if !found {
		hi = lo
	}
	var a, b int
	if _, err := fmt.Sscan(lo, &a); err != nil {
		t.Fatalf("bad version range %q", spec)
	}
	if _, err := fmt.Sscan(hi, &b); err != nil {
		t.Fatalf("bad version range %q", spec)
	}
	var out []string
	for v := a; v <= b; v++ {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// wantRule checks err is the rejection by rule want, or nil for want 0.
func wantRule(t *testing.T, err error, want Rule) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("want allowed, got %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("want rejection by %q, got allowed", want)
	}
	re, ok := err.(*RuleError)
	if !ok {
		t.Fatalf("want *RuleError, got %T: %v", err, err)
	}
	if re.Rule != want {
		t.Fatalf("want rejection by %q, got %v", want, err)
	}
}
