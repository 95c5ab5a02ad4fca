package difftest

import (
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/matrix-org/gomatrixserverlib"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/stateres"
)

// The users of the hand-built rooms of the regression tests, each on its
// own server.
const (
	userCreator = "@creator:a.example"
	userAlice   = "@alice:b.example"
	userBob     = "@bob:c.example"
)

// newFixedRoom is a hand-built room of the version for the named
// regression tests: userCreator creates it and joins, then sends the power
// levels content pl (for version 12 it must not list the creator) and the
// join rules content joinRules. The room's generator only spaces the
// timestamps, from a fixed seed, so every run builds the same events;
// events sent later have later timestamps.
func newFixedRoom(t *testing.T, rules roomversion.Rules, pl, joinRules string) *room {
	t.Helper()
	rm := &room{t: t, r: rand.New(rand.NewPCG(1, 2)), rules: rules, gv: gmslVersion(t, rules), key: testKey(t),
		state: map[auth.StateKey]*event.Event{}, events: map[string]*event.Event{},
		gEvents: map[string]gomatrixserverlib.PDU{}, ts: 1_700_000_000_000, intLevels: true,
		users: []string{userCreator, userAlice, userBob}}
	cc := `{"room_version":"` + string(rules.ID) + `"}`
	if !rules.ImplicitRoomCreator {
		cc = `{"room_version":"` + string(rules.ID) + `","creator":"` + userCreator + `"}`
	}
	if !rules.RoomIDFromCreateEvent {
		rm.id = "!fixed:a.example"
	}
	rm.create = rm.send(userCreator, typeCreate, ptr(""), cc)
	if rules.RoomIDFromCreateEvent {
		rm.id = rm.create.RoomID()
	}
	rm.send(userCreator, typeMember, ptr(userCreator), `{"membership":"join"}`)
	rm.send(userCreator, typePowerLevels, ptr(""), pl)
	rm.send(userCreator, typeJoinRules, ptr(""), joinRules)
	return rm
}

// member sends an m.room.member event by sender for target.
func (rm *room) member(sender, target, membership string) *event.Event {
	rm.t.Helper()
	return rm.send(sender, typeMember, ptr(target), `{"membership":"`+membership+`"}`)
}

// candidate builds an event at the room's tip, citing the auth events our
// selection picks from the state, without applying it.
func (rm *room) candidate(sender, typ string, stateKey *string, content string, signers ...string) *event.Event {
	rm.t.Helper()
	return rm.build(rm.template(sender, typ, stateKey, content), signers...)
}

// roomPoint is where a branch of a hand-built fork stands.
type roomPoint struct {
	state map[auth.StateKey]*event.Event
	tips  []string
	depth int64
}

// here is the room's current point.
func (rm *room) here() roomPoint {
	return roomPoint{state: maps.Clone(rm.state), tips: rm.tips, depth: rm.depth}
}

// goTo makes p the room's current point: the next event sent grows a
// branch from it.
func (rm *room) goTo(p roomPoint) {
	rm.state, rm.tips, rm.depth = maps.Clone(p.state), p.tips, p.depth
}

// stateSets are the states of the branches as our state maps and as
// gomatrixserverlib's lists of events.
func (rm *room) stateSets(branches []map[auth.StateKey]*event.Event) ([]stateres.StateMap, [][]gomatrixserverlib.PDU) {
	var sets []stateres.StateMap
	var gSets [][]gomatrixserverlib.PDU
	for _, b := range branches {
		set := stateres.StateMap{}
		var g []gomatrixserverlib.PDU
		for _, k := range sortedStateKeys(b) {
			set[k] = b[k].EventID()
			g = append(g, rm.gEvents[b[k].EventID()])
		}
		sets = append(sets, set)
		gSets = append(gSets, g)
	}
	return sets, gSets
}
