package difftest

import (
	"errors"
	"testing"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// stateResDeviationCase is one known departure of gomatrixserverlib's
// state resolution v2 from the spec's algorithm, frozen as a hand-built
// fork.
type stateResDeviationCase struct {
	// name is the departure explainV2 names (stateres_model_test.go).
	name    string
	version roomversion.ID
	// pl and joinRules are the contents of the room's first power levels
	// and join rules (see newFixedRoom).
	pl, joinRules string
	// fork grows the branches and returns their states, and the state key
	// on which the departure shows with the event the spec resolves it to.
	fork func(rm *room) (branches []map[auth.StateKey]*event.Event, key auth.StateKey, want *event.Event)
	// reason is the spec's wording that makes our answer the right one.
	reason string
}

var stateResDeviationCases = []stateResDeviationCase{{
	// PL0 gives the creator 100 and alice 50. The creator lowers himself
	// to 40 and raises state_default to 100 (PLc), which PL0 allows;
	// alice adds bob (PLa). The power levels key is conflicted and PL0,
	// in both auth chains, is not in the full conflicted set, so step 2
	// meets the power levels key missing from the state: PLc must be
	// checked against PL0 from its auth_events, and is allowed, after
	// which alice (50) is below state_default 100 and PLa is rejected.
	// gomatrixserverlib checks PLc against PLc itself, where the creator's
	// 40 is below the 100 needed, then PLa against PLa.
	name: gmslAuthEventsFallback, version: "10", pl: pl10, joinRules: `{"join_rule":"public"}`,
	fork: func(rm *room) ([]map[auth.StateKey]*event.Event, auth.StateKey, *event.Event) {
		rm.member(userAlice, userAlice, "join")
		base := rm.here()
		plc := rm.send(userCreator, typePowerLevels, ptr(""),
			`{"users":{"`+userCreator+`":40,"`+userAlice+`":50},"state_default":100}`)
		a := rm.here()
		rm.goTo(base)
		rm.send(userAlice, typePowerLevels, ptr(""),
			`{"users":{"`+userCreator+`":100,"`+userAlice+`":50,"`+userBob+`":10}}`)
		return []map[auth.StateKey]*event.Event{a.state, rm.state}, auth.StateKey{Type: typePowerLevels}, plc
	},
	reason: `rooms/v2 "Iterative auth checks": "If a (event_type, state_key) key that is required for checking ` +
		`the authorisation rules is not present in the state, then the appropriate state event from the ` +
		`event's auth_events is used if the auth event is not rejected."`,
}, {
	// One branch edits the power levels (PLx) and then sets topic X;
	// the other sets topic Y, citing PL0, and then edits the power levels
	// (PLy), which wins step 2 by its later timestamp. The mainline is
	// PLy, PL0: X (through PLx) and Y both have the position of PL0, so
	// the earlier X is applied first and Y is the topic. gomatrixserverlib
	// orders by the number of power levels events walked before the
	// mainline (X 1, Y 0) before the timestamp, and keeps X.
	name: gmslMainlineSteps, version: "10", pl: pl10, joinRules: `{"join_rule":"public"}`,
	fork: func(rm *room) ([]map[auth.StateKey]*event.Event, auth.StateKey, *event.Event) {
		base := rm.here()
		rm.send(userCreator, typePowerLevels, ptr(""), `{"users":{"`+userCreator+`":100,"`+userAlice+`":50},"ban":60}`)
		rm.send(userCreator, typeTopic, ptr(""), `{"topic":"x"}`)
		a := rm.here()
		rm.goTo(base)
		y := rm.send(userCreator, typeTopic, ptr(""), `{"topic":"y"}`)
		rm.send(userCreator, typePowerLevels, ptr(""), `{"users":{"`+userCreator+`":100,"`+userAlice+`":50},"kick":60}`)
		return []map[auth.StateKey]*event.Event{a.state, rm.state}, auth.StateKey{Type: typeTopic}, y
	},
	reason: `rooms/v2 "Mainline ordering": "x < y if the mainline position of x is greater than the mainline ` +
		`position of y ...; or the mainline positions of the events are the same, but x's origin_server_ts is ` +
		`less than y's origin_server_ts"`,
}, {
	// The creator has 100, bob 50, alice 25, and alice may edit the
	// power levels. One branch: alice edits them (A1), then the creator
	// lowers bob to 0 (A2, citing A1). The other: bob makes the room
	// invite-only (B1). Kahn's algorithm taking the smallest candidate
	// ("greater power level" first) takes B1 (bob, 50) before A1 (alice,
	// 25) and so before A2: B1 is allowed. gomatrixserverlib runs Kahn's
	// algorithm backwards from the latest events taking the largest, which
	// puts B1 last, after A2 has lowered bob, and rejects it.
	name: gmslPowerOrdering, version: "10",
	pl:        `{"users":{"` + userCreator + `":100,"` + userBob + `":50,"` + userAlice + `":25},"events":{"m.room.power_levels":25}}`,
	joinRules: `{"join_rule":"public"}`,
	fork: func(rm *room) ([]map[auth.StateKey]*event.Event, auth.StateKey, *event.Event) {
		rm.member(userAlice, userAlice, "join")
		rm.member(userBob, userBob, "join")
		base := rm.here()
		rm.send(userAlice, typePowerLevels, ptr(""),
			`{"users":{"`+userCreator+`":100,"`+userBob+`":50,"`+userAlice+`":25},"events":{"m.room.power_levels":25},"invite":10}`)
		rm.send(userCreator, typePowerLevels, ptr(""),
			`{"users":{"`+userCreator+`":100,"`+userBob+`":0,"`+userAlice+`":25},"events":{"m.room.power_levels":25},"invite":10}`)
		a := rm.here()
		rm.goTo(base)
		b1 := rm.send(userBob, typeJoinRules, ptr(""), `{"join_rule":"invite"}`)
		return []map[auth.StateKey]*event.Event{a.state, rm.state}, auth.StateKey{Type: typeJoinRules}, b1
	},
	reason: `rooms/v2 "Reverse topological power ordering": "the lexicographically smallest topological ordering ` +
		`based on the DAG formed by auth events ... x < y if x's sender has greater power level than y's sender, ` +
		`when looking at their respective auth_events ... The reverse topological power ordering can be found ` +
		`by sorting the events using Kahn's algorithm for topological sorting, and at each step selecting, among ` +
		`all the candidate vertices, the smallest vertex using the above comparison relation."`,
}}

// TestGomatrixserverlibStateResolutionDeviations freezes each known
// departure of gomatrixserverlib's state resolution v2 (the switches of
// v2Model) as a hand-built fork: we resolve as the spec says,
// gomatrixserverlib still resolves otherwise, and explainV2, the run-time
// classifier of the random tests, names the departure and that one alone.
// When gomatrixserverlib is fixed the case fails, and the case and its
// switch in the model can go.
func TestGomatrixserverlibStateResolutionDeviations(t *testing.T) {
	for _, tc := range stateResDeviationCases {
		t.Run(tc.name, func(t *testing.T) {
			rules, err := roomversion.Lookup(tc.version)
			if err != nil {
				t.Fatal(err)
			}
			rm := newFixedRoom(t, rules, tc.pl, tc.joinRules)
			branches, key, want := tc.fork(rm)
			sets, gSets := rm.stateSets(branches)
			ours := rm.resolve(sets)
			if ours[key] != want.EventID() {
				t.Fatalf("we resolve %s %q to %s, want %s\nthe spec: %s", key.Type, key.StateKey,
					describe(rm, ours[key]), describe(rm, want.EventID()), tc.reason)
			}
			if d := diffStates(rm, ours, v2Model{rm: rm}.resolve(sets)); d != "" {
				t.Fatalf("the step-by-step model departs from our resolution (ours, model):\n%s", d)
			}
			theirs, err := rm.gmslResolve(gSets)
			if err != nil {
				t.Fatalf("gomatrixserverlib: %v", err)
			}
			if diffStates(rm, ours, theirs) == "" {
				t.Fatal("gomatrixserverlib now resolves as we do: remove this case and its switch in v2Model")
			}
			if got := explainV2(rm, sets, theirs); got != tc.name {
				t.Errorf("explainV2 names the disagreement %q, want %q (ours, theirs):\n%s", got, tc.name, diffStates(rm, ours, theirs))
			}
		})
	}
}

// TestGomatrixserverlibV12StateResolutionPanics freezes why the random
// comparison of state resolution leaves room version 12 out (see
// TestStateResolutionV21AgreesWithModel): on a fork of two power levels
// edits gomatrixserverlib's resolution panics (errGmslPanic: "missing
// resolved create event"), as it looks for the create event among the auth
// events, where rooms/v12 says "The m.room.create event MUST NOT be
// selected for auth_events on events." We resolve the fork. When the panic
// is fixed the test fails, and version 12 can join the comparison.
func TestGomatrixserverlibV12StateResolutionPanics(t *testing.T) {
	rules, err := roomversion.Lookup("12")
	if err != nil {
		t.Fatal(err)
	}
	rm := newFixedRoom(t, rules, `{"users":{"`+userAlice+`":50}}`, `{"join_rule":"public"}`)
	base := rm.here()
	rm.send(userCreator, typePowerLevels, ptr(""), `{"users":{"`+userAlice+`":60}}`)
	a := rm.here()
	rm.goTo(base)
	b := rm.send(userCreator, typePowerLevels, ptr(""), `{"users":{"`+userAlice+`":70}}`)
	sets, gSets := rm.stateSets([]map[auth.StateKey]*event.Event{a.state, rm.state})
	if got := rm.resolve(sets)[auth.StateKey{Type: typePowerLevels}]; got != b.EventID() {
		t.Errorf("we resolve the power levels to %s, want the later %s", describe(rm, got), describe(rm, b.EventID()))
	}
	_, err = rm.gmslResolve(gSets)
	if !errors.Is(err, errGmslPanic) {
		t.Fatalf("gomatrixserverlib no longer panics (%v): compare version 12 in TestStateResolutionAgreesWithGomatrixserverlib", err)
	}
	t.Log(err)
}
