package auth

import (
	"strings"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// Allowed applies the authorization rules of the room version to the event,
// given the state it is checked against (its auth events, the state before
// it, or the current state). It returns nil if the event is allowed, else a
// *RuleError wrapping ErrNotAllowed that names the rule.
//
// The checks on the event's own auth_events list (duplicates, selection,
// other rooms) are CheckAuthEvents. The state must hold the room's
// m.room.create event in every room version, including v12 where the event
// does not cite it.
//
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
// https://spec.matrix.org/latest/rooms/v1/#authorization-rules
func Allowed(rules roomversion.Rules, ev event.PDU, authState StateProvider) error {
	if ev.Type() == typeCreate {
		return checkCreate(rules, ev)
	}
	create := authState.StateEvent(typeCreate, "")
	if create == nil {
		if rules.RoomIDFromCreateEvent {
			return reject(rules, RuleRoomIDCreateEvent, "no m.room.create event in the state")
		}
		return reject(rules, RuleAuthEventsCreate, "no m.room.create event in the state")
	}
	if rules.RoomIDFromCreateEvent {
		if ev.RoomID() != roomIDOfCreate(create) {
			return reject(rules, RuleRoomIDCreateEvent, "room %s is not the room of create event %s", ev.RoomID(), create.EventID())
		}
		if r, ok := create.(RejectedEvent); ok && r.Rejected() {
			return reject(rules, RuleRoomIDCreateEvent, "create event %s was rejected", create.EventID())
		}
	}
	if !federates(create) && domainOf(ev.Sender()) != domainOf(create.Sender()) {
		return reject(rules, RuleFederate, "sender %s is not from the creator's server", ev.Sender())
	}
	if rules.SpecialCasedAliasesAuth && ev.Type() == typeAliases {
		return checkAliases(rules, ev)
	}
	c := &checker{rules: rules, ev: ev, state: authState, create: create}
	if ev.Type() == typeMember {
		return c.checkMember()
	}
	return c.checkNonMember()
}

// checkAliases is the m.room.aliases rule of versions 1-5: a server may
// publish its own aliases for the room whether or not its users are joined.
// https://spec.matrix.org/latest/rooms/v5/#authorization-rules
func checkAliases(rules roomversion.Rules, ev event.PDU) error {
	sk := ev.StateKey()
	if sk == nil {
		return reject(rules, RuleAliasesStateKey, "m.room.aliases without a state_key")
	}
	if domainOf(ev.Sender()) != *sk {
		return reject(rules, RuleAliasesSenderDomain, "state_key %q is not the domain of sender %s", *sk, ev.Sender())
	}
	return nil
}

// checkNonMember is the rules for every event but m.room.create,
// m.room.member and (v1-5) m.room.aliases.
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
func (c *checker) checkNonMember() error {
	rules, ev, sender := c.rules, c.ev, c.ev.Sender()
	if m := c.membership(sender); m != membershipJoin {
		return reject(rules, RuleSenderNotJoined, "%s has membership %q", sender, m)
	}
	if ev.Type() == typeThirdPartyInvite {
		pl, lv, err := c.userLevels(RuleThirdPartyInviteEventLevel, sender)
		if err != nil {
			return err
		}
		if lv[0] < pl.Invite() {
			return reject(rules, RuleThirdPartyInviteEventLevel, "%s has level %d, invite level is %d", sender, lv[0], pl.Invite())
		}
		return nil
	}
	pl, lv, err := c.userLevels(RuleRequiredPowerLevel, sender)
	if err != nil {
		return err
	}
	sk := ev.StateKey()
	if need := pl.EventLevel(ev.Type(), sk != nil); need > lv[0] {
		return reject(rules, RuleRequiredPowerLevel, "%s has level %d, %s needs %d", sender, lv[0], ev.Type(), need)
	}
	if sk != nil && strings.HasPrefix(*sk, "@") && *sk != sender {
		return reject(rules, RuleStateKeyUserID, "state_key %q is not the sender %s", *sk, sender)
	}
	if ev.Type() == typePowerLevels {
		return c.checkPowerLevels(pl, lv[0])
	}
	if rules.RedactionAuthByDomain && ev.Type() == typeRedaction {
		return c.checkRedaction(pl, lv[0])
	}
	return nil
}

// checkRedaction is the redaction rule of versions 1-2; later versions check
// redactions when serving the redacted event instead.
// https://spec.matrix.org/latest/rooms/v1/#authorization-rules
func (c *checker) checkRedaction(pl PowerLevels, senderLevel int64) error {
	if senderLevel >= pl.Redact() {
		return nil
	}
	redacts := c.ev.Redacts()
	if redacts != "" && domainOf(redacts) == domainOf(c.ev.EventID()) {
		return nil
	}
	return reject(c.rules, RuleRedaction, "%s has level %d, redact level is %d, and %q is from another server", c.ev.Sender(), senderLevel, pl.Redact(), redacts)
}
