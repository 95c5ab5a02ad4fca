package difftest

import (
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/matrix-org/gomatrixserverlib"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/stateres"
)

// fork grows branches of the room from its current tip: each branch gets
// up to steps state events (power levels edits, join rules, memberships,
// topics, names) that both implementations accept against the branch's
// state. It returns the state of each branch.
func (rm *room) fork(branches, steps int) []map[auth.StateKey]*event.Event {
	rm.t.Helper()
	baseState, baseTips, baseDepth := rm.state, rm.tips, rm.depth
	var out []map[auth.StateKey]*event.Event
	for range branches {
		rm.state, rm.tips, rm.depth = maps.Clone(baseState), baseTips, baseDepth
		for range steps * 3 {
			if rm.depth-baseDepth >= int64(steps) {
				break
			}
			ev, _ := rm.randCandidate()
			sk := ev.StateKey()
			if sk == nil || ev.Type() == typeMember && slices.Contains(rm.senders, *sk) || auth.Allowed(rm.rules, ev, stateMap(rm.state)) != nil ||
				gomatrixserverlib.Allowed(rm.gEvents[ev.EventID()], gState(rm.t, rm, rm.state), userIDForSender) != nil {
				continue
			}
			rm.state[auth.StateKey{Type: ev.Type(), StateKey: *sk}] = ev
			rm.tips = []string{ev.EventID()}
			rm.depth++
		}
		out = append(out, rm.state)
	}
	rm.state, rm.tips, rm.depth = baseState, baseTips, baseDepth
	return out
}

// stableSenders are the creator and the first other joined user.
func (rm *room) stableSenders() []string {
	out := []string{rm.users[0]}
	for _, u := range rm.users[1:] {
		if m, ok := rm.state[auth.StateKey{Type: typeMember, StateKey: u}]; ok && membershipOf(m) == "join" {
			return append(out, u)
		}
	}
	return out
}

// TestStateResolutionAgreesWithGomatrixserverlib resolves random forks of
// random rooms (two or three branches with conflicting power levels, join
// rules, memberships and topics) with both implementations. Where the
// answers differ, a step-by-step model of the algorithm (which must give
// our answer) gives theirs once one or more of gomatrixserverlib's known
// departures are switched on in it, or the test fails.
func TestStateResolutionAgreesWithGomatrixserverlib(t *testing.T) {
	for _, rules := range versions(t, gmslKnows) {
		if rules.StateRes == roomversion.StateResV21 {
			continue // see TestStateResolutionV21AgreesWithModel
		}
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 25)
			conflicts, agree := 0, 0
			known := map[string]int{}
			for i := range n {
				rm := newRandomRoom(t, r, rules)
				rm.intLevels = true
				// The creator and one joined user send every branch event,
				// and neither's membership is the target of one, so that
				// fewer forks need gmslAuthEventsFallback.
				rm.senders = rm.stableSenders()
				branches := rm.fork(2+r.IntN(2), 2+r.IntN(5))

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
				separate := stateres.SeparateV2
				if rules.StateRes == roomversion.StateResV1 {
					separate = stateres.SeparateV1
				}
				_, conflicted := separate(sets)
				if len(conflicted) > 0 {
					conflicts++
				}

				ours := rm.resolve(sets)
				theirs, err := rm.gmslResolve(gSets)
				if err != nil {
					t.Fatalf("room %d: gomatrixserverlib: %v", i, err)
				}
				model := v2Model{rm: rm}.resolve
				explain := explainV2
				if rules.StateRes == roomversion.StateResV1 {
					model, explain = v1Model{rm: rm}.resolve, explainV1
				}
				if d := diffStates(rm, ours, model(sets)); d != "" {
					t.Fatalf("room %d: the step-by-step model departs from our resolution (ours, model):\n%s", i, d)
				}
				diff := diffStates(rm, ours, theirs)
				if diff == "" {
					agree++
					continue
				}
				if cause := explain(rm, sets, theirs); cause != "" {
					known[cause]++
					continue
				}
				t.Errorf("room %d: resolved states differ (ours, theirs):\n%s\nconflicted:\n%s\npower levels: %s", i, diff,
					describeConflicts(rm, conflicted), describe(rm, ours[auth.StateKey{Type: typePowerLevels}]))
			}
			t.Logf("%d of %d forks had conflicts; %d resolved alike; known departures of gomatrixserverlib: %v",
				conflicts, n, agree, known)
		})
	}
}

