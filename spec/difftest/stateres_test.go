package difftest

import (
	"errors"
	"fmt"
	"maps"
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
// rules, memberships and topics) with both implementations.
func TestStateResolutionAgreesWithGomatrixserverlib(t *testing.T) {
	for _, rules := range versions(t, gmslKnows) {
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 25)
			conflicts, fallback, outside := 0, 0, 0
			if rules.StateRes == roomversion.StateResV1 {
				// Not compared yet: gomatrixserverlib's v1 resolution
				// disagrees with ours on most random forks and the cases
				// have not been analysed against Synapse.
				t.Skip("state resolution v1 is not compared")
			}
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
				_, conflicted := stateres.SeparateV2(sets)
				if len(conflicted) > 0 {
					conflicts++
				}

				lookup := func(ids []string) (map[string]event.PDU, error) {
					out := map[string]event.PDU{}
					for _, id := range ids {
						if ev, ok := rm.events[id]; ok {
							out[id] = ev
						}
					}
					return out, nil
				}
				ours, err := stateres.Resolve(rules, sets, lookup, nil)
				if err != nil {
					t.Fatalf("room %d: Resolve: %v", i, err)
				}
				var all []gomatrixserverlib.PDU
				for _, id := range sortedKeys(rm.gEvents) {
					all = append(all, rm.gEvents[id])
				}
				resolved, err := quiet(t, func() (_ []gomatrixserverlib.PDU, err error) {
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("%w: %v", errGmslPanic, p)
						}
					}()
					return gomatrixserverlib.ResolveConflictsNew(gomatrixserverlib.RoomVersion(rules.ID), gSets, all,
						userIDForSender, func(string) bool { return false })
				})
				if errors.Is(err, errGmslPanic) {
					t.Skipf("gomatrixserverlib cannot resolve this room version: %v", err)
				}
				if err != nil {
					t.Fatalf("room %d: gomatrixserverlib: %v", i, err)
				}
				theirs := stateres.StateMap{}
				for _, ev := range resolved {
					theirs[auth.StateKey{Type: ev.Type(), StateKey: *ev.StateKey()}] = ev.EventID()
				}
				diff := diffStates(rm, ours, theirs)
				if diff != "" && pathLeavesConflictedSet(rm, sets, conflicted) {
					// See knownOrderingThroughOutsideEvents.
					outside++
					continue
				}
				if diff != "" && needsConflictedAuthState(rm, sets, conflicted) {
					// See gmslAuthEventsFallback.
					fallback++
					continue
				}
				if diff != "" {
					t.Errorf("room %d: resolved states differ (ours, theirs):\n%s\nconflicted:\n%s\npower levels: %s", i, diff,
						describeConflicts(rm, conflicted), describe(rm, ours[auth.StateKey{Type: typePowerLevels}]))
				}
			}
			t.Logf("%d of %d forks had conflicts; %d differ on ordering through events outside the set, %d where gomatrixserverlib's auth_events fallback applies",
				conflicts, n, outside, fallback)
		})
	}
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

// gmslAuthEventsFallback: in the iterative auth checks, "If a
// (event_type, state_key) key that is required for checking the
// authorisation rules is not present in the state, then the appropriate
// state event from the event's auth_events is used". gomatrixserverlib's
// authAndApplyEvents means to do this but adds the event being checked
// instead of its auth event (stateresolutionv2.go, AddEvent(event) in
// addFromAuthEventsIfNotRejected), so such checks see no sender membership
// or power levels. A difference on a fork where an event of the full
// conflicted set needs a key that is itself conflicted is counted, not
// failed.
// https://spec.matrix.org/latest/rooms/v2/#state-resolution

// knownOrderingThroughOutsideEvents is a known difference between our
// state resolution and both Synapse and gomatrixserverlib, reported to the
// owners of spec/stateres. The reverse topological power ordering sorts set
// X "based on the DAG formed by auth events". Ours makes x precede y when an
// auth_events path leads from y to x even through events outside the full
// conflicted set (spec/stateres/topological.go, powerSubgraph); Synapse's
// _add_event_and_auth_chain_to_graph and gomatrixserverlib keep only auth
// edges between events of the full conflicted set and order the rest by
// power level, timestamp and event ID. Example: a join rules change by a
// user above the creator's level, whose own join cites the original join
// rules; Synapse lets the original join rules win, we let the change win.
// A difference on a fork with such a path is counted, not failed.

// pathLeavesConflictedSet reports whether some power event of the full
// conflicted set reaches another one only through events outside it.
func pathLeavesConflictedSet(rm *room, sets []stateres.StateMap, conflicted stateres.ConflictedSet) bool {
	rm.t.Helper()
	full := fullConflictedSet(rm, sets, conflicted)
	reach := func(from string, inside bool) map[string]bool {
		seen := map[string]bool{}
		stack := []string{from}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, a := range rm.events[id].AuthEventIDs() {
				if _, in := full[a]; (inside && !in) || seen[a] {
					continue
				}
				seen[a] = true
				stack = append(stack, a)
			}
		}
		return seen
	}
	for id := range full {
		ev := rm.events[id]
		if !isPowerEventForTest(ev) {
			continue
		}
		all, within := reach(id, false), reach(id, true)
		for other := range full {
			if other != id && all[other] && !within[other] {
				return true
			}
		}
	}
	return false
}

// isPowerEventForTest is the spec's power event: power levels, join rules,
// create, or a member event that kicks or bans another user.
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

// fullConflictedSet is the conflicted set and the auth difference.
func fullConflictedSet(rm *room, sets []stateres.StateMap, conflicted stateres.ConflictedSet) map[string]struct{} {
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
	full := conflicted.Events()
	for id := range diff {
		full[id] = struct{}{}
	}
	return full
}

// needsConflictedAuthState reports whether an event of the conflicted set
// or of the auth difference needs, for its auth checks, a state key that is
// not in the unconflicted state map.
func needsConflictedAuthState(rm *room, sets []stateres.StateMap, conflicted stateres.ConflictedSet) bool {
	rm.t.Helper()
	unconflicted, _ := stateres.SeparateV2(sets)
	full := fullConflictedSet(rm, sets, conflicted)
	for id := range full {
		ev := rm.events[id]
		needed, err := auth.StateNeeded(rm.rules, ev.Type(), ev.StateKey(), ev.Sender(), ev.Content())
		if err != nil {
			return true
		}
		for _, k := range needed {
			if _, ok := unconflicted[k]; !ok {
				return true
			}
		}
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
