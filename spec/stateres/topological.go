package stateres

import (
	"container/heap"
)

// powerSubgraph selects step 1's set X from the full conflicted set and
// the edges its ordering follows, as Synapse builds them
// (_add_event_and_auth_chain_to_graph in synapse/state/v2.py): X starts
// with every power event of the full conflicted set, and an event of X
// brings in each of its own auth events that is in the full conflicted
// set, and so on. Each member must come after exactly those auth events
// of its own that are in the full conflicted set. An auth_events path
// that leaves the full conflicted set and comes back is not followed:
// "the DAG formed by auth events" among the events being sorted has only
// their direct auth_events links, which is how Synapse and Dendrite read
// it, and servers must agree on the order.
//
// Every event of full must be loaded.
//
// https://spec.matrix.org/latest/rooms/v2/#algorithm
func (s *store) powerSubgraph(full map[string]struct{}) map[string][]string {
	var stack []string
	for _, id := range sortedIDs(full) {
		if isPowerEvent(s.event(id)) {
			stack = append(stack, id)
		}
	}
	graph := make(map[string][]string, len(stack))
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, done := graph[id]; done {
			continue
		}
		var after []string
		for _, a := range s.authEventIDs(s.event(id)) {
			if _, in := full[a]; !in || containsString(after, a) {
				continue
			}
			after = append(after, a)
			if _, done := graph[a]; !done {
				stack = append(stack, a)
			}
		}
		graph[id] = after
	}
	return graph
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
