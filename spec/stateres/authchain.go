package stateres

import (
	"sort"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// WalkAuthChains returns the AuthChainLookup Resolve uses when it is given
// none: it walks auth_events through lookup, loading each generation of the
// walk in one batch. Callers without stored auth chains can use it for the
// auth chains the federation API serves too.
//
// https://spec.matrix.org/latest/server-server-api/#retrieving-event-authorisation-information
func WalkAuthChains(rules roomversion.Rules, lookup EventLookup) AuthChainLookup {
	if lookup == nil {
		return func([]string) (map[string]struct{}, error) { return nil, ErrNoEventLookup }
	}
	return newStore(rules, lookup).authChain
}

// authChain walks auth_events breadth first from ids, loading each level of
// the walk in one batch. It is the AuthChainLookup used when the caller has
// none.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
func (s *store) authChain(ids []string) (map[string]struct{}, error) {
	chain := map[string]struct{}{}
	frontier := ids
	for len(frontier) > 0 {
		if err := s.load(frontier); err != nil {
			return nil, err
		}
		var next []string
		for _, id := range frontier {
			ev := s.event(id)
			if ev == nil {
				continue
			}
			for _, a := range s.authEventIDs(ev) {
				if _, seen := chain[a]; !seen {
					chain[a] = struct{}{}
					next = append(next, a)
				}
			}
		}
		frontier = next
	}
	return chain, nil
}

// AuthDifference returns the events that are in the full auth chain of some
// but not all of the states: ∪Cᵢ − ∩Cᵢ, where Cᵢ is the union of the auth
// chains of the events in state i.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
func AuthDifference(stateSets []StateMap, authChains AuthChainLookup) (map[string]struct{}, error) {
	// Counting in how many chains each event appears finds the difference
	// without holding every chain at once.
	count := map[string]int{}
	for _, state := range stateSets {
		ids := make([]string, 0, len(state))
		for _, id := range state {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		chain, err := authChains(ids)
		if err != nil {
			return nil, err
		}
		for id := range chain {
			count[id]++
		}
	}
	diff := map[string]struct{}{}
	for id, n := range count {
		if n < len(stateSets) {
			diff[id] = struct{}{}
		}
	}
	return diff, nil
}

// ConflictedStateSubgraph returns the events on some auth_events path from
// one event of the conflicted state set to another, endpoints included: the
// events a server needs to re-authorise the conflicted events from an empty
// state in state resolution v2.1.
//
// https://spec.matrix.org/latest/rooms/v12/#definitions
func (s *store) conflictedStateSubgraph(conflicted map[string]struct{}) (map[string]struct{}, error) {
	starts := sortedIDs(conflicted)
	// Every event on such a path is reachable from a conflicted event ...
	if _, err := s.authChain(starts); err != nil {
		return nil, err
	}
	// ... and reaches one. The auth graph is walked depth first, deciding
	// for each event after its auth events whether it reaches the set.
	const (
		unvisited = iota
		inProgress
		done
	)
	mark := map[string]int{}
	reaches := map[string]bool{}
	type frame struct {
		id   string
		next int
	}
	for _, start := range starts {
		if mark[start] != unvisited {
			continue
		}
		stack := []frame{{id: start}}
		mark[start] = inProgress
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			var auths []string
			if ev := s.event(top.id); ev != nil {
				auths = s.authEventIDs(ev)
			}
			if top.next < len(auths) {
				a := auths[top.next]
				top.next++
				// An auth cycle is malformed input; the edge closing it is
				// ignored so the walk still ends.
				if mark[a] == unvisited {
					mark[a] = inProgress
					stack = append(stack, frame{id: a})
				}
				continue
			}
			_, r := conflicted[top.id]
			for _, a := range auths {
				r = r || reaches[a]
			}
			reaches[top.id] = r
			mark[top.id] = done
			stack = stack[:len(stack)-1]
		}
	}
	sub := map[string]struct{}{}
	for id, r := range reaches {
		if r {
			sub[id] = struct{}{}
		}
	}
	return sub, nil
}

func sortedIDs(set map[string]struct{}) []string {
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
