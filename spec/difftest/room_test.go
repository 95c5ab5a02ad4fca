package difftest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/matrix-org/gomatrixserverlib"
	"github.com/matrix-org/gomatrixserverlib/spec"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// room is a random room built with our event.Build, each event also parsed
// by gomatrixserverlib. Its state is what the builder decided, not the
// outcome of the auth rules: both sides are judged against the same state.
type room struct {
	t      *testing.T
	r      *rand.Rand
	rules  roomversion.Rules
	gv     gomatrixserverlib.IRoomVersion
	key    signing.SigningKey
	id     string
	users  []string
	create *event.Event
	state  map[auth.StateKey]*event.Event
	// events holds every event built, ours and gomatrixserverlib's parse.
	events  map[string]*event.Event
	gEvents map[string]gomatrixserverlib.PDU
	tips    []string
	depth   int64
	ts      int64
	seq     int
	// intLevels keeps power levels integers in every room version.
	intLevels bool
	// senders, when set, are the only senders of candidate events.
	senders []string
}

// stateMap is a StateProvider over a state map.
type stateMap map[auth.StateKey]*event.Event

func (s stateMap) StateEvent(evType, stateKey string) event.PDU {
	if ev, ok := s[auth.StateKey{Type: evType, StateKey: stateKey}]; ok {
		return ev
	}
	return nil
}

// userIDForSender maps sender IDs to user IDs; they are the same in every
// room version we compare.
func userIDForSender(_ spec.RoomID, senderID spec.SenderID) (*spec.UserID, error) {
	return spec.NewUserID(string(senderID), true)
}

// joinRulesOf are the join rules the room version allows.
func joinRulesOf(rules roomversion.Rules) []string {
	jr := []string{"public", "invite"}
	if rules.KnockJoinRule {
		jr = append(jr, "knock")
	}
	if rules.RestrictedJoinRule {
		jr = append(jr, "restricted")
	}
	if rules.KnockRestrictedJoinRule {
		jr = append(jr, "knock_restricted")
	}
	return jr
}

// newRandomRoom creates a room: a create event (sometimes with m.federate
// false or additional creators), the creator's join, random power levels,
// a random join rule and random memberships of several users on several
// servers.
func newRandomRoom(t *testing.T, r *rand.Rand, rules roomversion.Rules) *room {
	t.Helper()
	rm := &room{t: t, r: r, rules: rules, gv: gmslVersion(t, rules), key: testKey(t),
		state: map[auth.StateKey]*event.Event{}, events: map[string]*event.Event{},
		gEvents: map[string]gomatrixserverlib.PDU{}, ts: 1_700_000_000_000}
	n := 4 + r.IntN(4)
	servers := []string{"a.example", "a.example", "b.example", "c.example"}
	for i := range n {
		rm.users = append(rm.users, fmt.Sprintf("@u%d:%s", i, servers[r.IntN(len(servers))]))
	}
	rm.users[0] = "@creator:a.example"
	creator := rm.users[0]
	if !rules.RoomIDFromCreateEvent {
		rm.id = "!room" + randWord(r, 4, 8) + ":a.example"
	}

	cc := map[string]any{"room_version": string(rules.ID)}
	if !rules.ImplicitRoomCreator {
		cc["creator"] = creator
	}
	if r.IntN(6) == 0 {
		cc["m.federate"] = false
	}
	if rules.PrivilegedCreators && r.IntN(3) == 0 {
		cc["additional_creators"] = []string{rm.users[1]}
	}
	rm.create = rm.send(creator, typeCreate, ptr(""), mustJSON(cc))
	if rules.RoomIDFromCreateEvent {
		rm.id = rm.create.RoomID()
	}
	rm.send(creator, typeMember, ptr(creator), `{"membership":"join"}`)
	rm.send(creator, typePowerLevels, ptr(""), rm.randPowerLevels(creator))
	rm.send(creator, typeJoinRules, ptr(""), rm.randJoinRules())
	for _, u := range rm.users[1:] {
		switch m := []string{"join", "join", "join", "invite", "leave", "ban", "knock", "none"}[r.IntN(8)]; m {
		case "join", "leave", "knock":
			if m == "knock" && !rules.KnockJoinRule {
				m = "join"
			}
			rm.send(u, typeMember, ptr(u), fmt.Sprintf(`{"membership":%q}`, m))
		case "invite", "ban":
			rm.send(creator, typeMember, ptr(u), fmt.Sprintf(`{"membership":%q}`, m))
		}
	}
	return rm
}

// randLevel is a power level, mostly a usual one.
func randLevel(r *rand.Rand) int {
	return []int{0, 0, 10, 50, 50, 75, 100, 100, -1, 101}[r.IntN(10)]
}

