package stateres

import (
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

// iterativeAuthChecks applies the events in order to state, keeping each
// state event the authorization rules allow against the state built so far
// and ignoring the rest. A key the rules need that the state lacks is read
// from the event's own auth_events, unless that auth event was rejected.
// state is updated in place.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
func (s *store) iterativeAuthChecks(state StateMap, events []string) error {
	if err := s.prefetchAuthState(state, events); err != nil {
		return err
	}
	provider := &authState{s: s, state: state}
	for _, id := range events {
		ev := s.event(id)
		if ev == nil {
			continue
		}
		key, ok := stateKeyOf(ev)
		if !ok {
			continue
		}
		provider.useAuthEventsOf(ev)
		allowed := auth.Allowed(s.rules, ev, provider)
		if provider.err != nil {
			return provider.err
		}
		if allowed == nil {
			state[key] = id
		}
	}
	return nil
}

// prefetchAuthState loads, in two batches, the events the auth checks of
// events will read: their auth events, and the state events at the keys
// the auth events selection names for them (plus the create event, which
// v12 events do not cite). Anything else the rules read is loaded on
// demand.
func (s *store) prefetchAuthState(state StateMap, events []string) error {
	if err := s.load(events); err != nil {
		return err
	}
	if err := s.loadAuthEvents(events); err != nil {
		return err
	}
	var ids []string
	if id, ok := state[auth.StateKey{Type: typeCreate}]; ok {
		ids = append(ids, id)
	}
	for _, id := range events {
		ev := s.event(id)
		if ev == nil {
			continue
		}
		// Malformed content needs no prefetching: the rules reject it.
		keys, _ := auth.StateNeeded(s.rules, ev.Type(), ev.StateKey(), ev.Sender(), ev.Content())
		for _, k := range keys {
			if id, ok := state[k]; ok {
				ids = append(ids, id)
			}
		}
	}
	return s.load(ids)
}

// authState is the room state one auth check sees: the partially resolved
// state, falling back to the checked event's own auth events. Loading an
// event the state names can fail; the first such error is kept in err for
// the caller to return, because auth.StateProvider has no error result.
type authState struct {
	s          *store
	state      StateMap
	authEvents map[auth.StateKey]event.PDU
	err        error
}

func (a *authState) useAuthEventsOf(ev event.PDU) {
	if a.authEvents == nil {
		a.authEvents = map[auth.StateKey]event.PDU{}
	}
	clear(a.authEvents)
	for _, id := range a.s.authEventIDs(ev) {
		ae := a.s.event(id)
		if ae == nil || isRejected(ae) {
			continue
		}
		if key, ok := stateKeyOf(ae); ok {
			a.authEvents[key] = ae
		}
	}
}

// StateEvent implements auth.StateProvider.
func (a *authState) StateEvent(evType, stateKey string) event.PDU {
	key := auth.StateKey{Type: evType, StateKey: stateKey}
	if id, ok := a.state[key]; ok {
		ev, err := a.s.get(id)
		if err != nil && a.err == nil {
			a.err = err
		}
		if ev != nil && !isRejected(ev) {
			return ev
		}
	}
	return a.authEvents[key]
}
