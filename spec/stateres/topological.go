package stateres

import (
	"container/heap"
	"sort"
)

// powerSubgraph selects step 1's set X from the full conflicted set: every
// power event, enlarged by the events of its auth chain that are also in the
// full conflicted set. It returns X with, for each member, the members it
// must come after: the first full conflicted set events on each auth_events
// path out of it. Following paths through events outside the set keeps the
// order faithful to the auth DAG even where a path leaves the set and comes
// back.
//
// https://spec.matrix.org/latest/rooms/v2/#algorithm
func (s *store) powerSubgraph(full map[string]struct{}) (map[string][]string, error) {
	var power []string
	for id := range full {
		if ev := s.event(id); ev != nil && isPowerEvent(ev) {
			power = append(power, id)
		}
	}
	sort.Strings(power)
	if _, err := s.authChain(power); err != nil {
		return nil, err
	}
	nearest := s.nearestInSet(power, full)
	graph := map[string][]string{}
	queue := append([]string(nil), power...)
	for _, id := range power {
		graph[id] = nil
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		graph[id] = nearest[id]
		for _, a := range nearest[id] {
			if _, ok := graph[a]; !ok {
				graph[a] = nil
				queue = append(queue, a)
			}
		}
	}
	return graph, nil
}

// nearestInSet computes, for every event reachable from starts, the first
// events of set met on each auth_events path out of it (the event itself
// excluded). Auth events are visited before the events they authorise, so
// each event's answer is built from its auth events' answers.
func (s *store) nearestInSet(starts []string, set map[string]struct{}) map[string][]string {
	const (
		unvisited = iota
		inProgress
		done
	)
	mark := map[string]int{}
	nearest := map[string][]string{}
	type frame struct {
		id   string
		next int
	}
	for _, start := range starts {
		if mark[start] != unvisited {
			continue
		}
		mark[start] = inProgress
		stack := []frame{{id: start}}
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			var auths []string
			if ev := s.event(top.id); ev != nil {
				auths = s.authEventIDs(ev)
			}
			if top.next < len(auths) {
				a := auths[top.next]
				top.next++
				if mark[a] == unvisited {
					mark[a] = inProgress
					stack = append(stack, frame{id: a})
				}
				continue
			}
			var out []string
			for _, a := range auths {
				if s.event(a) == nil || mark[a] != done {
					// Unknown, or closing an auth cycle (malformed input).
					continue
				}
				if _, in := set[a]; in {
					out = appendUnique(out, a)
					continue
				}
				for _, n := range nearest[a] {
					out = appendUnique(out, n)
				}
			}
			nearest[top.id] = out
			mark[top.id] = done
			stack = stack[:len(stack)-1]
		}
	}
	return nearest
}

func appendUnique(list []string, s string) []string {
	if containsString(list, s) {
		return list
	}
	return append(list, s)
}

// reverseTopologicalPowerOrdering sorts the events of graph (each mapped to
// the events it must follow) earliest first: Kahn's algorithm, taking at
// each step the smallest ready event by sender power level descending, then
// origin_server_ts ascending, then event ID ascending. Events caught in an
// auth cycle never become ready and are left out; the caller handles them
// with the remaining events.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
func (s *store) reverseTopologicalPowerOrdering(graph map[string][]string, powers *senderPowers) []string {
	pending := make(map[string]int, len(graph))
	followers := make(map[string][]string, len(graph))
	ready := &powerHeap{}
	for id, after := range graph {
		pending[id] = len(after)
		for _, a := range after {
			followers[a] = append(followers[a], id)
		}
	}
	item := func(id string) powerItem {
		ev := s.event(id)
		return powerItem{id: id, power: powers.level(ev), ts: ev.OriginServerTS()}
	}
	for id, n := range pending {
		if n == 0 {
			ready.items = append(ready.items, item(id))
		}
	}
	heap.Init(ready)
	order := make([]string, 0, len(graph))
	for ready.Len() > 0 {
		next := heap.Pop(ready).(powerItem)
		order = append(order, next.id)
		for _, f := range followers[next.id] {
			pending[f]--
			if pending[f] == 0 {
				heap.Push(ready, item(f))
			}
		}
	}
	return order
}

type powerItem struct {
	id    string
	power int64
	ts    int64
}

type powerHeap struct{ items []powerItem }

func (h *powerHeap) Len() int { return len(h.items) }
func (h *powerHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.power != b.power {
		return a.power > b.power
	}
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.id < b.id
}
func (h *powerHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *powerHeap) Push(x any)    { h.items = append(h.items, x.(powerItem)) }
func (h *powerHeap) Pop() any {
	last := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return last
}
