package difftest

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/stateres"
)

// TestStateResolutionV21AgreesWithModel resolves random forks of random
// version 12 rooms and requires our answer to be the step-by-step model's
// (v2Model with its v2.1 steps). gomatrixserverlib cannot be the oracle
// here: its resolution panics on every version 12 fork (errGmslPanic).
//
// Some forks get one more state: a copy of the first branch's state with a
// key the branch changed reset to its value before the fork, as a faulty
// earlier resolution would leave it. Others are an escalation (see
// escalate) and its reset. Then an event between the two conflicted events
// is in every state's auth chain, so only the conflicted state subgraph
// brings it into the full conflicted set; the test counts the forks on
// which v2.1 and v2 answer differently and requires some.
func TestStateResolutionV21AgreesWithModel(t *testing.T) {
	for _, rules := range roomversion.All() {
		if rules.StateRes != roomversion.StateResV21 {
			continue
		}
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 40)
			conflicts, resets, differFromV2 := 0, 0, 0
			for i := range n {
				rm := newRandomRoom(t, r, rules)
				rm.intLevels = true
				rm.senders = rm.stableSenders()
				base := maps.Clone(rm.state)
				var branches []map[auth.StateKey]*event.Event
				if after, reset, ok := rm.escalate(); ok && r.IntN(2) == 0 {
					branches = []map[auth.StateKey]*event.Event{after, reset}
					resets++
				} else {
					branches = rm.fork(2+r.IntN(2), 2+r.IntN(5))
					if reset, ok := resetKey(branches[0], base, r.IntN(1<<30)); ok && r.IntN(2) == 0 {
						branches = append(branches, reset)
						resets++
					}
				}
				var sets []stateres.StateMap
				for _, b := range branches {
					set := stateres.StateMap{}
					for k, ev := range b {
						set[k] = ev.EventID()
					}
					sets = append(sets, set)
				}
				if _, conflicted := stateres.SeparateV2(sets); len(conflicted) > 0 {
					conflicts++
				}
				ours := rm.resolve(sets)
				model := v2Model{rm: rm}.resolve(sets)
				if d := diffStates(rm, ours, model); d != "" {
					t.Fatalf("room %d: the step-by-step v2.1 model departs from our resolution (ours, model):\n%s", i, d)
				}
				if diffStates(rm, model, v2Model{rm: rm, asV2: true}.resolve(sets)) != "" {
					differFromV2++
				}
			}
			t.Logf("%d of %d forks had conflicts (%d with a reset state); v2.1 and v2 differ on %d", conflicts, n, resets, differFromV2)
			if differFromV2 == 0 {
				t.Error("no fork resolved differently under v2.1 and v2: the v2.1 steps were not exercised")
			}
		})
	}
}

