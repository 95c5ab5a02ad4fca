package syncapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// requiredState is the state a room config asks for: [type, state_key]
// pairs where "*" matches any type or key, "$ME" is the syncing user and
// m.room.member with "$LAZY" asks for the members the timeline needs.
type requiredState struct {
	include, exclude []statePair
	lazy             bool
}

type statePair struct{ evType, stateKey string }

const (
	stateWildcard = "*"
	stateLazy     = "$LAZY"
	stateMe       = "$ME"
)

// parseRequiredState reads [[type, key], ...] or the object form
// {"include": [{"type", "state_key"}], "exclude": [...], "lazy_members"}.
func parseRequiredState(raw json.RawMessage, userID string) (requiredState, error) {
	var rs requiredState
	if len(raw) == 0 || string(raw) == "null" {
		return rs, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		if len(pairs) > ssMaxRequiredState {
			return rs, fmt.Errorf("at most %d required_state entries", ssMaxRequiredState)
		}
		for _, p := range pairs {
			if len(p) != 2 {
				return rs, fmt.Errorf("a required_state entry is [type, state_key]")
			}
			if p[0] == "m.room.member" && p[1] == stateLazy {
				rs.lazy = true
				continue
			}
			rs.include = append(rs.include, pair(p[0], p[1], userID))
		}
		return rs, nil
	}
	var obj struct {
		Include []struct {
			Type     *string `json:"type"`
			StateKey *string `json:"state_key"`
		} `json:"include"`
		Exclude []struct {
			Type     *string `json:"type"`
			StateKey *string `json:"state_key"`
		} `json:"exclude"`
		LazyMembers bool `json:"lazy_members"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return rs, fmt.Errorf("required_state is a list of [type, state_key] pairs")
	}
	if len(obj.Include)+len(obj.Exclude) > ssMaxRequiredState {
		return rs, fmt.Errorf("at most %d required_state entries", ssMaxRequiredState)
	}
	orAny := func(s *string) string {
		if s == nil {
			return stateWildcard
		}
		return *s
	}
	for _, e := range obj.Include {
		rs.include = append(rs.include, pair(orAny(e.Type), orAny(e.StateKey), userID))
	}
	for _, e := range obj.Exclude {
		rs.exclude = append(rs.exclude, pair(orAny(e.Type), orAny(e.StateKey), userID))
	}
	rs.lazy = obj.LazyMembers
	return rs, nil
}

func pair(evType, stateKey, userID string) statePair {
	if stateKey == stateMe {
		stateKey = userID
	}
	return statePair{evType: evType, stateKey: stateKey}
}

func (p statePair) matches(evType, stateKey string) bool {
	return (p.evType == stateWildcard || p.evType == evType) && (p.stateKey == stateWildcard || p.stateKey == stateKey)
}

// matches reports whether a state event is asked for (lazy members
// aside).
func (rs *requiredState) matches(evType, stateKey string) bool {
	if !slices.ContainsFunc(rs.include, func(p statePair) bool { return p.matches(evType, stateKey) }) {
		return false
	}
	return !slices.ContainsFunc(rs.exclude, func(p statePair) bool { return p.matches(evType, stateKey) })
}

func (rs *requiredState) empty() bool { return len(rs.include) == 0 && !rs.lazy }

// combinedConfig is the superset of the configs of every rule a room
// matches: the largest timeline, the union of their state.
type combinedConfig struct {
	timelineLimit int
	states        []requiredState
	lists         []string
}

func (c *combinedConfig) add(rc *ssRoomConfig) {
	c.timelineLimit = max(c.timelineLimit, rc.timelineLimit())
	c.states = append(c.states, rc.spec)
}

func (c *combinedConfig) wants(evType, stateKey string) bool {
	return slices.ContainsFunc(c.states, func(rs requiredState) bool { return rs.matches(evType, stateKey) })
}

func (c *combinedConfig) lazy() bool {
	return slices.ContainsFunc(c.states, func(rs requiredState) bool { return rs.lazy })
}

// signature identifies the state the config asks for, to notice when a
// client widened it since it last got the room.
func (c *combinedConfig) signature() string {
	var parts []string
	for _, rs := range c.states {
		for _, p := range rs.include {
			parts = append(parts, "+"+p.evType+"\x00"+p.stateKey)
		}
		for _, p := range rs.exclude {
			parts = append(parts, "-"+p.evType+"\x00"+p.stateKey)
		}
		if rs.lazy {
			parts = append(parts, "lazy")
		}
	}
	sort.Strings(parts)
	sum := sha256.Sum256([]byte(strings.Join(slices.Compact(parts), "\x01")))
	return hex.EncodeToString(sum[:16])
}
