package difftest

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"maps"
	"math"
	"slices"

	"github.com/matrix-org/gomatrixserverlib"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/stateres"
)

// v2Model replays state resolution v2 (room versions 2 to 11) and v2.1
// (room version 12) one step at a time, as Synapse's synapse/state/v2.py
// does, so that a disagreement
// with gomatrixserverlib can be traced to a named departure of theirs: the
// switches replace one step with gomatrixserverlib's version of it. With
// every switch off the model must give our answer; the test checks that
// on every fork, so the model cannot drift from the code it stands for.
type v2Model struct {
	rm *room
	// gmslFallback: see gmslAuthEventsFallback.
	gmslFallback bool
	// gmslAuth decides each check with gomatrixserverlib's Allowed instead
	// of ours: its known departures from the authorization rules
	// (gmsl_deviations_test.go) then apply. A check on which the two
	// disagree for any other reason is recorded in unknownAuth, and the
	// model's answer then explains nothing.
	gmslAuth    bool
	unknownAuth *bool
	// gmslMainline: see gmslMainlineSteps.
	gmslMainline bool
	// gmslOrder: see gmslPowerOrdering.
	gmslOrder bool
	// asV2 resolves a room of version 12 with v2, not v2.1: the tests
	// count the forks on which the two differ, to know that the v2.1
	// steps were exercised.
	asV2 bool
}

// v21 reports whether the model runs state resolution v2.1 (MSC4297),
// which differs from v2 in two places: the full conflicted set also holds
// the conflicted state subgraph, and step 2 starts from an empty state
// map, not from the unconflicted state map.
// https://spec.matrix.org/latest/rooms/v12/#state-resolution
func (m v2Model) v21() bool {
	return m.rm.rules.StateRes == roomversion.StateResV21 && !m.asV2
}

// gmslAuthEventsFallback: in the iterative auth checks, "If a
// (event_type, state_key) key that is required for checking the
// authorisation rules is not present in the state, then the appropriate
// state event from the event's auth_events is used". gomatrixserverlib's
// authAndApplyEvents means to do this but adds the event being checked
// instead of its auth event (stateresolutionv2.go, AddEvent(event) in
// addFromAuthEventsIfNotRejected), so such a check sees no state at the
// missing key, and sees the checked event itself at its own key. The
// model's gmslFallback switch does the same.
// https://spec.matrix.org/latest/rooms/v2/#state-resolution

// gmslMainlineSteps: the mainline ordering compares "the mainline position
// of x" and then origin_server_ts. gomatrixserverlib's
// sortStateResV2ConflictedOtherHeap puts between them the number of power
// levels events walked before meeting the mainline (mainlineSteps), and
// gives an event that never meets the mainline the position of the
// mainline's first event instead of one before every position. Synapse's
// _mainline_sort has neither. The model's gmslMainline switch sorts as
// gomatrixserverlib does.
// https://spec.matrix.org/latest/rooms/v2/#definitions

// gmslPowerOrdering: step 1 sorts the power events and "the events in the
// auth chain of P which also belong to the full conflicted set" into "the
// lexicographically smallest topological ordering", found by Kahn's
// algorithm "selecting, among all the candidate vertices, the smallest
// vertex". gomatrixserverlib brings in only auth events from the
// conflicted state set, not from the auth difference (fullControlSet in
// ResolveStateConflictsV2New), runs Kahn's algorithm from the latest
// events backwards taking the largest candidate each time
// (kahnsAlgorithmUsingAuthEvents), which is a topological order but not
// in general the smallest, and reads a sender's level from the first
// power levels auth event only, 0 without one. Synapse does as the spec
// says (_reverse_topological_power_sort). The model's gmslOrder switch
// sorts as gomatrixserverlib does.
// https://spec.matrix.org/latest/rooms/v2/#definitions

