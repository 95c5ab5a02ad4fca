package stateres

import (
	"sort"

	"github.com/ocomms/ocomms/spec/auth"
)

// ConflictedSet maps each conflicted key to the distinct event IDs the
// states hold for it, sorted so every server walks them in the same order.
type ConflictedSet map[auth.StateKey][]string

// Events returns every event in the conflicted state set.
func (c ConflictedSet) Events() map[string]struct{} {
	out := map[string]struct{}{}
	for _, ids := range c {
		for _, id := range ids {
			out[id] = struct{}{}
		}
	}
	return out
}

// SeparateV2 splits states into the unconflicted state map and the
// conflicted state set as state resolution v2 defines them: a key is
// unconflicted only when every state holds it, with the same event.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
func SeparateV2(stateSets []StateMap) (StateMap, ConflictedSet) {
	unconflicted, conflicted := StateMap{}, ConflictedSet{}
	for _, key := range allKeys(stateSets) {
		if id, ok := unanimous(stateSets, key); ok {
			unconflicted[key] = id
			continue
		}
		ids, missing := distinctValues(stateSets, key)
		if len(ids) == 1 && !missing {
			unconflicted[key] = ids[0]
			continue
		}
		conflicted[key] = ids
	}
	return unconflicted, conflicted
}

// SeparateV1 splits states the way state resolution v1 does: a conflict is
// two states holding different events for a key, so a key that only some
// states hold is unconflicted.
//
// https://spec.matrix.org/latest/rooms/v1/#state-resolution
func SeparateV1(stateSets []StateMap) (StateMap, ConflictedSet) {
	unconflicted, conflicted := StateMap{}, ConflictedSet{}
	for _, key := range allKeys(stateSets) {
		if id, ok := unanimous(stateSets, key); ok {
			unconflicted[key] = id
			continue
		}
		ids, _ := distinctValues(stateSets, key)
		if len(ids) == 1 {
			unconflicted[key] = ids[0]
			continue
		}
		conflicted[key] = ids
	}
	return unconflicted, conflicted
}

func allKeys(stateSets []StateMap) []auth.StateKey {
	seen := map[auth.StateKey]struct{}{}
	for _, s := range stateSets {
		for k := range s {
			seen[k] = struct{}{}
		}
	}
	keys := make([]auth.StateKey, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	return keys
}

// unanimous returns the event every state holds for key, if they all hold
// the same one: most keys of a real room, checked without allocating.
func unanimous(stateSets []StateMap, key auth.StateKey) (string, bool) {
	first, ok := stateSets[0][key]
	if !ok {
		return "", false
	}
	for _, s := range stateSets[1:] {
		if id, ok := s[key]; !ok || id != first {
			return "", false
		}
	}
	return first, true
}

// distinctValues returns the sorted distinct event IDs the states hold for
// key, and whether some state does not hold it at all.
func distinctValues(stateSets []StateMap, key auth.StateKey) (ids []string, missing bool) {
	for _, s := range stateSets {
		id, ok := s[key]
		if !ok {
			missing = true
			continue
		}
		if !containsString(ids, id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, missing
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