// resolve is our resolution of the states.
func (rm *room) resolve(sets []stateres.StateMap) stateres.StateMap {
	rm.t.Helper()
	lookup := func(ids []string) (map[string]event.PDU, error) {
		out := map[string]event.PDU{}
		for _, id := range ids {
			if ev, ok := rm.events[id]; ok {
				out[id] = ev
			}
		}
		return out, nil
	}
	ours, err := stateres.Resolve(rm.rules, sets, lookup, nil)
	if err != nil {
		rm.t.Fatalf("Resolve: %v", err)
	}
	return ours
}

// gmslResolve is gomatrixserverlib's resolution of the states, given every
// event of the room as the auth events.
func (rm *room) gmslResolve(gSets [][]gomatrixserverlib.PDU) (stateres.StateMap, error) {
	var all []gomatrixserverlib.PDU
	for _, id := range sortedKeys(rm.gEvents) {
		all = append(all, rm.gEvents[id])
	}
	if rm.rules.StateRes == roomversion.StateResV1 {
		// Its v1 resolution takes every event given as the state R it
		// starts from ("Add the unconflicted auth events needed for auth
		// checks"), so it is given the unconflicted state map, which is
		// the spec's R: "the union of the states to be resolved,
		// excluding any conflicting events".
		all = nil
		unconflicted, _ := stateres.SeparateV1(rm.stateSetsOf(gSets))
		for _, id := range sortedKeys(map[string]bool(invert(unconflicted))) {
			all = append(all, rm.gEvents[id])
		}
	}
	resolved, err := quiet(rm.t, func() (_ []gomatrixserverlib.PDU, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%w: %v", errGmslPanic, p)
			}
		}()
		return gomatrixserverlib.ResolveConflictsNew(gomatrixserverlib.RoomVersion(rm.rules.ID), gSets, all,
			userIDForSender, func(string) bool { return false })
	})
	if err != nil {
		return nil, err
	}
	theirs := stateres.StateMap{}
	for _, ev := range resolved {
		theirs[auth.StateKey{Type: ev.Type(), StateKey: *ev.StateKey()}] = ev.EventID()
	}
	return theirs, nil
}

// explainV2 names the known departures of gomatrixserverlib that, switched
// on in the step-by-step model, give its answer theirs; "" if none do.
func explainV2(rm *room, sets []stateres.StateMap, theirs stateres.StateMap) string {
	// The departures one at a time, then together: the first set that
	// gives their answer is the explanation.
	names := []string{"auth_events fallback", "mainline steps", "power ordering", "auth rules"}
	for set := 1; set < 1<<len(names); set = nextBySize(set, len(names)) {
		unknownAuth := false
		m := v2Model{rm: rm, gmslFallback: set&1 != 0, gmslMainline: set&2 != 0, gmslOrder: set&4 != 0, gmslAuth: set&8 != 0,
			unknownAuth: &unknownAuth}
		if diffStates(rm, m.resolve(sets), theirs) == "" && !unknownAuth {
			var in []string
			for i, n := range names {
				if set&(1<<i) != 0 {
					in = append(in, n)
				}
			}
			return strings.Join(in, " + ")
		}
	}
	return ""
}

// explainV1 is explainV2 for state resolution v1, whose only known
// departures in gomatrixserverlib are those of its auth rules once it is
// given the spec's starting state (see gmslResolve).
func explainV1(rm *room, sets []stateres.StateMap, theirs stateres.StateMap) string {
	unknownAuth := false
	if diffStates(rm, v1Model{rm: rm, gmslAuth: true, unknownAuth: &unknownAuth}.resolve(sets), theirs) == "" && !unknownAuth {
		return "auth rules"
	}
	return ""
}