func (m v2Model) resolve(sets []stateres.StateMap) stateres.StateMap {
	rm := m.rm
	unconflicted, conflicted := stateres.SeparateV2(sets)
	if len(conflicted) == 0 {
		return unconflicted
	}
	full := fullConflictedSet(rm, sets, conflicted)
	if m.v21() {
		for id := range conflictedStateSubgraph(rm, conflicted.Events()) {
			full[id] = struct{}{}
		}
	}

	// Step 1: the power events and their auth events in the full
	// conflicted set, each after its own auth events in the set.
	graph := map[string][]string{}
	var stack []string
	for _, id := range sortedKeys(full) {
		if isPowerEventForTest(rm.events[id]) {
			stack = append(stack, id)
		}
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, done := graph[id]; done {
			continue
		}
		graph[id] = []string{}
		for _, a := range rm.authEventIDs(id) {
			if _, in := full[a]; in && !slices.Contains(graph[id], a) {
				graph[id] = append(graph[id], a)
				stack = append(stack, a)
			}
		}
	}
	var powerOrder []string
	placed := map[string]bool{}
	if m.gmslOrder {
		powerOrder = m.gmslPowerOrder(sets, conflicted, full)
		for _, id := range powerOrder {
			placed[id] = true
		}
		graph = nil
	}
	for len(placed) < len(graph) {
		var ready []string
		for id, after := range graph {
			if !placed[id] && !slices.ContainsFunc(after, func(a string) bool { return !placed[a] }) {
				ready = append(ready, id)
			}
		}
		if len(ready) == 0 {
			break // an auth cycle; its events are left to the mainline step
		}
		next := slices.MinFunc(ready, func(a, b string) int {
			ea, eb := rm.events[a], rm.events[b]
			return cmp.Or(cmp.Compare(m.senderPower(eb), m.senderPower(ea)),
				cmp.Compare(ea.OriginServerTS(), eb.OriginServerTS()), cmp.Compare(a, b))
		})
		placed[next] = true
		powerOrder = append(powerOrder, next)
	}

	// Step 2: v2 starts from the unconflicted state map, v2.1 from an
	// empty one.
	state := stateres.StateMap{}
	if !m.v21() {
		maps.Copy(state, unconflicted)
	}
	m.iterativeAuthChecks(state, powerOrder)

	// Steps 3 and 4: the rest, by mainline position of the resolved power
	// levels, then timestamp, then event ID.
	mainline := map[string]int{}
	for p, i := state[auth.StateKey{Type: typePowerLevels}], 0; p != ""; i++ {
		mainline[p] = i
		p = m.powerLevelsAuthEvent(p)
	}
	position := func(id string) int {
		for p := m.powerLevelsAuthEvent(id); p != ""; p = m.powerLevelsAuthEvent(p) {
			if i, ok := mainline[p]; ok {
				return i
			}
		}
		return math.MaxInt
	}
	var rest []string
	for _, id := range sortedKeys(full) {
		if !placed[id] {
			rest = append(rest, id)
		}
	}
	// gomatrixserverlib counts positions from the mainline's first event.
	gmslPosition := func(id string) (pos, steps int) {
		for p := m.powerLevelsAuthEvent(id); p != ""; p = m.powerLevelsAuthEvent(p) {
			if i, ok := mainline[p]; ok {
				return len(mainline) - 1 - i, steps
			}
			steps++
		}
		return 0, steps
	}
	slices.SortFunc(rest, func(a, b string) int {
		ts := cmp.Compare(rm.events[a].OriginServerTS(), rm.events[b].OriginServerTS())
		if m.gmslMainline {
			pa, sa := gmslPosition(a)
			pb, sb := gmslPosition(b)
			return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(sa, sb), ts, cmp.Compare(a, b))
		}
		return cmp.Or(cmp.Compare(position(b), position(a)), ts, cmp.Compare(a, b))
	})
	m.iterativeAuthChecks(state, rest)

	// Step 5.
	for k, v := range unconflicted {
		state[k] = v
	}
	return state
}

