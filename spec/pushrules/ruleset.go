package pushrules

import (
	"encoding/json"
	"strings"
)

// Kind is the kind of a push rule, which decides its priority and how it
// matches.
//
// https://spec.matrix.org/latest/client-server-api/#push-rules
type Kind string

// The rule kinds, in the order the spec checks them.
const (
	KindOverride  Kind = "override"
	KindContent   Kind = "content"
	KindRoom      Kind = "room"
	KindSender    Kind = "sender"
	KindUnderride Kind = "underride"
)

// Kinds returns every rule kind in the order they are checked: the first
// matching rule of an earlier kind wins over any rule of a later kind.
func Kinds() []Kind {
	return []Kind{KindOverride, KindContent, KindRoom, KindSender, KindUnderride}
}

// Valid reports whether k is one of the five kinds the spec defines.
func (k Kind) Valid() bool {
	switch k {
	case KindOverride, KindContent, KindRoom, KindSender, KindUnderride:
		return true
	}
	return false
}

// Ruleset is a user's push rules, grouped by kind and ordered by priority
// (most important first) within each kind. It is the content of the
// m.push_rules account data event under "global" and the body of
// GET /pushrules/.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3pushrules
type Ruleset struct {
	Override  []Rule `json:"override"`
	Content   []Rule `json:"content"`
	Room      []Rule `json:"room"`
	Sender    []Rule `json:"sender"`
	Underride []Rule `json:"underride"`
}

// MarshalJSON writes every kind, as an empty array when it has no rules,
// because clients index the five arrays without checking for null.
func (rs Ruleset) MarshalJSON() ([]byte, error) {
	type plain Ruleset
	out := plain(rs)
	for _, list := range []*[]Rule{&out.Override, &out.Content, &out.Room, &out.Sender, &out.Underride} {
		if *list == nil {
			*list = []Rule{}
		}
	}
	return json.Marshal(out)
}

// Rules returns the rules of one kind, in priority order. The slice is
// shared with the ruleset; use the editing functions to change it.
func (rs Ruleset) Rules(kind Kind) []Rule {
	switch kind {
	case KindOverride:
		return rs.Override
	case KindContent:
		return rs.Content
	case KindRoom:
		return rs.Room
	case KindSender:
		return rs.Sender
	case KindUnderride:
		return rs.Underride
	}
	return nil
}

// withRules returns a copy of rs whose rules of the given kind are rules.
func (rs Ruleset) withRules(kind Kind, rules []Rule) Ruleset {
	switch kind {
	case KindOverride:
		rs.Override = rules
	case KindContent:
		rs.Content = rules
	case KindRoom:
		rs.Room = rules
	case KindSender:
		rs.Sender = rules
	case KindUnderride:
		rs.Underride = rules
	}
	return rs
}

// Find returns the rule of the given kind with the given ID. Rule IDs are
// unique within their kind.
func (rs Ruleset) Find(kind Kind, ruleID string) (Rule, bool) {
	if i := indexOf(rs.Rules(kind), ruleID); i >= 0 {
		return rs.Rules(kind)[i], true
	}
	return Rule{}, false
}

func indexOf(rules []Rule, ruleID string) int {
	for i := range rules {
		if rules[i].RuleID == ruleID {
			return i
		}
	}
	return -1
}

// Rule is one push rule.
//
// https://spec.matrix.org/latest/client-server-api/#push-rules
type Rule struct {
	// RuleID is unique within the rule's kind. Server-default rules start
	// with "."; room rules are named by their room ID and sender rules by
	// the sender's user ID.
	RuleID string `json:"rule_id"`
	// Default is true for server-default rules.
	Default bool `json:"default"`
	// Enabled is false for a rule that must never match.
	Enabled bool `json:"enabled"`
	// Conditions all hold for an override or underride rule to match; a
	// rule with none always matches. A nil slice is omitted from JSON, an
	// empty one is written as [] (as the spec writes .m.rule.master).
	Conditions []Condition `json:"conditions,omitzero"`
	// Actions say what a match does.
	Actions Actions `json:"actions"`
	// Pattern is the glob matched against the words of content.body, for
	// content rules only.
	Pattern string `json:"pattern,omitempty"`
}

// IsServerDefault reports whether the rule ID is in the namespace the spec
// reserves for server-default rules.
func IsServerDefault(ruleID string) bool {
	return strings.HasPrefix(ruleID, ".")
}

func cloneRules(rules []Rule) []Rule {
	if rules == nil {
		return nil
	}
	return append(make([]Rule, 0, len(rules)+1), rules...)
}
