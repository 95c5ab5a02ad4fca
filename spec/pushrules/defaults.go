package pushrules

// The IDs of the server-default rules.
//
// https://spec.matrix.org/latest/client-server-api/#predefined-rules
const (
	RuleMaster                = ".m.rule.master"
	RuleSuppressNotices       = ".m.rule.suppress_notices"
	RuleInviteForMe           = ".m.rule.invite_for_me"
	RuleMemberEvent           = ".m.rule.member_event"
	RuleIsUserMention         = ".m.rule.is_user_mention"
	RuleIsRoomMention         = ".m.rule.is_room_mention"
	RuleTombstone             = ".m.rule.tombstone"
	RuleReaction              = ".m.rule.reaction"
	RuleServerACL             = ".m.rule.room.server_acl"
	RuleSuppressEdits         = ".m.rule.suppress_edits"
	RuleCall                  = ".m.rule.call"
	RuleEncryptedRoomOneToOne = ".m.rule.encrypted_room_one_to_one"
	RuleRoomOneToOne          = ".m.rule.room_one_to_one"
	RuleMessage               = ".m.rule.message"
	RuleEncrypted             = ".m.rule.encrypted"
)

// The IDs of the body-based mention rules that v1.17 removed from the
// server-default rules. A user's stored setting for one of them names no
// rule any more: Merge drops it.
//
// https://spec.matrix.org/v1.17/client-server-api/#predefined-rules
const (
	RuleContainsDisplayName = ".m.rule.contains_display_name"
	RuleRoomNotif           = ".m.rule.roomnotif"
	RuleContainsUserName    = ".m.rule.contains_user_name"
)

// DefaultRuleset returns the server-default rules for a user, in the order
// the current spec lists them. Since v1.17 these no longer include the
// legacy rules that looked for mentions in the body
// (.m.rule.contains_display_name, .m.rule.roomnotif and
// .m.rule.contains_user_name); mentions are m.mentions only.
//
// https://spec.matrix.org/latest/client-server-api/#predefined-rules
func DefaultRuleset(userID string) Ruleset {
	return Ruleset{
		Override: []Rule{
			masterRule(),
			suppressNoticesRule(),
			inviteForMeRule(userID),
			memberEventRule(),
			isUserMentionRule(userID),
			isRoomMentionRule(),
			tombstoneRule(),
			reactionRule(),
			serverACLRule(),
			suppressEditsRule(),
		},
		Content:   []Rule{},
		Room:      []Rule{},
		Sender:    []Rule{},
		Underride: defaultUnderride(),
	}
}

func defaultUnderride() []Rule {
	return []Rule{
		defaultRule(RuleCall,
			Actions{Notify(), SoundTweak("ring")},
			eventMatch("type", "m.call.invite")),
		defaultRule(RuleEncryptedRoomOneToOne,
			Actions{Notify(), SoundTweak("default")},
			memberCount("2"), eventMatch("type", "m.room.encrypted")),
		defaultRule(RuleRoomOneToOne,
			Actions{Notify(), SoundTweak("default")},
			memberCount("2"), eventMatch("type", "m.room.message")),
		defaultRule(RuleMessage,
			Actions{Notify()},
			eventMatch("type", "m.room.message")),
		defaultRule(RuleEncrypted,
			Actions{Notify()},
			eventMatch("type", "m.room.encrypted")),
	}
}

func masterRule() Rule {
	r := defaultRule(RuleMaster, Actions{})
	r.Enabled = false
	return r
}

func suppressNoticesRule() Rule {
	return defaultRule(RuleSuppressNotices, Actions{},
		eventMatch("content.msgtype", "m.notice"))
}

func inviteForMeRule(userID string) Rule {
	return defaultRule(RuleInviteForMe,
		Actions{Notify(), SoundTweak("default")},
		eventMatch("type", "m.room.member"),
		eventMatch("content.membership", "invite"),
		eventMatch("state_key", userID))
}

func memberEventRule() Rule {
	return defaultRule(RuleMemberEvent, Actions{},
		eventMatch("type", "m.room.member"))
}

func isUserMentionRule(userID string) Rule {
	return defaultRule(RuleIsUserMention,
		Actions{Notify(), SoundTweak("default"), HighlightTweak()},
		Condition{Kind: ConditionEventPropertyContains, Key: `content.m\.mentions.user_ids`, Value: StringValue(userID)})
}

func isRoomMentionRule() Rule {
	return defaultRule(RuleIsRoomMention,
		Actions{Notify(), HighlightTweak()},
		Condition{Kind: ConditionEventPropertyIs, Key: `content.m\.mentions.room`, Value: BoolValue(true)},
		Condition{Kind: ConditionSenderNotificationPermission, Key: "room"})
}

func tombstoneRule() Rule {
	return defaultRule(RuleTombstone,
		Actions{Notify(), HighlightTweak()},
		eventMatch("type", "m.room.tombstone"),
		eventMatch("state_key", ""))
}

func reactionRule() Rule {
	return defaultRule(RuleReaction, Actions{},
		eventMatch("type", "m.reaction"))
}

func serverACLRule() Rule {
	return defaultRule(RuleServerACL, Actions{},
		eventMatch("type", "m.room.server_acl"),
		eventMatch("state_key", ""))
}

func suppressEditsRule() Rule {
	return defaultRule(RuleSuppressEdits, Actions{},
		Condition{Kind: ConditionEventPropertyIs, Key: `content.m\.relates_to.rel_type`, Value: StringValue("m.replace")})
}

func defaultRule(id string, actions Actions, conditions ...Condition) Rule {
	if conditions == nil {
		conditions = []Condition{}
	}
	return Rule{RuleID: id, Default: true, Enabled: true, Conditions: conditions, Actions: actions}
}

func eventMatch(key, pattern string) Condition {
	return Condition{Kind: ConditionEventMatch, Key: key, Pattern: pattern}
}

func memberCount(is string) Condition {
	return Condition{Kind: ConditionRoomMemberCount, Is: is}
}
