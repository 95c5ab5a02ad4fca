package auth

import (
	"encoding/json"
	"fmt"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// StateNeeded is the auth events selection: the state a new event must cite
// in its auth_events, in this order and without duplicates:
//
//   - the m.room.create event, up to v11 (v12 names it through the room ID);
//   - the current m.room.power_levels;
//   - the sender's m.room.member;
//   - for m.room.member: the target's m.room.member; for membership join,
//     invite or knock the m.room.join_rules; for a third-party invite the
//     m.room.third_party_invite whose state_key is the token; for a join
//     naming join_authorised_via_users_server (v8+) that user's
//     m.room.member.
//
// Entries the room lacks are simply not cited. It returns ErrInvalidContent
// for a membership event without a state key or a string membership, which
// no room accepts.
//
// https://spec.matrix.org/latest/server-server-api/#auth-events-selection
func StateNeeded(rules roomversion.Rules, evType string, stateKey *string, sender string, content json.RawMessage) ([]StateKey, error) {
	if evType == typeMember {
		if stateKey == nil {
			return nil, fmt.Errorf("%w: m.room.member without a state_key", ErrInvalidContent)
		}
		if _, ok := contentString(content, "membership"); !ok {
			return nil, fmt.Errorf("%w: m.room.member without a string membership", ErrInvalidContent)
		}
	}
	return selection(rules, evType, stateKey, sender, content), nil
}

func selection(rules roomversion.Rules, evType string, stateKey *string, sender string, content json.RawMessage) []StateKey {
	if evType == typeCreate {
		return nil
	}
	out := make([]StateKey, 0, 6)
	add := func(k StateKey) {
		for _, have := range out {
			if have == k {
				return
			}
		}
		out = append(out, k)
	}
	if !rules.RoomIDFromCreateEvent {
		add(StateKey{typeCreate, ""})
	}
	add(StateKey{typePowerLevels, ""})
	add(StateKey{typeMember, sender})
	if evType != typeMember || stateKey == nil {
		return out
	}
	m, _ := object(content)
	membership, _ := stringMember(m, "membership")
	add(StateKey{typeMember, *stateKey})
	if membership == membershipJoin || membership == membershipInvite || membership == membershipKnock {
		add(StateKey{typeJoinRules, ""})
	}
	if membership == membershipInvite {
		if tpi, ok := object(m["third_party_invite"]); ok {
			if signed, ok := object(tpi["signed"]); ok {
				if token, ok := stringMember(signed, "token"); ok {
					add(StateKey{typeThirdPartyInvite, token})
				}
			}
		}
	}
	if membership == membershipJoin && rules.RestrictedJoinRule {
		if user, ok := stringMember(m, keyAuthorisingUser); ok {
			add(StateKey{typeMember, user})
		}
	}
	return out
}

// RejectedEvent is implemented by events that know whether they were
// rejected; CheckAuthEvents rejects an event citing one that was.
type RejectedEvent interface {
	Rejected() bool
}

// CheckAuthEvents applies the rules on the event's own auth_events
// (authEvents holds the events its AuthEventIDs name, in any order): no two
// for one type and state_key, none the auth events selection would not
// pick, none from another room, none rejected (for events implementing
// RejectedEvent; the caller checks the others), and an m.room.create among
// them up to v11 while v12 must not cite it. An ID whose event was not
// supplied gives ErrMissingAuthEvent, every other failure a *RuleError.
//
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
// https://spec.matrix.org/latest/rooms/v11/#authorization-rules
func CheckAuthEvents(rules roomversion.Rules, ev event.PDU, authEvents []event.PDU) error {
	if ev.Type() == typeCreate {
		return nil
	}
	byID := make(map[string]event.PDU, len(authEvents))
	for _, a := range authEvents {
		if a != nil {
			byID[a.EventID()] = a
		}
	}
	expected := selection(rules, ev.Type(), ev.StateKey(), ev.Sender(), ev.Content())
	seen := make(map[StateKey]string, len(expected))
	for _, id := range ev.AuthEventIDs() {
		a, ok := byID[id]
		if !ok {
			return fmt.Errorf("%w: %s", ErrMissingAuthEvent, id)
		}
		sk := a.StateKey()
		if sk == nil {
			return reject(rules, RuleAuthEventsSelection, "auth event %s (%s) is not a state event", id, a.Type())
		}
		k := StateKey{a.Type(), *sk}
		if other, dup := seen[k]; dup {
			return reject(rules, RuleAuthEventsDuplicate, "auth events %s and %s are both (%s, %q)", other, id, k.Type, k.StateKey)
		}
		seen[k] = id
		if !containsKey(expected, k) {
			return reject(rules, RuleAuthEventsSelection, "auth event %s is (%s, %q)", id, k.Type, k.StateKey)
		}
		if r, ok := a.(RejectedEvent); ok && r.Rejected() {
			return reject(rules, RuleAuthEventsRejected, "auth event %s was rejected", id)
		}
	}
	if !rules.RoomIDFromCreateEvent {
		if _, ok := seen[StateKey{typeCreate, ""}]; !ok {
			return reject(rules, RuleAuthEventsCreate, "auth_events has no m.room.create")
		}
	}
	for _, id := range ev.AuthEventIDs() {
		if a := byID[id]; a.RoomID() != ev.RoomID() {
			return reject(rules, RuleAuthEventsRoomID, "auth event %s is in room %s, not %s", id, a.RoomID(), ev.RoomID())
		}
	}
	return nil
}

func containsKey(keys []StateKey, k StateKey) bool {
	for _, have := range keys {
		if have == k {
			return true
		}
	}
	return false
}
