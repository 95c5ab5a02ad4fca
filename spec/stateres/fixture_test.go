package stateres

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// fixtureEvent is a minimal event.PDU for building DAGs by hand.
type fixtureEvent struct {
	id, roomID, typ, sender string
	stateKey                *string
	content                 json.RawMessage
	prev, auth              []string
	depth, ts               int64
	version                 roomversion.ID
	rejected                bool
}

func (e *fixtureEvent) EventID() string               { return e.id }
func (e *fixtureEvent) RoomID() string                { return e.roomID }
func (e *fixtureEvent) Type() string                  { return e.typ }
func (e *fixtureEvent) StateKey() *string             { return e.stateKey }
func (e *fixtureEvent) Sender() string                { return e.sender }
func (e *fixtureEvent) Content() json.RawMessage      { return e.content }
func (e *fixtureEvent) PrevEventIDs() []string        { return e.prev }
func (e *fixtureEvent) AuthEventIDs() []string        { return e.auth }
func (e *fixtureEvent) Depth() int64                  { return e.depth }
func (e *fixtureEvent) OriginServerTS() int64         { return e.ts }
func (e *fixtureEvent) Redacts() string               { return "" }
func (e *fixtureEvent) Version() roomversion.ID       { return e.version }
func (e *fixtureEvent) JSON() []byte                  { return nil }
func (e *fixtureEvent) Rejected() bool                { return e.rejected }
func (e *fixtureEvent) key() auth.StateKey            { return auth.StateKey{Type: e.typ, StateKey: *e.stateKey} }
func (e *fixtureEvent) String() string                { return e.id }
func (e *fixtureEvent) isState() bool                 { return e.stateKey != nil }
func (e *fixtureEvent) withTS(ts int64) *fixtureEvent { e.ts = ts; return e }

const (
	alice   = "@alice:example.org"
	bob     = "@bob:example.org"
	charlie = "@charlie:example.org"
	evelyn  = "@evelyn:example.org"
	zara    = "@zara:example.org"

	fixtureRoomID = "!CREATE"
	createID      = "$CREATE"
)

// spec describes one event of a test DAG; the room computes the rest.
type spec struct {
	id, sender, typ string
	stateKey        *string
	content         string
	// levels are the users of a power levels event; build writes content.
	levels map[string]int64
}

func sk(s string) *string { return &s }

func create(sender string) spec {
	return spec{id: "CREATE", sender: sender, typ: typeCreate, stateKey: sk(""), content: ""}
}
func member(id, sender, target, membership string) spec {
	return spec{id: id, sender: sender, typ: typeMember, stateKey: sk(target), content: `{"membership":"` + membership + `"}`}
}
func powerLevels(id, sender string, levels map[string]int64) spec {
	return spec{id: id, sender: sender, typ: typePowerLevels, stateKey: sk(""), levels: levels}
}
func joinRules(id, sender, rule string) spec {
	return spec{id: id, sender: sender, typ: typeJoinRules, stateKey: sk(""), content: `{"join_rule":"` + rule + `"}`}
}
func topic(id, sender, text string) spec {
	return spec{id: id, sender: sender, typ: "m.room.topic", stateKey: sk(""), content: `{"topic":"` + text + `"}`}
}
func message(id, sender string) spec {
	return spec{id: id, sender: sender, typ: "m.room.message", content: `{"body":"` + id + `"}`}
}

// room builds a DAG the way a server would: the state before each event is
// the resolution of the states after its prev_events, and its auth events
// are selected from that state as the spec prescribes.
type room struct {
	t       *testing.T
	rules   roomversion.Rules
	events  map[string]*fixtureEvent
	after   map[string]StateMap
	clock   int64
	lookups int
}

func newRoom(t *testing.T, version roomversion.ID) *room {
	t.Helper()
	rules, err := roomversion.Lookup(version)
	if err != nil {
		t.Fatal(err)
	}
	return &room{t: t, rules: rules, events: map[string]*fixtureEvent{}, after: map[string]StateMap{}}
}

// initial creates the room every classic case starts from: Alice creates
// it (so holds 100, or infinite power from v12), the join rule is public, and Bob, Charlie and Zara have
// joined. It returns the last event's ID.
func (r *room) initial() string {
	r.t.Helper()
	prev := ""
	for _, s := range []spec{
		create(alice),
		member("IMA", alice, alice, "join"),
		powerLevels("IPOWER", alice, nil),
		joinRules("IJR", alice, "public"),
		member("IMB", bob, bob, "join"),
		member("IMC", charlie, charlie, "join"),
		member("IMZ", zara, zara, "join"),
		message("START", zara),
	} {
		if prev == "" {
			r.add(s)
		} else {
			r.add(s, prev)
		}
		prev = s.id
	}
	return prev
}

func (r *room) lookup(ids []string) (map[string]event.PDU, error) {
	r.lookups++
	out := make(map[string]event.PDU, len(ids))
	for _, id := range ids {
		if ev, ok := r.events[id]; ok {
			out[id] = ev
		}
	}
	return out, nil
}

