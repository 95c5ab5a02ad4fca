package pushrules

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func keyword(id string) Rule {
	return Rule{RuleID: id, Pattern: id, Actions: Actions{Notify()}}
}

// withKeywords returns the defaults with user content rules a, b and c, in
// that order.
func withKeywords(t *testing.T) Ruleset {
	t.Helper()
	rs := DefaultRuleset(alice)
	for _, id := range []string{"c", "b", "a"} {
		var err error
		if rs, err = Insert(rs, KindContent, keyword(id), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	return rs
}

func TestInsertPositionsRulesAsTheSpecSays(t *testing.T) {
	tests := []struct {
		name          string
		id            string
		before, after string
		want          []string
	}{
		{"a new rule without position becomes the most important", "new", "", "", []string{"new", "a", "b", "c"}},
		{"before makes the rule the next more important", "new", "b", "", []string{"a", "new", "b", "c"}},
		{"after makes the rule the next less important", "new", "", "b", []string{"a", "b", "new", "c"}},
		{"after the last rule makes it the least important", "new", "", "c", []string{"a", "b", "c", "new"}},
		{"before decides when both are given", "new", "a", "c", []string{"new", "a", "b", "c"}},
		{"an existing rule without position keeps its place", "b", "", "", []string{"a", "b", "c"}},
		{"an existing rule with a position moves", "a", "", "c", []string{"b", "c", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := Insert(withKeywords(t), KindContent, keyword(tt.id), tt.before, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			if got := ruleIDs(rs.Content); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("content rules = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInsertPlacesNewOverridesBelowMaster(t *testing.T) {
	rule := Rule{RuleID: "beer", Conditions: []Condition{{Kind: ConditionEventMatch, Key: "content.body", Pattern: "beer"}}, Actions: Actions{Notify()}}
	rs, err := Insert(DefaultRuleset(alice), KindOverride, rule, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleIDs(rs.Override)[:3]; !reflect.DeepEqual(got, []string{RuleMaster, "beer", RuleSuppressNotices}) {
		t.Errorf("override starts %v", got)
	}
	if r, _ := rs.Find(KindOverride, "beer"); !r.Enabled || r.Default {
		t.Errorf("a new rule must be enabled and not default, got %+v", r)
	}
}

func TestInsertGivesOverridesWithoutConditionsAnEmptyArray(t *testing.T) {
	rs, err := Insert(DefaultRuleset(alice), KindUnderride, Rule{RuleID: "everything", Actions: Actions{Notify()}}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := rs.Find(KindUnderride, "everything")
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, got, []byte(`{"rule_id":"everything","default":false,"enabled":true,"conditions":[],"actions":["notify"]}`))
}

func TestInsertUpdatesARuleButKeepsItsEnabledFlag(t *testing.T) {
	rs, err := SetEnabled(withKeywords(t), KindContent, "b", false)
	if err != nil {
		t.Fatal(err)
	}
	updated := keyword("b")
	updated.Pattern = "bee"
	updated.Actions = Actions{}
	rs, err = Insert(rs, KindContent, updated, "", "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := rs.Find(KindContent, "b")
	if b.Enabled || b.Pattern != "bee" || b.Actions.Notify() {
		t.Errorf("b = %+v, want disabled with the new pattern and actions", b)
	}
}

func TestInsertRefusesBadPositionsAndRules(t *testing.T) {
	tests := []struct {
		name          string
		kind          Kind
		rule          Rule
		before, after string
		want          error
	}{
		{"before a server-default rule", KindOverride, Rule{RuleID: "x"}, RuleSuppressNotices, "", ErrServerDefaultRule},
		{"after a server-default rule", KindUnderride, Rule{RuleID: "x"}, "", RuleMessage, ErrServerDefaultRule},
		{"before a rule that does not exist", KindContent, keyword("x"), "nope", "", ErrRuleNotFound},
		{"relative to itself", KindContent, keyword("a"), "a", "", ErrInvalidRuleID},
		{"a reserved rule ID", KindOverride, Rule{RuleID: ".m.rule.master"}, "", "", ErrReservedRuleID},
		{"an unknown kind", "global", Rule{RuleID: "x"}, "", "", ErrInvalidKind},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Insert(withKeywords(t), tt.kind, tt.rule, tt.before, tt.after); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEditsLeaveTheirArgumentUnchanged(t *testing.T) {
	rs := withKeywords(t)
	before := ruleIDs(rs.Content)
	if _, err := Insert(rs, KindContent, keyword("new"), "", "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := Remove(rs, KindContent, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := SetEnabled(rs, KindContent, "c", false); err != nil {
		t.Fatal(err)
	}
	if got := ruleIDs(rs.Content); !reflect.DeepEqual(got, before) {
		t.Errorf("content rules changed to %v", got)
	}
	if c, _ := rs.Find(KindContent, "c"); !c.Enabled {
		t.Error("SetEnabled changed its argument")
	}
}

func TestRemoveDeletesOnlyUserRules(t *testing.T) {
	rs, err := Remove(withKeywords(t), KindContent, "b")
	if err != nil {
		t.Fatal(err)
	}
	if got := ruleIDs(rs.Content); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Errorf("content rules = %v", got)
	}
	if _, err := Remove(rs, KindOverride, RuleMaster); !errors.Is(err, ErrServerDefaultRule) {
		t.Errorf("removing master: %v, want ErrServerDefaultRule", err)
	}
	if _, err := Remove(rs, KindContent, "b"); !errors.Is(err, ErrRuleNotFound) {
		t.Errorf("removing a missing rule: %v, want ErrRuleNotFound", err)
	}
}

func TestSetEnabledAndSetActionsWorkOnAnyRule(t *testing.T) {
	rs, err := SetEnabled(DefaultRuleset(alice), KindOverride, RuleMaster, true)
	if err != nil {
		t.Fatal(err)
	}
	if master, _ := rs.Find(KindOverride, RuleMaster); !master.Enabled {
		t.Error("master was not enabled")
	}
	rs, err = SetActions(rs, KindUnderride, RuleMessage, Actions{Notify(), SoundTweak("default")})
	if err != nil {
		t.Fatal(err)
	}
	if message, _ := rs.Find(KindUnderride, RuleMessage); message.Actions.Sound() != "default" {
		t.Errorf("message actions = %+v", message.Actions)
	}

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"enabling a missing rule", func() error { _, err := SetEnabled(rs, KindOverride, "nope", true); return err }(), ErrRuleNotFound},
		{"enabling in an unknown kind", func() error { _, err := SetEnabled(rs, "global", RuleMaster, true); return err }(), ErrInvalidKind},
		{"setting actions of a missing rule", func() error { _, err := SetActions(rs, KindRoom, "!x:y", nil); return err }(), ErrRuleNotFound},
		{"setting an unknown action", func() error {
			_, err := SetActions(rs, KindUnderride, RuleMessage, Actions{{Kind: "explode"}})
			return err
		}(), ErrInvalidAction},
	}
	for _, tt := range tests {
		t.Run(tt.name+" fails", func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("error = %v, want %v", tt.err, tt.want)
			}
		})
	}
}
