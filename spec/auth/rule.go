package auth

import (
	"strconv"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// Rule names one rejecting rule of the authorization rules. The same rule
// has different numbers in different room versions (v1 has the
// m.room.aliases rule, v8 inserts the join_authorised_via_users_server rule,
// v12 inserts the room ID rule), so rules are identified by name and
// numbered per version by Number.
//
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
type Rule int

const (
	RuleCreatePrevEvents         Rule = iota + 1 // m.room.create has prev_events
	RuleCreateRoomIDDomain                       // m.room.create room_id domain differs from sender's (v1-11)
	RuleCreateRoomID                             // m.room.create has a room_id (v12)
	RuleCreateRoomVersion                        // m.room.create content.room_version unknown
	RuleCreateCreator                            // m.room.create has no content.creator (v1-10)
	RuleCreateAdditionalCreators                 // m.room.create additional_creators malformed (v12)

	RuleRoomIDCreateEvent // room_id is not the ID of an accepted m.room.create (v12)

	RuleAuthEventsDuplicate // two auth_events for one type and state_key
	RuleAuthEventsSelection // an auth_event the auth events selection does not pick
	RuleAuthEventsRejected  // an auth_event that was itself rejected
	RuleAuthEventsCreate    // no m.room.create among auth_events (v1-11)
	RuleAuthEventsRoomID    // an auth_event from another room

	RuleFederate // m.federate is false and the sender is from another server

	RuleAliasesStateKey     // m.room.aliases without state_key (v1-5)
	RuleAliasesSenderDomain // m.room.aliases state_key is not the sender's domain (v1-5)

	RuleMemberMalformed           // m.room.member without state_key or membership
	RuleMemberAuthorisedSignature // join_authorised_via_users_server server has not signed (v8+)

	RuleJoinSenderNotTarget // join for someone else
	RuleJoinBanned          // join by a banned user
	RuleJoinAuthorisingUser // restricted join authorised by a user who may not invite (v8+)
	RuleJoinOtherwise       // join not permitted by the join rule

	RuleThirdPartyInviteTargetBanned // third-party invite of a banned user
	RuleThirdPartyInviteSigned       // third_party_invite has no signed object
	RuleThirdPartyInviteMxidToken    // signed has no mxid or token
	RuleThirdPartyInviteMxid         // signed.mxid is not the state_key
	RuleThirdPartyInviteToken        // no m.room.third_party_invite for the token
	RuleThirdPartyInviteSender       // sender did not send the m.room.third_party_invite
	RuleThirdPartyInviteSignature    // no signature of signed matches a public key

	RuleInviteSenderNotJoined  // invite by a user who is not joined
	RuleInviteTargetMembership // invite of a joined or banned user
	RuleInviteLevel            // invite below the invite level

	RuleLeaveSelf            // leave by a user who is not invited, joined or knocking
	RuleLeaveSenderNotJoined // kick by a user who is not joined
	RuleLeaveUnbanLevel      // unban below the ban level
	RuleLeaveKick            // kick below the kick level or of an equal or higher user

	RuleBanSenderNotJoined // ban by a user who is not joined
	RuleBan                // ban below the ban level or of an equal or higher user

	RuleKnockJoinRule        // knock when the join rule does not allow it (v7+)
	RuleKnockSenderNotTarget // knock for someone else (v7+)
	RuleKnockMembership      // knock by a banned, invited or joined user (v7+)

	RuleMembershipUnknown // unknown membership value

	RuleSenderNotJoined            // sender is not joined
	RuleThirdPartyInviteEventLevel // m.room.third_party_invite below the invite level
	RuleRequiredPowerLevel         // sender below the event's required power level
	RuleStateKeyUserID             // state_key is another user's ID

	RulePowerLevelsIntegers     // top-level power levels are not integers (v10+)
	RulePowerLevelsMaps         // events or notifications are not maps of integers (v10+)
	RulePowerLevelsUsers        // users is not a map of user IDs to integers
	RulePowerLevelsValues       // a level is not an integer or integer string (v1-9)
	RulePowerLevelsCreators     // users lists a room creator (v12)
	RulePowerLevelsTopLevel     // a top-level level changed past the sender's level
	RulePowerLevelsMapRemoved   // an events or notifications entry changed from above the sender's level
	RulePowerLevelsMapAdded     // an events or notifications entry changed to above the sender's level
	RulePowerLevelsUsersRemoved // another user's level changed from at or above the sender's
	RulePowerLevelsUsersAdded   // a user's level changed to above the sender's

	RuleRedaction // redaction below the redact level of another server's event (v1-2)
)

var ruleNames = map[Rule]string{
	RuleCreatePrevEvents:             "m.room.create has prev_events",
	RuleCreateRoomIDDomain:           "m.room.create room_id domain differs from sender domain",
	RuleCreateRoomID:                 "m.room.create has a room_id",
	RuleCreateRoomVersion:            "m.room.create has an unrecognised room_version",
	RuleCreateCreator:                "m.room.create has no creator",
	RuleCreateAdditionalCreators:     "m.room.create has invalid additional_creators",
	RuleRoomIDCreateEvent:            "room_id is not an accepted m.room.create event",
	RuleAuthEventsDuplicate:          "duplicate auth_events entry",
	RuleAuthEventsSelection:          "auth_events entry not in the auth events selection",
	RuleAuthEventsRejected:           "auth_events entry was rejected",
	RuleAuthEventsCreate:             "no m.room.create in auth_events",
	RuleAuthEventsRoomID:             "auth_events entry from another room",
	RuleFederate:                     "room is not federated",
	RuleAliasesStateKey:              "m.room.aliases has no state_key",
	RuleAliasesSenderDomain:          "m.room.aliases state_key is not the sender domain",
	RuleMemberMalformed:              "m.room.member has no state_key or membership",
	RuleMemberAuthorisedSignature:    "join not signed by the authorising server",
	RuleJoinSenderNotTarget:          "join: sender is not state_key",
	RuleJoinBanned:                   "join: sender is banned",
	RuleJoinAuthorisingUser:          "join: authorising user cannot invite or is not joined",
	RuleJoinOtherwise:                "join: not allowed by the join rule",
	RuleThirdPartyInviteTargetBanned: "third-party invite: target is banned",
	RuleThirdPartyInviteSigned:       "third-party invite: no signed property",
	RuleThirdPartyInviteMxidToken:    "third-party invite: signed has no mxid or token",
	RuleThirdPartyInviteMxid:         "third-party invite: mxid is not state_key",
	RuleThirdPartyInviteToken:        "third-party invite: no m.room.third_party_invite for token",
	RuleThirdPartyInviteSender:       "third-party invite: sender did not send the m.room.third_party_invite",
	RuleThirdPartyInviteSignature:    "third-party invite: no valid signature",
	RuleInviteSenderNotJoined:        "invite: sender is not joined",
	RuleInviteTargetMembership:       "invite: target is joined or banned",
	RuleInviteLevel:                  "invite: sender is below the invite level",
	RuleLeaveSelf:                    "leave: sender is not invited, joined or knocking",
	RuleLeaveSenderNotJoined:         "leave: sender is not joined",
	RuleLeaveUnbanLevel:              "leave: sender is below the ban level to unban",
	RuleLeaveKick:                    "leave: sender cannot kick target",
	RuleBanSenderNotJoined:           "ban: sender is not joined",
	RuleBan:                          "ban: sender cannot ban target",
	RuleKnockJoinRule:                "knock: join rule does not allow knocking",
	RuleKnockSenderNotTarget:         "knock: sender is not state_key",
	RuleKnockMembership:              "knock: sender is banned, invited or joined",
	RuleMembershipUnknown:            "unknown membership",
	RuleSenderNotJoined:              "sender is not joined",
	RuleThirdPartyInviteEventLevel:   "m.room.third_party_invite: sender is below the invite level",
	RuleRequiredPowerLevel:           "sender is below the required power level",
	RuleStateKeyUserID:               "state_key is another user's ID",
	RulePowerLevelsIntegers:          "power levels: top-level values are not integers",
	RulePowerLevelsMaps:              "power levels: events or notifications are not maps of integers",
	RulePowerLevelsUsers:             "power levels: users is not a map of user IDs to integers",
	RulePowerLevelsValues:            "power levels: value is not an integer",
	RulePowerLevelsCreators:          "power levels: users contains a room creator",
	RulePowerLevelsTopLevel:          "power levels: top-level level changed beyond sender level",
	RulePowerLevelsMapRemoved:        "power levels: entry changed from above sender level",
	RulePowerLevelsMapAdded:          "power levels: entry changed to above sender level",
	RulePowerLevelsUsersRemoved:      "power levels: user level changed from at or above sender level",
	RulePowerLevelsUsersAdded:        "power levels: user level changed to above sender level",
	RuleRedaction:                    "redaction: sender is below the redact level",
}

func (r Rule) String() string {
	if s, ok := ruleNames[r]; ok {
		return s
	}
	return "rule " + strconv.Itoa(int(r))
}

// Number is the rule's number on the spec page of the given room version,
// such as "5.3.3" for a banned user's join in room version 8.
func (r Rule) Number(rules roomversion.Rules) string {
	s := sections(rules)
	n := func(parts ...int) string {
		out := ""
		for i, p := range parts {
			if i > 0 {
				out += "."
			}
			out += strconv.Itoa(p)
		}
		return out
	}
	// Within the membership rule, v8 inserts the join_authorised_via_users_server
	// rule as x.2 and v7 the knock rule before "unknown membership".
	a := 0
	if rules.RestrictedJoinRule {
		a = 1
	}
	knock := 0
	if rules.KnockJoinRule {
		knock = 1
	}
	// Within the power levels rule, v10 inserts two validity rules and v12 the
	// creators rule.
	p := 0
	if rules.IntegerPowerLevels {
		p = 2
	}
	c := 0
	if rules.PrivilegedCreators {
		c = 1
	}
	switch r {
	case RuleCreatePrevEvents:
		return n(1, 1)
	case RuleCreateRoomIDDomain, RuleCreateRoomID:
		return n(1, 2)
	case RuleCreateRoomVersion:
		return n(1, 3)
	case RuleCreateCreator, RuleCreateAdditionalCreators:
		return n(1, 4)
	case RuleRoomIDCreateEvent:
		return n(2)
	case RuleAuthEventsDuplicate:
		return n(s.authEvents, 1)
	case RuleAuthEventsSelection:
		return n(s.authEvents, 2)
	case RuleAuthEventsRejected:
		return n(s.authEvents, 3)
	case RuleAuthEventsCreate:
		return n(s.authEvents, 4)
	case RuleAuthEventsRoomID:
		return n(s.authEvents, 5)
	case RuleFederate:
		return n(s.federate)
	case RuleAliasesStateKey:
		return n(s.aliases, 1)
	case RuleAliasesSenderDomain:
		return n(s.aliases, 2)
	case RuleMemberMalformed:
		return n(s.member, 1)
	case RuleMemberAuthorisedSignature:
		return n(s.member, 2, 1)
	case RuleJoinSenderNotTarget:
		return n(s.member, 2+a, 2)
	case RuleJoinBanned:
		return n(s.member, 2+a, 3)
	case RuleJoinAuthorisingUser:
		return n(s.member, 2+a, 5, 2)
	case RuleJoinOtherwise:
		// v8 also inserts the restricted rule as join rule 5.
		return n(s.member, 2+a, 6+a)
	case RuleThirdPartyInviteTargetBanned:
		return n(s.member, 3+a, 1, 1)
	case RuleThirdPartyInviteSigned:
		return n(s.member, 3+a, 1, 2)
	case RuleThirdPartyInviteMxidToken:
		return n(s.member, 3+a, 1, 3)
	case RuleThirdPartyInviteMxid:
		return n(s.member, 3+a, 1, 4)
	case RuleThirdPartyInviteToken:
		return n(s.member, 3+a, 1, 5)
	case RuleThirdPartyInviteSender:
		return n(s.member, 3+a, 1, 6)
	case RuleThirdPartyInviteSignature:
		return n(s.member, 3+a, 1, 8)
	case RuleInviteSenderNotJoined:
		return n(s.member, 3+a, 2)
	case RuleInviteTargetMembership:
		return n(s.member, 3+a, 3)
	case RuleInviteLevel:
		return n(s.member, 3+a, 5)
	case RuleLeaveSelf:
		return n(s.member, 4+a, 1)
	case RuleLeaveSenderNotJoined:
		return n(s.member, 4+a, 2)
	case RuleLeaveUnbanLevel:
		return n(s.member, 4+a, 3)
	case RuleLeaveKick:
		return n(s.member, 4+a, 5)
	case RuleBanSenderNotJoined:
		return n(s.member, 5+a, 1)
	case RuleBan:
		return n(s.member, 5+a, 3)
	case RuleKnockJoinRule:
		return n(s.member, 6+a, 1)
	case RuleKnockSenderNotTarget:
		return n(s.member, 6+a, 2)
	case RuleKnockMembership:
		return n(s.member, 6+a, 4)
	case RuleMembershipUnknown:
		return n(s.member, 6+a+knock)
	case RuleSenderNotJoined:
		return n(s.senderJoined)
	case RuleThirdPartyInviteEventLevel:
		return n(s.thirdPartyInvite, 1)
	case RuleRequiredPowerLevel:
		return n(s.requiredLevel)
	case RuleStateKeyUserID:
		return n(s.stateKey)
	case RulePowerLevelsIntegers:
		return n(s.powerLevels, 1)
	case RulePowerLevelsMaps:
		return n(s.powerLevels, 2)
	case RulePowerLevelsUsers:
		return n(s.powerLevels, 1+p)
	case RulePowerLevelsValues:
		// The stringy and floaty value formats of v1-9 are described outside
		// the numbered rules, so the power levels rule as a whole is cited.
		return n(s.powerLevels)
	case RulePowerLevelsCreators:
		return n(s.powerLevels, 4)
	case RulePowerLevelsTopLevel:
		return n(s.powerLevels, 3+p+c)
	case RulePowerLevelsMapRemoved:
		return n(s.powerLevels, 4+p+c)
	case RulePowerLevelsMapAdded:
		return n(s.powerLevels, 5+p+c)
	case RulePowerLevelsUsersRemoved:
		return n(s.powerLevels, 6+p+c)
	case RulePowerLevelsUsersAdded:
		return n(s.powerLevels, 7+p+c)
	case RuleRedaction:
		return n(s.redaction, 3)
	}
	return "?"
}

// ruleSections are the top-level rule numbers of one room version.
type ruleSections struct {
	authEvents, federate, aliases, member, senderJoined, thirdPartyInvite,
	requiredLevel, stateKey, powerLevels, redaction int
}

func sections(rules roomversion.Rules) ruleSections {
	var s ruleSections
	next := 2
	if rules.RoomIDFromCreateEvent {
		next++ // v12 rule 2: the room ID names the create event
	}
	s.authEvents, next = next, next+1
	s.federate, next = next, next+1
	if rules.SpecialCasedAliasesAuth {
		s.aliases, next = next, next+1
	}
	s.member, next = next, next+1
	s.senderJoined, next = next, next+1
	s.thirdPartyInvite, next = next, next+1
	s.requiredLevel, next = next, next+1
	s.stateKey, next = next, next+1
	s.powerLevels, next = next, next+1
	if rules.RedactionAuthByDomain {
		s.redaction = next
	}
	return s
}
