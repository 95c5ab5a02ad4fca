package auth

import (
	"encoding/json"
)

// checkMember is the m.room.member rule: who may join, invite, leave, kick,
// ban, unban and knock.
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
// https://spec.matrix.org/latest/rooms/v1/#authorization-rules
func (c *checker) checkMember() error {
	rules, ev := c.rules, c.ev
	sk := ev.StateKey()
	content, isObject := object(ev.Content())
	membership, hasMembership := stringMember(content, "membership")
	if sk == nil || !isObject || !hasMembership {
		return reject(rules, RuleMemberMalformed, "no state_key or no string membership")
	}
	if raw, has := content[keyAuthorisingUser]; has && rules.RestrictedJoinRule {
		// Verifying the signature itself is the signature check on receipt,
		// which must include this server (see RequiredSigners); the rules
		// make sure there is a signature to verify.
		user, ok := asString(raw)
		if !ok {
			return reject(rules, RuleMemberAuthorisedSignature, "%s is not a string", keyAuthorisingUser)
		}
		if server := domainOf(user); server == "" || !signedBy(ev, server) {
			return reject(rules, RuleMemberAuthorisedSignature, "not signed by the server of %s", user)
		}
	}
	target := *sk
	switch {
	case membership == membershipJoin:
		return c.checkJoin(content, target)
	case membership == membershipInvite:
		if raw, has := content["third_party_invite"]; has {
			return c.checkThirdPartyInvite(raw, target)
		}
		return c.checkInvite(target)
	case membership == membershipLeave:
		return c.checkLeave(target)
	case membership == membershipBan:
		return c.checkBan(target)
	case membership == membershipKnock && rules.KnockJoinRule:
		return c.checkKnock(target)
	}
	return reject(rules, RuleMembershipUnknown, "membership %q", membership)
}

// checkJoin is the membership=join rule.
func (c *checker) checkJoin(content map[string]json.RawMessage, target string) error {
	rules, sender := c.rules, c.ev.Sender()
	// The creator's own join, the room's second event, is what lets anyone
	// in at all.
	if prev := c.ev.PrevEventIDs(); len(prev) == 1 && prev[0] == c.create.EventID() {
		if creators := RoomCreators(rules, c.create); len(creators) > 0 && creators[0] == target {
			return nil
		}
	}
	if sender != target {
		return reject(rules, RuleJoinSenderNotTarget, "%s cannot join %s", sender, target)
	}
	current := c.membership(sender)
	if current == membershipBan {
		return reject(rules, RuleJoinBanned, "%s is banned", sender)
	}
	joinRule := c.joinRule()
	switch {
	case joinRule == joinRuleInvite || joinRule == joinRuleKnock && rules.KnockJoinRule:
		if current == membershipInvite || current == membershipJoin {
			return nil
		}
		return reject(rules, RuleJoinOtherwise, "join rule %q and %s has membership %q", joinRule, sender, current)
	case joinRule == joinRuleRestricted && rules.RestrictedJoinRule,
		joinRule == joinRuleKnockRestricted && rules.KnockRestrictedJoinRule:
		if current == membershipInvite || current == membershipJoin {
			return nil
		}
		return c.checkAuthorisingUser(content, joinRule)
	case joinRule == joinRulePublic:
		return nil
	}
	return reject(rules, RuleJoinOtherwise, "join rule %q and %s has membership %q", joinRule, sender, current)
}

// checkAuthorisingUser is the restricted join rule: a joined user who may
// invite vouches, through join_authorised_via_users_server, that the joining
// user meets the allow conditions.
// https://spec.matrix.org/latest/client-server-api/#restricted-rooms
func (c *checker) checkAuthorisingUser(content map[string]json.RawMessage, joinRule string) error {
	rules := c.rules
	user, ok := stringMember(content, keyAuthorisingUser)
	if !ok {
		return reject(rules, RuleJoinAuthorisingUser, "join rule %q and no %s", joinRule, keyAuthorisingUser)
	}
	if m := c.membership(user); m != membershipJoin {
		return reject(rules, RuleJoinAuthorisingUser, "authorising user %s has membership %q", user, m)
	}
	pl, lv, err := c.userLevels(RuleJoinAuthorisingUser, user)
	if err != nil {
		return err
	}
	if lv[0] < pl.Invite() {
		return reject(rules, RuleJoinAuthorisingUser, "authorising user %s has level %d, invite level is %d", user, lv[0], pl.Invite())
	}
	return nil
}

