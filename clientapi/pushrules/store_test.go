package pushrules

import (
	"testing"

	"github.com/ocomms/ocomms/spec/pushrules"
)

// A row written before v1.17 can hold settings for the body-based mention
// rules the spec removed; reading it must neither fail nor bring them back.
func TestStoredSettingsForRemovedDefaultRulesAreIgnored(t *testing.T) {
	const alice = "@alice:example.org"
	stored := `{
		"override": [
			{"rule_id": ".m.rule.contains_display_name", "default": true, "enabled": false, "actions": []},
			{"rule_id": ".m.rule.roomnotif", "default": true, "enabled": true, "actions": ["notify"]},
			{"rule_id": ".m.rule.suppress_notices", "default": true, "enabled": false, "actions": []}
		],
		"content": [
			{"rule_id": ".m.rule.contains_user_name", "default": true, "enabled": false, "actions": []},
			{"rule_id": "cake", "default": false, "enabled": true, "pattern": "cake", "actions": ["notify"]}
		]
	}`
	rs, err := merged(alice, stored)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		kind    pushrules.Kind
		id      string
		present bool
	}{
		{pushrules.KindOverride, pushrules.RuleContainsDisplayName, false},
		{pushrules.KindOverride, pushrules.RuleRoomNotif, false},
		{pushrules.KindContent, pushrules.RuleContainsUserName, false},
		{pushrules.KindOverride, pushrules.RuleSuppressNotices, true},
		{pushrules.KindContent, "cake", true},
	} {
		if _, ok := rs.Find(tt.kind, tt.id); ok != tt.present {
			t.Errorf("%s present = %v, want %v", tt.id, ok, tt.present)
		}
	}
	if r, _ := rs.Find(pushrules.KindOverride, pushrules.RuleSuppressNotices); r.Enabled {
		t.Errorf("the user's setting for a current default rule was lost")
	}
	// What the next edit stores no longer mentions the removed rules.
	kept := pushrules.Customisations(defaults(alice), rs)
	if len(kept.Override) != 1 || kept.Override[0].RuleID != pushrules.RuleSuppressNotices ||
		len(kept.Content) != 1 || kept.Content[0].RuleID != "cake" {
		t.Errorf("customisations = %+v", kept)
	}
}