// stateBefore resolves the states after prevs.
func (r *room) stateBefore(prevs []string) StateMap {
	r.t.Helper()
	sets := make([]StateMap, 0, len(prevs))
	for _, p := range prevs {
		s, ok := r.after["$"+p]
		if !ok {
			r.t.Fatalf("unknown prev event %s", p)
		}
		sets = append(sets, s)
	}
	got, err := Resolve(r.rules, sets, r.lookup, nil)
	if err != nil {
		r.t.Fatalf("resolving the state before an event: %v", err)
	}
	return got
}

// add appends an event after prevs, with auth events selected from the
// state before it.
func (r *room) add(s spec, prevs ...string) *fixtureEvent {
	r.t.Helper()
	before := r.stateBefore(prevs)
	ev := r.build(s, prevs, r.selectAuthEvents(s, before))
	r.after[ev.id] = before
	if ev.isState() {
		after := before.clone()
		after[ev.key()] = ev.id
		r.after[ev.id] = after
	}
	return ev
}

// addWithAuth appends an event with the given auth events, for states that
// the normal rules would not produce.
func (r *room) addWithAuth(s spec, authIDs []string, state StateMap) *fixtureEvent {
	r.t.Helper()
	ev := r.build(s, nil, prefixed(authIDs))
	r.after[ev.id] = state
	return ev
}

func (r *room) build(s spec, prevs, authIDs []string) *fixtureEvent {
	r.t.Helper()
	r.clock++
	ev := &fixtureEvent{
		id: "$" + s.id, roomID: fixtureRoomID, typ: s.typ, sender: s.sender, stateKey: s.stateKey,
		prev: prefixed(prevs), auth: authIDs, ts: r.clock, version: r.rules.ID,
	}
	for _, p := range ev.prev {
		ev.depth = max(ev.depth, r.events[p].depth+1)
	}
	ev.content = json.RawMessage(s.content)
	if s.typ == typePowerLevels {
		// Alice created every fixture room. Up to v11 her power is whatever
		// the power levels say, so every power levels event keeps her at
		// 100; from v12 her power is infinite and she may not be listed.
		users := map[string]int64{}
		for u, l := range s.levels {
			users[u] = l
		}
		if !r.rules.PrivilegedCreators {
			users[alice] = 100
		}
		raw, err := json.Marshal(map[string]any{"users": users})
		if err != nil {
			r.t.Fatal(err)
		}
		ev.content = raw
	}
	if s.typ == typeCreate {
		ev.content = json.RawMessage(fmt.Sprintf(`{"creator":%q,"room_version":%q}`, s.sender, r.rules.ID))
		if r.rules.ImplicitRoomCreator {
			ev.content = json.RawMessage(fmt.Sprintf(`{"room_version":%q}`, r.rules.ID))
		}
		if r.rules.RoomIDFromCreateEvent {
			ev.roomID = ""
		}
	}
	if _, dup := r.events[ev.id]; dup {
		r.t.Fatalf("event %s added twice", ev.id)
	}
	r.events[ev.id] = ev
	return ev
}

// selectAuthEvents follows the spec's auth events selection.
// https://spec.matrix.org/latest/server-server-api/#auth-events-selection
func (r *room) selectAuthEvents(s spec, state StateMap) []string {
	r.t.Helper()
	keys, err := auth.StateNeeded(r.rules, s.typ, s.stateKey, s.sender, json.RawMessage(s.content))
	if err != nil {
		r.t.Fatalf("auth events selection for %s: %v", s.id, err)
	}
	var ids []string
	for _, k := range keys {
		if id, ok := state[k]; ok && !containsString(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func prefixed(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "$" + strings.TrimPrefix(id, "$")
	}
	return out
}

// stateAfter returns a copy of the state after the event.
func (r *room) stateAfter(id string) StateMap {
	r.t.Helper()
	s, ok := r.after["$"+id]
	if !ok {
		r.t.Fatalf("unknown event %s", id)
	}
	return s.clone()
}

// withEvents returns base with the keys of the given events set to them.
func (r *room) withEvents(base StateMap, ids ...string) StateMap {
	r.t.Helper()
	out := base.clone()
	for _, id := range ids {
		ev := r.events["$"+id]
		if ev == nil || !ev.isState() {
			r.t.Fatalf("%s is not a state event of the room", id)
		}
		out[ev.key()] = ev.id
	}
	return out
}

// diff describes how got differs from want, "" when they are equal.
func diff(got, want StateMap) string {
	var lines []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			lines = append(lines, fmt.Sprintf("%s/%q: missing, want %s", k.Type, k.StateKey, w))
		} else if g != w {
			lines = append(lines, fmt.Sprintf("%s/%q: got %s, want %s", k.Type, k.StateKey, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, fmt.Sprintf("%s/%q: got %s, want nothing", k.Type, k.StateKey, g))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
