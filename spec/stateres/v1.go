package stateres

import (
	"bytes"
	"crypto/sha1"
	"sort"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

// resolveV1 is the original state resolution algorithm of room version 1.
// It resolves the keys the authorization rules read first (power levels,
// then join rules, then memberships), each class against the state
// resolved so far, then every other key.
//
// Two points the spec leaves open are settled as Synapse settles them:
// keys of one class are resolved independently against the state as it
// stood before that class, and a key none of whose events passes the
// checks gets the last event of its ordering.
//
// https://spec.matrix.org/latest/rooms/v1/#state-resolution
func resolveV1(s *store, stateSets []StateMap) (StateMap, error) {
	resolved, conflicted := SeparateV1(stateSets)
	if len(conflicted) == 0 {
		return resolved, nil
	}
	var all []string
	for _, ids := range conflicted {
		all = append(all, ids...)
	}
	if err := s.load(all); err != nil {
		return nil, err
	}

	// Conflicted events the lookup does not know drop out; a key left
	// with one event is no longer in conflict.
	byKey := map[auth.StateKey][]event.PDU{}
	var keys []auth.StateKey
	for key, ids := range conflicted {
		var evs []event.PDU
		for _, id := range ids {
			if ev := s.event(id); ev != nil {
				evs = append(evs, ev)
			}
		}
		switch len(evs) {
		case 0:
		case 1:
			resolved[key] = evs[0].EventID()
		default:
			byKey[key] = evs
			keys = append(keys, key)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Type != keys[j].Type {
			return keys[i].Type < keys[j].Type
		}
		return keys[i].StateKey < keys[j].StateKey
	})

	classes := []func(auth.StateKey) bool{
		func(k auth.StateKey) bool { return k.Type == typePowerLevels && k.StateKey == "" },
		func(k auth.StateKey) bool { return k.Type == typeJoinRules },
		func(k auth.StateKey) bool { return k.Type == typeMember },
	}
	done := map[auth.StateKey]bool{}
	for _, inClass := range classes {
		winners := map[auth.StateKey]string{}
		for _, key := range keys {
			if done[key] || !inClass(key) {
				continue
			}
			w, err := s.resolveV1AuthKey(resolved, key, byKey[key])
			if err != nil {
				return nil, err
			}
			winners[key] = w
			done[key] = true
		}
		for k, v := range winners {
			resolved[k] = v
		}
	}
	winners := map[auth.StateKey]string{}
	for _, key := range keys {
		if done[key] {
			continue
		}
		w, err := s.resolveV1OtherKey(resolved, byKey[key])
		if err != nil {
			return nil, err
		}
		winners[key] = w
	}
	for k, v := range winners {
		resolved[k] = v
	}
	return resolved, nil
}

// resolveV1AuthKey takes the conflicted events of one key in ascending
// depth and descending sha1(event_id) order, and walks the list for as long
// as each event is allowed by the state holding the previous one.
func (s *store) resolveV1AuthKey(state StateMap, key auth.StateKey, evs []event.PDU) (string, error) {
	ordered := orderV1(evs)
	for i, j := 0, len(ordered)-1; i < j; i, j = i+1, j-1 {
		ordered[i], ordered[j] = ordered[j], ordered[i]
	}
	chosen := ordered[0].EventID()
	for _, ev := range ordered[1:] {
		p := &v1State{s: s, state: state, key: key, id: chosen}
		err := auth.Allowed(s.rules, ev, p)
		if p.err != nil {
			return "", p.err
		}
		if err != nil {
			break
		}
		chosen = ev.EventID()
	}
	return chosen, nil
}

// resolveV1OtherKey picks the event with the highest depth and lowest
// sha1(event_id) that the state allows.
func (s *store) resolveV1OtherKey(state StateMap, evs []event.PDU) (string, error) {
	ordered := orderV1(evs)
	p := &v1State{s: s, state: state}
	for _, ev := range ordered {
		err := auth.Allowed(s.rules, ev, p)
		if p.err != nil {
			return "", p.err
		}
		if err == nil {
			return ev.EventID(), nil
		}
	}
	return ordered[len(ordered)-1].EventID(), nil
}

// orderV1 sorts by depth descending, then sha1(event_id) ascending.
func orderV1(evs []event.PDU) []event.PDU {
	type keyed struct {
		ev   event.PDU
		hash [sha1.Size]byte
	}
	items := make([]keyed, len(evs))
	for i, ev := range evs {
		items[i] = keyed{ev: ev, hash: sha1.Sum([]byte(ev.EventID()))}
	}
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.ev.Depth() != b.ev.Depth() {
			return a.ev.Depth() > b.ev.Depth()
		}
		return bytes.Compare(a.hash[:], b.hash[:]) < 0
	})
	out := make([]event.PDU, len(items))
	for i, it := range items {
		out[i] = it.ev
	}
	return out
}

// v1State is the state R of an auth check in state resolution v1,
// optionally with one key replaced by the event being built on.
type v1State struct {
	s     *store
	state StateMap
	key   auth.StateKey
	id    string
	err   error
}

// StateEvent implements auth.StateProvider.
func (p *v1State) StateEvent(evType, stateKey string) event.PDU {
	key := auth.StateKey{Type: evType, StateKey: stateKey}
	id, ok := p.state[key]
	if p.id != "" && key == p.key {
		id, ok = p.id, true
	}
	if !ok {
		return nil
	}
	ev, err := p.s.get(id)
	if err != nil && p.err == nil {
		p.err = err
	}
	return ev
}
