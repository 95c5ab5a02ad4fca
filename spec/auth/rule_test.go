package auth

import (
	"strings"
	"testing"
)

// TestRuleNumbersFollowTheSpecPages checks the numbers errors cite against
// the numbering of each version's authorization rules page.
func TestRuleNumbersFollowTheSpecPages(t *testing.T) {
	tests := []struct {
		rule     Rule
		versions string
		want     string
	}{
		{RuleCreatePrevEvents, "1-12", "1.1"},
		{RuleCreateRoomIDDomain, "1-11", "1.2"},
		{RuleCreateRoomID, "12", "1.2"},
		{RuleCreateCreator, "1-10", "1.4"},
		{RuleCreateAdditionalCreators, "12", "1.4"},
		{RuleRoomIDCreateEvent, "12", "2"},
		{RuleAuthEventsDuplicate, "1-11", "2.1"},
		{RuleAuthEventsCreate, "1-11", "2.4"},
		{RuleAuthEventsSelection, "12", "3.2"},
		{RuleAuthEventsRoomID, "12", "3.5"},
		{RuleFederate, "1-11", "3"},
		{RuleFederate, "12", "4"},
		{RuleAliasesSenderDomain, "1-5", "4.2"},
		{RuleMemberMalformed, "1-5", "5.1"},
		{RuleMemberMalformed, "6-11", "4.1"},
		{RuleMemberMalformed, "12", "5.1"},
		{RuleMemberAuthorisedSignature, "8-11", "4.2.1"},
		{RuleJoinBanned, "1-5", "5.2.3"},
		{RuleJoinBanned, "6-7", "4.2.3"},
		{RuleJoinBanned, "8-11", "4.3.3"},
		{RuleJoinBanned, "12", "5.3.3"},
		{RuleJoinAuthorisingUser, "8-11", "4.3.5.2"},
		{RuleJoinOtherwise, "1-5", "5.2.6"},
		{RuleJoinOtherwise, "6-7", "4.2.6"},
		{RuleJoinOtherwise, "8-11", "4.3.7"},
		{RuleThirdPartyInviteSignature, "1-5", "5.3.1.8"},
		{RuleThirdPartyInviteSignature, "12", "5.4.1.8"},
		{RuleInviteLevel, "6-7", "4.3.5"},
		{RuleLeaveSelf, "1-5", "5.4.1"},
		{RuleLeaveKick, "8-11", "4.5.5"},
		{RuleBan, "1-5", "5.5.3"},
		{RuleBan, "12", "5.6.3"},
		{RuleKnockJoinRule, "7", "4.6.1"},
		{RuleKnockMembership, "8-11", "4.7.4"},
		{RuleMembershipUnknown, "1-5", "5.6"},
		{RuleMembershipUnknown, "6", "4.6"},
		{RuleMembershipUnknown, "7", "4.7"},
		{RuleMembershipUnknown, "8-11", "4.8"},
		{RuleMembershipUnknown, "12", "5.8"},
		{RuleSenderNotJoined, "1-5", "6"},
		{RuleSenderNotJoined, "6-11", "5"},
		{RuleSenderNotJoined, "12", "6"},
		{RuleThirdPartyInviteEventLevel, "1-5", "7.1"},
		{RuleRequiredPowerLevel, "6-11", "7"},
		{RuleStateKeyUserID, "1-5", "9"},
		{RuleStateKeyUserID, "12", "9"},
		{RulePowerLevelsUsers, "1-5", "10.1"},
		{RulePowerLevelsUsers, "6-9", "9.1"},
		{RulePowerLevelsUsers, "10-11", "9.3"},
		{RulePowerLevelsUsers, "12", "10.3"},
		{RulePowerLevelsIntegers, "10-11", "9.1"},
		{RulePowerLevelsMaps, "12", "10.2"},
		{RulePowerLevelsCreators, "12", "10.4"},
		{RulePowerLevelsTopLevel, "1-5", "10.3"},
		{RulePowerLevelsTopLevel, "6-9", "9.3"},
		{RulePowerLevelsTopLevel, "10-11", "9.5"},
		{RulePowerLevelsTopLevel, "12", "10.6"},
		{RulePowerLevelsMapRemoved, "10-11", "9.6"},
		{RulePowerLevelsMapAdded, "1-5", "10.5"},
		{RulePowerLevelsUsersRemoved, "12", "10.9"},
		{RulePowerLevelsUsersAdded, "6-9", "9.7"},
		{RulePowerLevelsUsersAdded, "12", "10.10"},
		{RuleRedaction, "1-2", "11.3"},
	}
	for _, tc := range tests {
		for _, v := range versionRange(t, tc.versions) {
			if got := tc.rule.Number(mustRules(t, v)); got != tc.want {
				t.Errorf("v%s %q: got %s, want %s", v, tc.rule, got, tc.want)
			}
		}
	}
}

func TestEveryRuleHasAName(t *testing.T) {
	for r := RuleCreatePrevEvents; r <= RuleRedaction; r++ {
		if strings.HasPrefix(r.String(), "rule ") {
			t.Errorf("rule %d has no name", r)
		}
	}
}
