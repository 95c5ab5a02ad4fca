package stateres

import (
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// StateMap is a room state: the event ID at each (event_type, state_key).
type StateMap map[auth.StateKey]string

// EventLookup returns the events it knows among eventIDs, keyed by event ID.
// An event it does not know is left out of the map; an error means the
// lookup itself failed (a database error, say) and aborts the resolution.
//
// An event whose concrete type implements auth.RejectedEvent and reports
// true is treated as rejected: the spec keeps rejected auth events out of
// the iterative auth checks.
//
// https://spec.matrix.org/latest/rooms/v2/#rejected-events
type EventLookup func(eventIDs []string) (map[string]event.PDU, error)

// AuthChainLookup returns the union of the auth chains of the given events:
// every event reachable from them by following auth_events, which includes
// one of the given events only when another given event leads to it. A
// database that keeps auth chains (or a chain cover index) answers this
// without loading events; a nil AuthChainLookup makes Resolve walk
// auth_events through the EventLookup instead.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
type AuthChainLookup func(eventIDs []string) (map[string]struct{}, error)

var (
	// ErrUnknownAlgorithm is returned for rules whose StateRes names no
	// algorithm this package implements.
	ErrUnknownAlgorithm = errors.New("stateres: unknown state resolution algorithm")
	// ErrNoEventLookup is returned when Resolve is called without a lookup
	// for more than one state.
	ErrNoEventLookup = errors.New("stateres: no event lookup")
	// ErrRoomMismatch is returned when the events being resolved belong to
	// more than one room: resolving them together is meaningless and would
	// let another room's events leak into this one's state.
	ErrRoomMismatch = errors.New("stateres: events from different rooms")
)

// Resolve returns the resolution of stateSets under the state resolution
// algorithm of the room version. authChains may be nil; see AuthChainLookup.
//
// Events the lookup does not know are treated as absent: a conflicted event
// that cannot be found takes no part in the resolution, and an auth event
// that cannot be found is not used in the auth checks.
//
// https://spec.matrix.org/latest/rooms/v1/#state-resolution
// https://spec.matrix.org/latest/rooms/v2/#state-resolution
// https://spec.matrix.org/latest/rooms/v12/#state-resolution
func Resolve(rules roomversion.Rules, stateSets []StateMap, lookup EventLookup, authChains AuthChainLookup) (StateMap, error) {
	switch rules.StateRes {
	case roomversion.StateResV1, roomversion.StateResV2, roomversion.StateResV21:
	default:
		return nil, fmt.Errorf("%w: %d (room version %q)", ErrUnknownAlgorithm, rules.StateRes, rules.ID)
	}
	if len(stateSets) == 0 {
		return StateMap{}, nil
	}
	if len(stateSets) == 1 {
		return stateSets[0].clone(), nil
	}
	if lookup == nil {
		return nil, ErrNoEventLookup
	}
	s := newStore(rules, lookup)
	if rules.StateRes == roomversion.StateResV1 {
		return resolveV1(s, stateSets)
	}
	if authChains == nil {
		authChains = s.authChain
	}
	return resolveV2(s, stateSets, authChains)
}

func (m StateMap) clone() StateMap {
	out := make(StateMap, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