// gmslPowerOrder is step 1 as gomatrixserverlib takes it: see
// gmslPowerOrdering.
func (m v2Model) gmslPowerOrder(sets []stateres.StateMap, conflicted stateres.ConflictedSet, full map[string]struct{}) []string {
	rm := m.rm
	diff := authDifference(rm, sets)
	inDiff := func(id string) bool { _, ok := diff[id]; return ok }
	inConflicted := conflicted.Events()
	visited := map[string]bool{}
	var pull func(id string) []string
	pull = func(id string) []string {
		out := []string{id}
		for _, a := range rm.events[id].AuthEventIDs() {
			if visited[a] {
				continue
			}
			if _, ok := inConflicted[a]; ok {
				out = append(out, pull(a)...)
			}
			visited[a] = true
		}
		return out
	}
	// The list may hold an event twice: once as a power event, once as
	// the auth event of another.
	// gomatrixserverlib walks the conflicted events and then the auth
	// difference, so an event in both is taken twice.
	var walk []string
	for _, id := range sortedKeys(inConflicted) {
		walk = append(walk, id)
	}
	for _, id := range sortedKeys(full) {
		if _, ok := inConflicted[id]; !ok || inDiff(id) {
			walk = append(walk, id)
		}
	}
	var list []string
	for _, id := range walk {
		if ev := rm.events[id]; isPowerEventForTest(ev) && ev.Type() != typeCreate {
			list = append(list, pull(id)...)
		}
	}
	power := func(id string) int64 {
		ev := rm.events[id]
		for _, a := range ev.AuthEventIDs() {
			if ae := rm.events[a]; ae != nil && ae.Type() == typePowerLevels && ae.StateKeyEquals("") {
				l, err := auth.SenderPowerLevel(rm.rules, ev.Sender(), ae, rm.create)
				if err != nil {
					return 0
				}
				return l
			}
		}
		return 0
	}
	less := func(a, b string) int {
		ea, eb := rm.events[a], rm.events[b]
		return cmp.Or(cmp.Compare(power(b), power(a)), cmp.Compare(ea.OriginServerTS(), eb.OriginServerTS()), cmp.Compare(a, b))
	}
	pending := map[string]bool{}
	citedBy := map[string]int{}
	for _, id := range list {
		pending[id] = true
		for _, a := range rm.events[id].AuthEventIDs() {
			citedBy[a]++
		}
	}
	var ready, order []string
	for _, id := range sortedKeys(pending) {
		if citedBy[id] == 0 {
			ready = append(ready, id)
			delete(pending, id)
		}
	}
	for len(ready) > 0 {
		slices.SortStableFunc(ready, less)
		next := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		order = append([]string{next}, order...)
		for _, a := range rm.events[next].AuthEventIDs() {
			citedBy[a]--
			if citedBy[a] == 0 && pending[a] {
				ready = append(ready, a)
				delete(pending, a)
			}
		}
	}
	// Events still cited by a copy never taken go first.
	rest := sortedKeys(pending)
	slices.SortStableFunc(rest, less)
	return append(rest, order...)
}

// senderPower is the power level of the event's sender according to the
// last power levels and create events among its auth events; the create
// event itself has none to read and counts as 0.
func (m v2Model) senderPower(ev *event.Event) int64 {
	if ev.Type() == typeCreate {
		return 0
	}
	var pl, create event.PDU
	for _, id := range m.rm.authEventIDs(ev.EventID()) {
		switch a := m.rm.events[id]; {
		case a == nil || !a.StateKeyEquals(""):
		case a.Type() == typePowerLevels:
			pl = a
		case a.Type() == typeCreate:
			create = a
		}
	}
	l, err := auth.SenderPowerLevel(m.rm.rules, ev.Sender(), pl, create)
	if err != nil {
		return 0
	}
	return l
}

// powerLevelsAuthEvent is the first power levels event among the auth
// events of the event, "" if none.
func (m v2Model) powerLevelsAuthEvent(id string) string {
	for _, a := range m.rm.events[id].AuthEventIDs() {
		if ae := m.rm.events[a]; ae != nil && ae.Type() == typePowerLevels && ae.StateKeyEquals("") {
			return a
		}
	}
	return ""
}