// nextBySize steps through the non-empty subsets of n switches (bit masks)
// by size, then by value; it returns 1<<n after the last.
func nextBySize(set, n int) int {
	size := bits.OnesCount(uint(set))
	for next := set + 1; next < 1<<n; next++ {
		if bits.OnesCount(uint(next)) == size {
			return next
		}
	}
	for size++; size <= n; size++ {
		for next := 1; next < 1<<n; next++ {
			if bits.OnesCount(uint(next)) == size {
				return next
			}
		}
	}
	return 1 << n
}

// diffStates lists the keys on which two states differ.
func diffStates(rm *room, a, b stateres.StateMap) string {
	keys := map[auth.StateKey]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var sb strings.Builder
	for _, k := range sortedStateKeys(keys) {
		if a[k] != b[k] {
			fmt.Fprintf(&sb, "  %s %q: %s | %s\n", k.Type, k.StateKey, describe(rm, a[k]), describe(rm, b[k]))
		}
	}
	return sb.String()
}

func describeConflicts(rm *room, c stateres.ConflictedSet) string {
	var sb strings.Builder
	for _, k := range sortedStateKeys(c) {
		for _, id := range c[k] {
			fmt.Fprintf(&sb, "  %s %q: %s\n", k.Type, k.StateKey, describe(rm, id))
		}
	}
	return sb.String()
}

func describe(rm *room, id string) string {
	ev, ok := rm.events[id]
	if !ok {
		return "(none)"
	}
	return fmt.Sprintf("%s by %s ts %d %s", id, ev.Sender(), ev.OriginServerTS(), ev.Content())
}

// errGmslPanic: gomatrixserverlib's state resolution panics on room
// version 12 forks ("missing resolved create event"), whose events do not
// cite the create event.
var errGmslPanic = errors.New("gomatrixserverlib panicked")

// authDifference is the auth difference of the states.
func authDifference(rm *room, sets []stateres.StateMap) map[string]struct{} {
	rm.t.Helper()
	lookup := func(ids []string) (map[string]event.PDU, error) {
		out := map[string]event.PDU{}
		for _, id := range ids {
			if ev, ok := rm.events[id]; ok {
				out[id] = ev
			}
		}
		return out, nil
	}
	diff, err := stateres.AuthDifference(sets, stateres.WalkAuthChains(rm.rules, lookup))
	if err != nil {
		rm.t.Fatal(err)
	}
	return diff
}

// fullConflictedSet is the conflicted set and the auth difference, less
// the events of the unconflicted state map (see resolveV2 in
// spec/stateres).
func fullConflictedSet(rm *room, sets []stateres.StateMap, conflicted stateres.ConflictedSet) map[string]struct{} {
	full := authDifference(rm, sets)
	unconflicted, _ := stateres.SeparateV2(sets)
	for _, id := range unconflicted {
		delete(full, id)
	}
	for id := range conflicted.Events() {
		full[id] = struct{}{}
	}
	return full
}

// isPowerEventForTest is the spec's power event (power levels, join rules,
// or a member event that kicks or bans another user) or, as in Synapse,
// the create event.
func isPowerEventForTest(ev *event.Event) bool {
	switch ev.Type() {
	case typePowerLevels, typeJoinRules, typeCreate:
		return ev.StateKeyEquals("")
	case typeMember:
		m := membershipOf(ev)
		return (m == "leave" || m == "ban") && ev.StateKey() != nil && *ev.StateKey() != ev.Sender()
	}
	return false
}

// quiet runs f with os.Stdout sent to /dev/null: gomatrixserverlib's state
// resolution prints to stdout.
func quiet[T any](t *testing.T, f func() (T, error)) (T, error) {
	t.Helper()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	saved := os.Stdout
	os.Stdout = null
	defer func() { os.Stdout = saved }()
	return f()
}

func (rm *room) stateSetsOf(gSets [][]gomatrixserverlib.PDU) []stateres.StateMap {
	var sets []stateres.StateMap
	for _, g := range gSets {
		set := stateres.StateMap{}
		for _, ev := range g {
			set[auth.StateKey{Type: ev.Type(), StateKey: *ev.StateKey()}] = ev.EventID()
		}
		sets = append(sets, set)
	}
	return sets
}

func invert(m stateres.StateMap) map[string]bool {
	out := map[string]bool{}
	for _, id := range m {
		out[id] = true
	}
	return out
}