// escalate grows a branch in which the creator raises the second stable
// sender's level to 101 (mid), that user sets the topic and then edits the
// power levels (last). It returns the state after the branch and the same
// state with the power levels reset to those before mid; the room itself
// is left as it was. In v2 the reset power levels are checked before last
// and mid is left out (every state's auth chain holds it, through the
// topic), so last is judged by the old levels; in v2.1 mid is on the path
// last → mid → old between two conflicted events and is replayed. Half the
// time both states also hold the user's leave, unconflicted, as a forged
// state would: v2 checks last against it and rejects last, v2.1 starts
// from an empty state and reads the user's join from last's auth events.
// false if the rules refuse a step.
func (rm *room) escalate() (after, reset map[auth.StateKey]*event.Event, ok bool) {
	if len(rm.senders) < 2 {
		return nil, nil, false
	}
	saved, tips, depth := maps.Clone(rm.state), rm.tips, rm.depth
	defer func() { rm.state, rm.tips, rm.depth = saved, tips, depth }()
	user := rm.senders[1]
	if slices.Contains(auth.RoomCreators(rm.rules, rm.create), user) {
		return nil, nil, false
	}
	old := rm.state[auth.StateKey{Type: typePowerLevels}]
	pl := map[string]any{}
	if err := json.Unmarshal(old.Content(), &pl); err != nil {
		rm.t.Fatal(err)
	}
	users, _ := pl["users"].(map[string]any)
	if users == nil {
		users = map[string]any{}
	}
	users[user] = 101 // the highest level randLevel gives
	pl["users"] = users
	apply := func(tmpl event.Template) bool {
		ev := rm.build(tmpl)
		if auth.Allowed(rm.rules, ev, stateMap(rm.state)) != nil {
			return false
		}
		rm.state[auth.StateKey{Type: ev.Type(), StateKey: *ev.StateKey()}] = ev
		rm.tips = []string{ev.EventID()}
		rm.depth++
		return true
	}
	// Each template is made after the step before: it cites the tips and
	// state that step left. The edit is random, so a few are tried.
	if !apply(rm.template(rm.users[0], typePowerLevels, ptr(""), mustJSON(pl))) ||
		!apply(rm.template(user, typeTopic, ptr(""), `{"topic":"escalated"}`)) {
		return nil, nil, false
	}
	edited := false
	for range 5 {
		if edited = apply(rm.template(user, typePowerLevels, ptr(""), rm.editedPowerLevels())); edited {
			break
		}
	}
	if !edited {
		return nil, nil, false
	}
	after = rm.state
	if rm.r.IntN(2) == 0 {
		leave := rm.build(rm.template(user, typeMember, ptr(user), `{"membership":"leave"}`))
		after[auth.StateKey{Type: typeMember, StateKey: user}] = leave
	}
	reset = maps.Clone(after)
	reset[auth.StateKey{Type: typePowerLevels}] = old
	return after, reset, true
}

// resetKey is a copy of state with one key that differs from base set
// back to base's event, chosen by pick; false if no key differs.
func resetKey(state, base map[auth.StateKey]*event.Event, pick int) (map[auth.StateKey]*event.Event, bool) {
	var changed []auth.StateKey
	for _, k := range sortedStateKeys(state) {
		if b, ok := base[k]; ok && b != state[k] {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return nil, false
	}
	k := changed[pick%len(changed)]
	out := maps.Clone(state)
	out[k] = base[k]
	return out, true
}

// authEventIDs are the auth events of the event and, from room version 12
// where the create event is no longer cited, the create event: it still
// authorises every other event, and Synapse's auth_event_ids() adds it
// back the same way.
// https://spec.matrix.org/latest/rooms/v12/#event-format
func (rm *room) authEventIDs(id string) []string {
	ev := rm.events[id]
	ids := ev.AuthEventIDs()
	if !rm.rules.RoomIDFromCreateEvent || ev.Type() == typeCreate {
		return ids
	}
	return append([]string{rm.create.EventID()}, ids...)
}

// conflictedStateSubgraph is the spec's definition taken literally:
// "Starting from an event in the conflicted state set and following
// auth_events edges may lead to another event in the conflicted state set.
// The union of all such paths between any pair of events in the conflicted
// state set (including endpoints) forms a subgraph". An event is on such a
// path when it is reachable from a conflicted event and a conflicted event
// is reachable from it (or it is one). Unlike spec/stateres, which walks
// the graph once depth first, the model computes every event's whole auth
// chain.
// https://spec.matrix.org/latest/rooms/v12/#definitions
func conflictedStateSubgraph(rm *room, conflicted map[string]struct{}) map[string]struct{} {
	chains := map[string]map[string]bool{}
	var chain func(id string) map[string]bool
	chain = func(id string) map[string]bool {
		if c, ok := chains[id]; ok {
			return c
		}
		c := map[string]bool{}
		if _, known := rm.events[id]; known {
			for _, a := range rm.authEventIDs(id) {
				c[a] = true
				maps.Copy(c, chain(a))
			}
		}
		chains[id] = c
		return c
	}
	reachable := map[string]bool{}
	for c := range conflicted {
		reachable[c] = true
		maps.Copy(reachable, chain(c))
	}
	sub := map[string]struct{}{}
	for id := range reachable {
		_, leads := conflicted[id]
		for c := range conflicted {
			leads = leads || chain(id)[c]
		}
		if leads {
			sub[id] = struct{}{}
		}
	}
	return sub
}
