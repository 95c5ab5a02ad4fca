package pushrules

import "fmt"

// The editing functions implement the /pushrules write endpoints on a merged
// ruleset (see Merge). They never modify their argument: each returns a new
// ruleset sharing the kinds it did not change. Store the result with
// Customisations.
//
// https://spec.matrix.org/latest/client-server-api/#push-rules-api

// Insert adds a user-defined rule, or updates the rule of that kind with the
// same ID, as PUT /pushrules/global/{kind}/{ruleId} does.
//
// With before, the rule becomes the next more important rule than the
// user-defined rule before names; with only after, the next less important
// than after. When both are given, before decides, as the spec says. With
// neither, a new rule becomes the most important user-defined rule of its
// kind and an updated rule keeps its place. New rules are enabled; updated
// rules keep their enabled flag.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3pushrulesglobalkindruleid
func Insert(rs Ruleset, kind Kind, rule Rule, before, after string) (Ruleset, error) {
	if err := ValidateRule(kind, rule); err != nil {
		return rs, err
	}
	rules := cloneRules(rs.Rules(kind))
	rule.Default = false
	rule.Enabled = true
	if (kind == KindOverride || kind == KindUnderride) && rule.Conditions == nil {
		// Clients expect the conditions of these kinds as an array, as the
		// server-default rules have them.
		rule.Conditions = []Condition{}
	}
	existing := indexOf(rules, rule.RuleID)
	if existing >= 0 {
		rule.Enabled = rules[existing].Enabled
	}

	anchor, offset := before, 0
	if anchor == "" {
		anchor, offset = after, 1
	}
	if anchor == "" {
		if existing >= 0 {
			rules[existing] = rule
			return rs.withRules(kind, rules), nil
		}
		return rs.withRules(kind, insertAt(rules, topOfUserRules(kind, rules), rule)), nil
	}

	if IsServerDefault(anchor) {
		return rs, fmt.Errorf("%w: cannot position a rule relative to %q", ErrServerDefaultRule, anchor)
	}
	if anchor == rule.RuleID {
		return rs, fmt.Errorf("%w: a rule cannot be positioned relative to itself", ErrInvalidRuleID)
	}
	if existing >= 0 {
		rules = append(rules[:existing], rules[existing+1:]...)
	}
	at := indexOf(rules, anchor)
	if at < 0 {
		return rs, fmt.Errorf("%w: before/after rule %q", ErrRuleNotFound, anchor)
	}
	return rs.withRules(kind, insertAt(rules, at+offset, rule)), nil
}

// topOfUserRules is where the most important user-defined rule goes: first,
// except after .m.rule.master, which outranks every rule.
func topOfUserRules(kind Kind, rules []Rule) int {
	i := 0
	for kind == KindOverride && i < len(rules) && rules[i].RuleID == RuleMaster {
		i++
	}
	return i
}

func insertAt(rules []Rule, i int, r Rule) []Rule {
	rules = append(rules, Rule{})
	copy(rules[i+1:], rules[i:])
	rules[i] = r
	return rules
}

// Remove deletes a user-defined rule, as DELETE
// /pushrules/global/{kind}/{ruleId} does. Server-default rules cannot be
// deleted, only disabled.
//
// https://spec.matrix.org/latest/client-server-api/#delete_matrixclientv3pushrulesglobalkindruleid
func Remove(rs Ruleset, kind Kind, ruleID string) (Ruleset, error) {
	rules, i, err := locate(rs, kind, ruleID)
	if err != nil {
		return rs, err
	}
	if rules[i].Default || IsServerDefault(ruleID) {
		return rs, fmt.Errorf("%w: cannot delete %q", ErrServerDefaultRule, ruleID)
	}
	return rs.withRules(kind, append(rules[:i], rules[i+1:]...)), nil
}

// SetEnabled enables or disables any rule, as PUT
// /pushrules/global/{kind}/{ruleId}/enabled does.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3pushrulesglobalkindruleidenabled
func SetEnabled(rs Ruleset, kind Kind, ruleID string, enabled bool) (Ruleset, error) {
	rules, i, err := locate(rs, kind, ruleID)
	if err != nil {
		return rs, err
	}
	rules[i].Enabled = enabled
	return rs.withRules(kind, rules), nil
}

// SetActions replaces the actions of any rule, as PUT
// /pushrules/global/{kind}/{ruleId}/actions does.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3pushrulesglobalkindruleidactions
func SetActions(rs Ruleset, kind Kind, ruleID string, actions Actions) (Ruleset, error) {
	if err := validateActions(actions); err != nil {
		return rs, err
	}
	rules, i, err := locate(rs, kind, ruleID)
	if err != nil {
		return rs, err
	}
	if actions == nil {
		actions = Actions{}
	}
	rules[i].Actions = actions
	return rs.withRules(kind, rules), nil
}

// locate returns a copy of the rules of a kind and the index of ruleID in it.
func locate(rs Ruleset, kind Kind, ruleID string) ([]Rule, int, error) {
	if !kind.Valid() {
		return nil, -1, fmt.Errorf("%w: %q", ErrInvalidKind, kind)
	}
	rules := cloneRules(rs.Rules(kind))
	i := indexOf(rules, ruleID)
	if i < 0 {
		return nil, -1, fmt.Errorf("%w: %s/%s", ErrRuleNotFound, kind, ruleID)
	}
	return rules, i, nil
}
