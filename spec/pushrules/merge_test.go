package pushrules

import (
	"encoding/json"
	"reflect"
	"testing"
)

func ruleIDs(rules []Rule) []string {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.RuleID
	}
	return ids
}

func marshalRuleset(t *testing.T, rs Ruleset) []byte {
	t.Helper()
	data, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestMergeWithNothingStoredIsTheDefaults(t *testing.T) {
	defaults := DefaultRuleset(alice)
	assertSameJSON(t, marshalRuleset(t, Merge(defaults, Ruleset{})), marshalRuleset(t, defaults))
}

func TestMergePutsUserRulesAfterMasterAndBeforeDefaults(t *testing.T) {
	user := Ruleset{Override: []Rule{
		{RuleID: "first", Enabled: true, Conditions: []Condition{}, Actions: Actions{Notify()}},
		{RuleID: "second", Enabled: true, Conditions: []Condition{}, Actions: Actions{}},
	}}
	merged := Merge(DefaultRuleset(alice), user)
	got := ruleIDs(merged.Override)[:4]
	want := []string{RuleMaster, "first", "second", RuleSuppressNotices}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("override starts %v, want %v", got, want)
	}
	for _, r := range merged.Override {
		if r.Default != IsServerDefault(r.RuleID) {
			t.Errorf("rule %s has default=%v", r.RuleID, r.Default)
		}
	}
}

func TestMergeAppliesStoredSettingsOfDefaultRules(t *testing.T) {
	user := Ruleset{
		Override:  []Rule{{RuleID: RuleSuppressNotices, Default: true, Enabled: false, Actions: Actions{}}},
		Underride: []Rule{{RuleID: RuleMessage, Default: true, Enabled: true, Actions: Actions{}}},
	}
	merged := Merge(DefaultRuleset(alice), user)

	notices, _ := merged.Find(KindOverride, RuleSuppressNotices)
	if notices.Enabled || len(notices.Conditions) != 1 {
		t.Errorf("suppress_notices = %+v, want disabled with its default condition", notices)
	}
	message, _ := merged.Find(KindUnderride, RuleMessage)
	if !message.Enabled || message.Actions.Notify() {
		t.Errorf("message = %+v, want enabled without notify", message)
	}
	rule, actions := eventEvaluator(t, "message").Evaluate(merged, Context{UserID: alice, RoomMemberCount: 10})
	if rule == nil || rule.RuleID != RuleMessage || actions.Notify() {
		t.Errorf("a group message should now be silent, got %+v", rule)
	}
}

func TestMergeKeepsDefaultActionsWhenAStoredEntryHasNone(t *testing.T) {
	user := Ruleset{Underride: []Rule{{RuleID: RuleCall, Default: true, Enabled: false}}}
	call, _ := Merge(DefaultRuleset(alice), user).Find(KindUnderride, RuleCall)
	if call.Enabled || call.Actions.Sound() != "ring" {
		t.Errorf("call = %+v, want disabled and still ringing", call)
	}
}

func TestMergeDropsWhatDefaultsNoLongerHave(t *testing.T) {
	user := Ruleset{
		Override: []Rule{
			{RuleID: RuleContainsDisplayName, Default: true, Enabled: true, Actions: Actions{Notify()}},
			{RuleID: "mine", Enabled: true, Actions: Actions{}},
			{RuleID: "mine", Enabled: false, Actions: Actions{Notify()}},
		},
		Content: []Rule{{RuleID: "cake", Default: true, Enabled: true, Pattern: "cake"}},
	}
	merged := Merge(DefaultRuleset(alice), user)
	if _, ok := merged.Find(KindOverride, RuleContainsDisplayName); ok {
		t.Error("a setting for a removed default rule came back as a rule")
	}
	mine, _ := merged.Find(KindOverride, "mine")
	if !mine.Enabled || len(merged.Override) != len(DefaultRuleset(alice).Override)+1 {
		t.Errorf("the first of two rules with one ID should win, got %v", ruleIDs(merged.Override))
	}
	if cake, _ := merged.Find(KindContent, "cake"); cake.Default {
		t.Error("a user rule marked default was kept as a default rule")
	}
}

func TestCustomisationsStoreOnlyWhatDiffersFromDefaults(t *testing.T) {
	defaults := DefaultRuleset(alice)
	if got := Customisations(defaults, defaults); len(got.Override)+len(got.Content)+len(got.Room)+len(got.Sender)+len(got.Underride) != 0 {
		t.Errorf("customisations of the defaults = %+v, want none", got)
	}

	merged := defaults
	steps := []func(Ruleset) (Ruleset, error){
		func(rs Ruleset) (Ruleset, error) { return SetEnabled(rs, KindOverride, RuleMaster, true) },
		func(rs Ruleset) (Ruleset, error) { return SetActions(rs, KindUnderride, RuleMessage, Actions{}) },
		func(rs Ruleset) (Ruleset, error) {
			return Insert(rs, KindContent, Rule{RuleID: "cake", Pattern: "cake", Actions: Actions{Notify()}}, "", "")
		},
		func(rs Ruleset) (Ruleset, error) {
			return Insert(rs, KindRoom, Rule{RuleID: "!quiet:example.org", Actions: Actions{}}, "", "")
		},
	}
	for _, step := range steps {
		var err error
		if merged, err = step(merged); err != nil {
			t.Fatal(err)
		}
	}
	stored := Customisations(defaults, merged)
	want := map[Kind][]string{
		KindOverride:  {RuleMaster},
		KindContent:   {"cake"},
		KindRoom:      {"!quiet:example.org"},
		KindUnderride: {RuleMessage},
	}
	for _, kind := range Kinds() {
		if got := ruleIDs(stored.Rules(kind)); len(got)+len(want[kind]) > 0 && !reflect.DeepEqual(got, want[kind]) {
			t.Errorf("stored %s rules = %v, want %v", kind, got, want[kind])
		}
	}

	// What is stored goes through JSON and must merge back to the same rules.
	var reloaded Ruleset
	if err := json.Unmarshal(marshalRuleset(t, stored), &reloaded); err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, marshalRuleset(t, Merge(defaults, reloaded)), marshalRuleset(t, merged))
}