// iterativeAuthChecks applies each event to state if the rules allow it.
func (m v2Model) iterativeAuthChecks(state stateres.StateMap, order []string) {
	rm := m.rm
	for _, id := range order {
		ev := rm.events[id]
		key := auth.StateKey{Type: ev.Type(), StateKey: *ev.StateKey()}
		fromAuth := map[auth.StateKey]*event.Event{}
		for _, a := range rm.authEventIDs(id) {
			if ae := rm.events[a]; ae != nil && ae.StateKey() != nil {
				fromAuth[auth.StateKey{Type: ae.Type(), StateKey: *ae.StateKey()}] = ae
			}
		}
		seen := stateMap{}
		if m.gmslFallback {
			// The keys in gomatrixserverlib's order: a later one may
			// overwrite what an earlier one added at the event's own key.
			for _, t := range gomatrixserverlib.StateNeededForAuth([]gomatrixserverlib.PDU{rm.gEvents[id]}).Tuples() {
				k := auth.StateKey{Type: t.EventType, StateKey: t.StateKey}
				if sid, ok := state[k]; ok {
					seen[k] = rm.events[sid]
				} else if _, ok := fromAuth[k]; ok {
					seen[key] = ev
				}
			}
		} else {
			for k, ae := range fromAuth {
				seen[k] = ae
			}
			for k, sid := range state {
				seen[k] = rm.events[sid]
			}
		}
		if m.allowed(ev, seen) {
			state[key] = id
		}
	}
}

func (m v2Model) allowed(ev *event.Event, seen stateMap) bool {
	if !m.gmslAuth {
		return auth.Allowed(m.rm.rules, ev, seen) == nil
	}
	var pdus []gomatrixserverlib.PDU
	for _, k := range sortedStateKeys(seen) {
		pdus = append(pdus, m.rm.gEvents[seen[k].EventID()])
	}
	provider, err := gomatrixserverlib.NewAuthEvents(pdus)
	if err != nil {
		m.rm.t.Fatal(err)
	}
	theirs := gomatrixserverlib.Allowed(m.rm.gEvents[ev.EventID()], provider, userIDForSender)
	ours := auth.Allowed(m.rm.rules, ev, seen)
	if (ours == nil) != (theirs == nil) && knownGmslDeviation(m.rm, ev, seen, ours, theirs) == "" {
		*m.unknownAuth = true
	}
	return theirs == nil
}

// v1Model replays state resolution v1 as Synapse's synapse/state/v1.py
// does, deciding each check with our auth rules or, with gmslAuth, with
// gomatrixserverlib's (see v2Model.gmslAuth).
type v1Model struct {
	rm          *room
	gmslAuth    bool
	unknownAuth *bool
}

func (m v1Model) resolve(sets []stateres.StateMap) stateres.StateMap {
	rm := m.rm
	resolved, conflicted := stateres.SeparateV1(sets)
	v2 := v2Model{rm: rm, gmslAuth: m.gmslAuth, unknownAuth: m.unknownAuth}
	allowed := func(ev *event.Event, state stateres.StateMap) bool {
		seen := stateMap{}
		for k, id := range state {
			seen[k] = rm.events[id]
		}
		return v2.allowed(ev, seen)
	}
	// By depth descending, then sha1(event_id) ascending.
	ordered := func(ids []string) []string {
		out := slices.Clone(ids)
		slices.SortFunc(out, func(a, b string) int {
			ha, hb := sha1.Sum([]byte(a)), sha1.Sum([]byte(b))
			return cmp.Or(cmp.Compare(rm.events[b].Depth(), rm.events[a].Depth()), bytes.Compare(ha[:], hb[:]))
		})
		return out
	}
	keys := sortedStateKeys(conflicted)
	done := map[auth.StateKey]bool{}
	for _, inClass := range []func(auth.StateKey) bool{
		func(k auth.StateKey) bool { return k == auth.StateKey{Type: typePowerLevels} },
		func(k auth.StateKey) bool { return k.Type == typeJoinRules },
		func(k auth.StateKey) bool { return k.Type == typeMember },
	} {
		winners := stateres.StateMap{}
		for _, k := range keys {
			if !inClass(k) || done[k] {
				continue
			}
			done[k] = true
			list := ordered(conflicted[k])
			slices.Reverse(list)
			chosen := list[0]
			for _, id := range list[1:] {
				state := maps.Clone(resolved)
				state[k] = chosen
				if !allowed(rm.events[id], state) {
					break
				}
				chosen = id
			}
			winners[k] = chosen
		}
		maps.Copy(resolved, winners)
	}
	winners := stateres.StateMap{}
	for _, k := range keys {
		if done[k] {
			continue
		}
		list := ordered(conflicted[k])
		winners[k] = list[len(list)-1]
		for _, id := range list {
			if allowed(rm.events[id], resolved) {
				winners[k] = id
				break
			}
		}
	}
	maps.Copy(resolved, winners)
	return resolved
}
