package auth

import (
	"strings"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// StateKey identifies a piece of room state.
type StateKey struct {
	Type, StateKey string
}

// StateProvider is the state an event is checked against: its auth events,
// the state before it, or the room's current state.
type StateProvider interface {
	// StateEvent returns the state event of that type and state key, or nil
	// if there is none.
	StateEvent(evType, stateKey string) event.PDU
}

// checker holds what one run of the rules has read from the state, so each
// piece is looked up and parsed at most once.
type checker struct {
	rules  roomversion.Rules
	ev     event.PDU
	state  StateProvider
	create event.PDU

	levelsRead bool
	levels     PowerLevels
	levelsErr  error
}

// membership is a user's current membership, or "" if they have none.
func (c *checker) membership(userID string) string {
	m := c.state.StateEvent(typeMember, userID)
	if m == nil {
		return ""
	}
	s, _ := contentString(m.Content(), "membership")
	return s
}

// joinRule is the current join rule. A room without m.room.join_rules is
// treated as invite-only, as the other homeservers do.
func (c *checker) joinRule() string {
	jr := c.state.StateEvent(typeJoinRules, "")
	if jr == nil {
		return joinRuleInvite
	}
	s, _ := contentString(jr.Content(), "join_rule")
	return s
}

// powerLevels are the current effective power levels. An error means the
// state's m.room.power_levels is malformed, and the rule that needed it
// rejects the event.
func (c *checker) powerLevels() (PowerLevels, error) {
	if !c.levelsRead {
		c.levelsRead = true
		c.levels, c.levelsErr = EffectivePowerLevels(c.rules, c.state.StateEvent(typePowerLevels, ""), c.create)
	}
	return c.levels, c.levelsErr
}

// userLevels returns the power levels of each user, or the rejection by rule
// r if the current power levels cannot be read.
func (c *checker) userLevels(r Rule, users ...string) (PowerLevels, []int64, error) {
	pl, err := c.powerLevels()
	if err != nil {
		return PowerLevels{}, nil, rejectCause(c.rules, r, err, "the current m.room.power_levels is malformed")
	}
	out := make([]int64, len(users))
	for i, u := range users {
		out[i] = pl.UserLevel(u)
	}
	return pl, out, nil
}

// roomIDOfCreate is the room ID a v12 create event gives its room: its event
// ID with the sigil "!" instead of "$".
// https://spec.matrix.org/latest/rooms/v12/#event-format
func roomIDOfCreate(create event.PDU) string {
	return "!" + strings.TrimPrefix(create.EventID(), "$")
}

// federates is false if the create event sets m.federate to false.
func federates(create event.PDU) bool {
	raw, ok := memberValue(create.Content(), "m.federate")
	return !ok || string(raw) != "false"
}

// signedBy reports whether the event's signatures hold a signature from the
// server.
func signedBy(ev event.PDU, server string) bool {
	sigs, ok := memberValue(ev.JSON(), "signatures")
	if !ok {
		return false
	}
	keys, ok := memberValue(sigs, server)
	n := 0
	return ok && members(keys, func(string, []byte) { n++ }) && n > 0
}