// checkInvite is the membership=invite rule without a third-party invite.
func (c *checker) checkInvite(target string) error {
	rules, sender := c.rules, c.ev.Sender()
	if m := c.membership(sender); m != membershipJoin {
		return reject(rules, RuleInviteSenderNotJoined, "%s has membership %q", sender, m)
	}
	if m := c.membership(target); m == membershipJoin || m == membershipBan {
		return reject(rules, RuleInviteTargetMembership, "%s has membership %q", target, m)
	}
	pl, lv, err := c.userLevels(RuleInviteLevel, sender)
	if err != nil {
		return err
	}
	if lv[0] < pl.Invite() {
		return reject(rules, RuleInviteLevel, "%s has level %d, invite level is %d", sender, lv[0], pl.Invite())
	}
	return nil
}

// checkLeave is the membership=leave rule: leaving, rejecting an invite,
// retracting a knock, kicking and unbanning.
func (c *checker) checkLeave(target string) error {
	rules, sender := c.rules, c.ev.Sender()
	if sender == target {
		m := c.membership(sender)
		if m == membershipInvite || m == membershipJoin || m == membershipKnock && rules.KnockJoinRule {
			return nil
		}
		return reject(rules, RuleLeaveSelf, "%s has membership %q", sender, m)
	}
	if m := c.membership(sender); m != membershipJoin {
		return reject(rules, RuleLeaveSenderNotJoined, "%s has membership %q", sender, m)
	}
	pl, lv, err := c.userLevels(RuleLeaveKick, sender, target)
	if err != nil {
		return err
	}
	if c.membership(target) == membershipBan && lv[0] < pl.Ban() {
		return reject(rules, RuleLeaveUnbanLevel, "%s has level %d, ban level is %d", sender, lv[0], pl.Ban())
	}
	if lv[0] >= pl.Kick() && lv[1] < lv[0] {
		return nil
	}
	return reject(rules, RuleLeaveKick, "%s has level %d, kick level is %d, %s has level %d", sender, lv[0], pl.Kick(), target, lv[1])
}

// checkBan is the membership=ban rule.
func (c *checker) checkBan(target string) error {
	rules, sender := c.rules, c.ev.Sender()
	if m := c.membership(sender); m != membershipJoin {
		return reject(rules, RuleBanSenderNotJoined, "%s has membership %q", sender, m)
	}
	pl, lv, err := c.userLevels(RuleBan, sender, target)
	if err != nil {
		return err
	}
	if lv[0] >= pl.Ban() && lv[1] < lv[0] {
		return nil
	}
	return reject(rules, RuleBan, "%s has level %d, ban level is %d, %s has level %d", sender, lv[0], pl.Ban(), target, lv[1])
}

// checkKnock is the membership=knock rule (v7+).
func (c *checker) checkKnock(target string) error {
	rules, sender := c.rules, c.ev.Sender()
	joinRule := c.joinRule()
	if joinRule != joinRuleKnock && (joinRule != joinRuleKnockRestricted || !rules.KnockRestrictedJoinRule) {
		return reject(rules, RuleKnockJoinRule, "join rule %q", joinRule)
	}
	if sender != target {
		return reject(rules, RuleKnockSenderNotTarget, "%s cannot knock for %s", sender, target)
	}
	if m := c.membership(sender); m == membershipBan || m == membershipInvite || m == membershipJoin {
		return reject(rules, RuleKnockMembership, "%s has membership %q", sender, m)
	}
	return nil
}
