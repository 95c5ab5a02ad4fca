package stateres

import (
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// resolveV2 is state resolution v2 (room versions 2 to 11) and v2.1 (room
// version 12), which differs in two places: the full conflicted set also
// holds the conflicted state subgraph, and the power events are checked
// from an empty state rather than from the unconflicted state map, so that
// a bogus unconflicted state cannot authorise them.
//
// https://spec.matrix.org/latest/rooms/v2/#algorithm
// https://spec.matrix.org/latest/rooms/v12/#algorithm
func resolveV2(s *store, stateSets []StateMap, authChains AuthChainLookup) (StateMap, error) {
	v21 := s.rules.StateRes == roomversion.StateResV21
	unconflicted, conflicted := SeparateV2(stateSets)
	if len(conflicted) == 0 {
		return unconflicted, nil
	}

	full, err := AuthDifference(stateSets, authChains)
	if err != nil {
		return nil, err
	}
	// An event of the unconflicted state map is in every state, but the
	// spec's auth chains leave out the state events themselves, so it
	// joins the auth difference whenever only some states' events cite it.
	// Synapse counts each state's own events in its auth chain
	// (get_auth_chain_difference), and Dendrite and Conduit skip such
	// events, so no server re-checks an unconflicted event here; to
	// resolve as they do, neither do we.
	for _, id := range unconflicted {
		delete(full, id)
	}
	conflictedEvents := conflicted.Events()
	for id := range conflictedEvents {
		full[id] = struct{}{}
	}
	if v21 {
		sub, err := s.conflictedStateSubgraph(conflictedEvents)
		if err != nil {
			return nil, err
		}
		for id := range sub {
			full[id] = struct{}{}
		}
	}
	ids := sortedIDs(full)
	if err := s.load(ids); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if s.event(id) == nil {
			delete(full, id)
		}
	}

	// Steps 1 and 2: the power events, in reverse topological power order.
	if err := s.loadAuthEvents(ids); err != nil {
		return nil, err
	}
	powerOrder := s.reverseTopologicalPowerOrdering(s.powerSubgraph(full), newSenderPowers(s))
	resolved := StateMap{}
	if !v21 {
		resolved = unconflicted.clone()
	}
	if err := s.iterativeAuthChecks(resolved, powerOrder); err != nil {
		return nil, err
	}

	// Steps 3 and 4: everything else, in mainline order.
	done := make(map[string]struct{}, len(powerOrder))
	for _, id := range powerOrder {
		done[id] = struct{}{}
	}
	var rest []string
	for _, id := range sortedIDs(full) {
		if _, ok := done[id]; !ok {
			rest = append(rest, id)
		}
	}
	rest, err = s.mainlineOrdering(rest, resolved[auth.StateKey{Type: typePowerLevels}])
	if err != nil {
		return nil, err
	}
	if err := s.iterativeAuthChecks(resolved, rest); err != nil {
		return nil, err
	}

	// Step 5: the unconflicted state map has the last word.
	for k, v := range unconflicted {
		resolved[k] = v
	}
	return resolved, nil
}
