package pushrules

import (
	"encoding/json"
	"testing"
)

func TestDefaultRulesetMatchesTheSpecDefinitions(t *testing.T) {
	got, err := json.Marshal(DefaultRuleset(alice))
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, got, readTestdata(t, "default_ruleset.json"))
}

func TestDefaultRulesetRoundTripsThroughJSON(t *testing.T) {
	rs := DefaultRuleset(alice)
	data, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	var back Ruleset
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("round trip changed the ruleset\nfirst:  %s\nsecond: %s", data, again)
	}
}

func TestDefaultRulesetHasNoLegacyMentionRules(t *testing.T) {
	rs := DefaultRuleset(alice)
	for _, tt := range []struct {
		kind Kind
		id   string
	}{
		{KindOverride, RuleContainsDisplayName},
		{KindOverride, RuleRoomNotif},
		{KindContent, RuleContainsUserName},
	} {
		if _, ok := rs.Find(tt.kind, tt.id); ok {
			t.Errorf("the defaults still have %s, which v1.17 removed", tt.id)
		}
	}
	if len(rs.Content) != 0 {
		t.Errorf("content rules = %v, want none", rs.Content)
	}
}

// outcome is what evaluation decided for one user and one event.
type outcome struct {
	rule      string // "" when no rule matched
	notify    bool
	highlight bool
	sound     string
}

func TestDefaultRulesDecideNotificationsAsTheSpecDescribes(t *testing.T) {
	group := Context{UserID: alice, DisplayName: "Alice", RoomMemberCount: 10,
		NotificationPowerLevels: map[string]int64{"room": 50}}
	dm := group
	dm.RoomMemberCount = 2
	moderator := group
	moderator.SenderPowerLevel = 50
	weak := group
	weak.SenderPowerLevel = 49
	weakInOpenRoom := weak
	weakInOpenRoom.NotificationPowerLevels = map[string]int64{"room": 0}
	weakWithoutLevels := weak
	weakWithoutLevels.NotificationPowerLevels = nil
	nicknamed := group
	nicknamed.DisplayName = "Ally"

	current := DefaultRuleset(alice)
	masterOn, err := SetEnabled(current, KindOverride, RuleMaster, true)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		event string
		rules Ruleset
		ctx   Context
		want  outcome
	}{
		{"a message in a DM notifies with sound", "message", current, dm,
			outcome{RuleRoomOneToOne, true, false, "default"}},
		{"a message in a group room notifies silently", "message", current, group,
			outcome{RuleMessage, true, false, ""}},
		{"a notice is suppressed", "notice", current, dm,
			outcome{RuleSuppressNotices, false, false, ""}},
		{"an edit is suppressed even in a DM", "edit", current, dm,
			outcome{RuleSuppressEdits, false, false, ""}},
		{"a reaction is suppressed", "reaction", current, dm,
			outcome{RuleReaction, false, false, ""}},
		{"an invite to the user notifies with sound", "invite_alice", current, group,
			outcome{RuleInviteForMe, true, false, "default"}},
		{"an invite to someone else is a silent member event", "invite_carol", current, group,
			outcome{RuleMemberEvent, false, false, ""}},
		{"a tombstone notifies and highlights", "tombstone", current, group,
			outcome{RuleTombstone, true, true, ""}},
		{"a server ACL change is suppressed", "server_acl", current, group,
			outcome{RuleServerACL, false, false, ""}},
		{"an encrypted event in a DM notifies with sound", "encrypted", current, dm,
			outcome{RuleEncryptedRoomOneToOne, true, false, "default"}},
		{"an encrypted event in a group room notifies silently", "encrypted", current, group,
			outcome{RuleEncrypted, true, false, ""}},
		{"a call invite rings", "call_invite", current, group,
			outcome{RuleCall, true, false, "ring"}},
		{"an intentional mention highlights with sound", "user_mention", current, group,
			outcome{RuleIsUserMention, true, true, "default"}},
		{"a room mention from a moderator highlights", "room_mention", current, moderator,
			outcome{RuleIsRoomMention, true, true, ""}},
		{"a room mention without permission is a plain message", "room_mention", current, weak,
			outcome{RuleMessage, true, false, ""}},
		{"a room mention highlights where the room lets anyone use it", "room_mention", current, weakInOpenRoom,
			outcome{RuleIsRoomMention, true, true, ""}},
		{"a room mention needs power 50 when the room sets no level", "room_mention", current, weakWithoutLevels,
			outcome{RuleMessage, true, false, ""}},
		{"a topic change matches no rule", "topic", current, group,
			outcome{}},
		{"the user's own mention of themselves matches nothing", "own_message", current, dm,
			outcome{}},
		{"the display name in the body no longer highlights by default", "legacy_display_name", current, group,
			outcome{RuleMessage, true, false, ""}},
		{"the master rule silences everything once enabled", "user_mention", masterOn, group,
			outcome{RuleMaster, false, false, ""}},

		{"the localpart in the body no longer highlights", "legacy_user_name", current, nicknamed,
			outcome{RuleMessage, true, false, ""}},
		{"@room in the body from a moderator is a plain message", "legacy_room_mention", current, moderator,
			outcome{RuleMessage, true, false, ""}},
		{"m.mentions naming someone else is a plain message", "other_user_mention", current, group,
			outcome{RuleMessage, true, false, ""}},
		{"a notice naming the user is still suppressed", "notice", current, group,
			outcome{RuleSuppressNotices, false, false, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, actions := eventEvaluator(t, tt.event).Evaluate(tt.rules, tt.ctx)
			got := outcome{notify: actions.Notify(), highlight: actions.Highlight(), sound: actions.Sound()}
			if rule != nil {
				got.rule = rule.RuleID
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