// randPowerLevels is a random m.room.power_levels content in which sender
// keeps a level that lets the room work (creators of v12 rooms are left
// out of users, as the rules require).
func (rm *room) randPowerLevels(sender string) string {
	r := rm.r
	pl := map[string]any{}
	for _, k := range []string{"ban", "kick", "redact", "invite", "state_default", "events_default", "users_default"} {
		if r.IntN(3) > 0 {
			pl[k] = randLevel(r)
		}
	}
	users := map[string]any{}
	for _, u := range rm.users {
		if r.IntN(3) > 0 {
			users[u] = randLevel(r)
		}
	}
	if !rm.rules.PrivilegedCreators {
		users[sender] = 100
	} else {
		for _, c := range auth.RoomCreators(rm.rules, rm.create) {
			delete(users, c)
		}
	}
	pl["users"] = users
	if r.IntN(2) == 0 {
		pl["events"] = map[string]any{typeName: randLevel(r), typePowerLevels: randLevel(r), typeTopic: randLevel(r), typeMessage: randLevel(r)}
	}
	if r.IntN(3) == 0 {
		pl["notifications"] = map[string]any{"room": randLevel(r)}
	}
	if !rm.rules.IntegerPowerLevels && !rm.intLevels && r.IntN(8) == 0 {
		// Versions before 10 accept integers written as strings.
		pl["kick"] = fmt.Sprint(randLevel(r))
	}
	return mustJSON(pl)
}

// randJoinRules is a random m.room.join_rules content.
func (rm *room) randJoinRules() string {
	jr := joinRulesOf(rm.rules)
	c := map[string]any{"join_rule": jr[rm.r.IntN(len(jr))]}
	if rm.rules.RestrictedJoinRule && rm.r.IntN(2) == 0 {
		c["allow"] = []map[string]string{{"type": "m.room_membership", "room_id": "!other:a.example"}}
	}
	return mustJSON(c)
}

// template is the template of a new event in the room at its current tips,
// citing the auth events our selection picks from the current state.
func (rm *room) template(sender, typ string, stateKey *string, content string) event.Template {
	rm.seq++
	rm.ts += 1 + int64(rm.r.IntN(1000))
	t := event.Template{Type: typ, StateKey: stateKey, Sender: sender, RoomID: rm.id, Content: json.RawMessage(content),
		PrevEvents: rm.tips, Depth: rm.depth + 1, OriginServerTS: rm.ts, OpaqueID: fmt.Sprintf("e%d", rm.seq),
		ReferenceHashes: rm.referenceHashes}
	if typ == typeCreate {
		t.PrevEvents = nil
	}
	needed, err := auth.StateNeeded(rm.rules, typ, stateKey, sender, json.RawMessage(content))
	if err == nil {
		for _, k := range needed {
			if ev, ok := rm.state[k]; ok {
				t.AuthEvents = append(t.AuthEvents, ev.EventID())
			}
		}
	}
	return t
}

func (rm *room) referenceHashes(id string) (map[string]string, bool) {
	ev, ok := rm.events[id]
	if !ok {
		return nil, false
	}
	h, err := ev.ReferenceHashes()
	return h, err == nil
}

// build builds the event and has gomatrixserverlib parse it.
func (rm *room) build(t event.Template, signers ...string) *event.Event {
	rm.t.Helper()
	ev, err := event.Build(rm.rules, t, serverOf(t.Sender), rm.key)
	if err != nil {
		rm.t.Fatalf("Build(%+v): %v", t, err)
	}
	for _, s := range signers {
		if ev, err = ev.Sign(s, rm.key); err != nil {
			rm.t.Fatal(err)
		}
	}
	g, err := rm.gv.NewEventFromTrustedJSON(ev.JSON(), false)
	if err != nil {
		rm.t.Fatalf("gomatrixserverlib cannot parse %s: %v", ev.JSON(), err)
	}
	rm.events[ev.EventID()] = ev
	rm.gEvents[ev.EventID()] = g
	return ev
}

// send builds an event at the tips and makes it the room's only tip and,
// for a state event, part of the state.
func (rm *room) send(sender, typ string, stateKey *string, content string) *event.Event {
	rm.t.Helper()
	ev := rm.build(rm.template(sender, typ, stateKey, content))
	rm.tips = []string{ev.EventID()}
	rm.depth++
	if stateKey != nil {
		rm.state[auth.StateKey{Type: typ, StateKey: *stateKey}] = ev
	}
	return ev
}

// gState is the state as gomatrixserverlib's auth event provider.
func gState(t *testing.T, rm *room, state map[auth.StateKey]*event.Event) *gomatrixserverlib.AuthEvents {
	t.Helper()
	var pdus []gomatrixserverlib.PDU
	for _, k := range sortedStateKeys(state) {
		pdus = append(pdus, rm.gEvents[state[k].EventID()])
	}
	a, err := gomatrixserverlib.NewAuthEvents(pdus)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sortedStateKeys[V any](m map[auth.StateKey]V) []auth.StateKey {
	keys := make([]auth.StateKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStateKeys(keys)
	return keys
}

func sortStateKeys(keys []auth.StateKey) {
	slices.SortFunc(keys, func(a, b auth.StateKey) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.StateKey, b.StateKey))
	})
}

func ptr(s string) *string { return &s }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
