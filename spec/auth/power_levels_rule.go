package auth

import (
	"errors"
	"slices"
)

// checkPowerLevels is the m.room.power_levels rule: the content must have
// the shape the room version requires, and a sender may only change levels
// up to their own, and only those of users below them.
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
// https://spec.matrix.org/latest/rooms/v10/#authorization-rules
// https://spec.matrix.org/latest/rooms/v1/#authorization-rules
func (c *checker) checkPowerLevels(current PowerLevels, senderLevel int64) error {
	rules, ev, sender := c.rules, c.ev, c.ev.Sender()
	next, err := ParsePowerLevels(rules, ev.Content())
	if err != nil {
		return rejectCause(rules, c.shapeRule(err), err, "the event's content is malformed")
	}
	if rules.PrivilegedCreators {
		for _, creator := range RoomCreators(rules, c.create) {
			if _, listed := next.users[creator]; listed {
				return reject(rules, RulePowerLevelsCreators, "users lists the room creator %s", creator)
			}
		}
	}
	stateKey := ""
	if sk := ev.StateKey(); sk != nil {
		stateKey = *sk
	}
	prevEvent := c.state.StateEvent(typePowerLevels, stateKey)
	if prevEvent == nil {
		return nil
	}
	prev := current
	if stateKey != "" {
		if prev, err = ParsePowerLevels(rules, prevEvent.Content()); err != nil {
			return rejectCause(rules, RulePowerLevelsTopLevel, err, "the current m.room.power_levels is malformed")
		}
	}

	for i, name := range topLevelNames {
		if prev.set[i] == next.set[i] && prev.top[i] == next.top[i] {
			continue
		}
		if prev.set[i] && prev.top[i] > senderLevel {
			return reject(rules, RulePowerLevelsTopLevel, "%s changes %s from %d, above its level %d", sender, name, prev.top[i], senderLevel)
		}
		if next.set[i] && next.top[i] > senderLevel {
			return reject(rules, RulePowerLevelsTopLevel, "%s changes %s to %d, above its level %d", sender, name, next.top[i], senderLevel)
		}
	}

	names := []string{"events"}
	prevMaps := []map[string]int64{prev.events}
	nextMaps := []map[string]int64{next.events}
	if rules.NotificationsPowerLevels {
		names = append(names, "notifications")
		prevMaps = append(prevMaps, prev.notifications)
		nextMaps = append(nextMaps, next.notifications)
	}
	for i, name := range names {
		for _, k := range changedKeys(prevMaps[i], nextMaps[i]) {
			if v, ok := prevMaps[i][k]; ok && v > senderLevel {
				return reject(rules, RulePowerLevelsMapRemoved, "%s changes %s[%q] from %d, above its level %d", sender, name, k, v, senderLevel)
			}
		}
	}
	for i, name := range names {
		for _, k := range changedKeys(prevMaps[i], nextMaps[i]) {
			if v, ok := nextMaps[i][k]; ok && v > senderLevel {
				return reject(rules, RulePowerLevelsMapAdded, "%s changes %s[%q] to %d, above its level %d", sender, name, k, v, senderLevel)
			}
		}
	}

	users := changedKeys(prev.users, next.users)
	for _, u := range users {
		if v, ok := prev.users[u]; ok && u != sender && v >= senderLevel {
			return reject(rules, RulePowerLevelsUsersRemoved, "%s changes the level of %s from %d, not below its level %d", sender, u, v, senderLevel)
		}
	}
	for _, u := range users {
		if v, ok := next.users[u]; ok && v > senderLevel {
			return reject(rules, RulePowerLevelsUsersAdded, "%s changes the level of %s to %d, above its level %d", sender, u, v, senderLevel)
		}
	}
	return nil
}

// shapeRule is the rule a malformed m.room.power_levels content breaks.
func (c *checker) shapeRule(err error) Rule {
	var pe *powerLevelsError
	if errors.As(err, &pe) {
		switch {
		case pe.group == plUsers:
			return RulePowerLevelsUsers
		case !c.rules.IntegerPowerLevels:
			return RulePowerLevelsValues
		case pe.group == plMaps:
			return RulePowerLevelsMaps
		}
	}
	if c.rules.IntegerPowerLevels {
		return RulePowerLevelsIntegers
	}
	return RulePowerLevelsValues
}

// changedKeys are the keys added to, changed in or removed from a map, in
// sorted order so that a rejection names the same entry on every server.
func changedKeys(prev, next map[string]int64) []string {
	var out []string
	for k, v := range prev {
		if w, ok := next[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range next {
		if _, ok := prev[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
