package stateres

import (
	"math"
	"sort"
)

// noMainline is the mainline position of an event whose power levels
// ancestry never meets the mainline: greater than any real position, so
// such events sort first.
const noMainline = math.MaxInt

// mainlineOrdering sorts events by the mainline ordering based on the power
// levels event powerLevels (which may be empty when the partial state has
// none): mainline position descending, then origin_server_ts ascending, then
// event ID ascending.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
func (s *store) mainlineOrdering(events []string, powerLevels string) ([]string, error) {
	if len(events) == 0 {
		return nil, nil
	}
	start := events
	if powerLevels != "" {
		start = append([]string{powerLevels}, events...)
	}
	if err := s.loadPowerLevelsAncestry(start); err != nil {
		return nil, err
	}
	// The mainline of P₀: P₀, the power levels event among its auth events,
	// and so on. The check for a repeat guards against auth cycles.
	position := map[string]int{}
	for p, i := powerLevels, 0; p != "" && s.event(p) != nil; i++ {
		if _, seen := position[p]; seen {
			break
		}
		position[p] = i
		p = s.powerLevelsParent(p)
	}
	// Every event's position is the position of the first mainline event
	// among e₁, e₂, …; memoising it per power levels event makes the whole
	// sort linear in the number of power levels events involved.
	memo := map[string]int{}
	positionFrom := func(p string) int {
		var chain []string
		pos := noMainline
		for p != "" {
			if i, ok := position[p]; ok {
				pos = i
				break
			}
			if i, ok := memo[p]; ok {
				pos = i
				break
			}
			if containsString(chain, p) {
				break
			}
			chain = append(chain, p)
			p = s.powerLevelsParent(p)
		}
		for _, c := range chain {
			memo[c] = pos
		}
		return pos
	}
	type keyed struct {
		id  string
		pos int
		ts  int64
	}
	items := make([]keyed, 0, len(events))
	for _, id := range events {
		ev := s.event(id)
		if ev == nil {
			continue
		}
		items = append(items, keyed{id: id, pos: positionFrom(s.powerLevelsParent(id)), ts: ev.OriginServerTS()})
	}
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.pos != b.pos {
			return a.pos > b.pos
		}
		if a.ts != b.ts {
			return a.ts < b.ts
		}
		return a.id < b.id
	})
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.id
	}
	return out, nil
}

// powerLevelsParent returns the ID of the m.room.power_levels event among
// the auth events of a loaded event, "" when there is none.
func (s *store) powerLevelsParent(id string) string {
	ev := s.event(id)
	if ev == nil {
		return ""
	}
	if pl := s.authEventOfType(ev, typePowerLevels); pl != nil {
		return pl.EventID()
	}
	return ""
}

// loadPowerLevelsAncestry loads ids and, one batch per generation, their
// auth events and the auth events of the power levels events they lead to,
// so the mainline walks that follow read only loaded events.
func (s *store) loadPowerLevelsAncestry(ids []string) error {
	seen := map[string]struct{}{}
	frontier := ids
	for len(frontier) > 0 {
		if err := s.load(frontier); err != nil {
			return err
		}
		if err := s.loadAuthEvents(frontier); err != nil {
			return err
		}
		var next []string
		for _, id := range frontier {
			if p := s.powerLevelsParent(id); p != "" {
				if _, ok := seen[p]; !ok {
					seen[p] = struct{}{}
					next = append(next, p)
				}
			}
		}
		frontier = next
	}
	return nil
}
