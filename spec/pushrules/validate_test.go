package pushrules

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// userRuleCase is one entry of testdata/user_rules.json: a rule body as a
// client PUTs it, with the kind and rule ID from the URL.
type userRuleCase struct {
	Name   string          `json:"name"`
	Kind   Kind            `json:"kind"`
	RuleID string          `json:"rule_id"`
	Rule   json.RawMessage `json:"rule"`
	Error  string          `json:"error"`
}

func loadUserRuleCases(t *testing.T) (valid, invalid []userRuleCase) {
	t.Helper()
	var cases struct{ Valid, Invalid []userRuleCase }
	if err := json.Unmarshal(readTestdata(t, "user_rules.json"), &cases); err != nil {
		t.Fatal(err)
	}
	return cases.Valid, cases.Invalid
}

// parseAndValidate does what the clientapi does with a PUT body.
func parseAndValidate(c userRuleCase) (Rule, error) {
	var r Rule
	if err := json.Unmarshal(c.Rule, &r); err != nil {
		return r, err
	}
	r.RuleID = c.RuleID
	return r, ValidateRule(c.Kind, r)
}

func TestValidateRuleAcceptsWellFormedUserRules(t *testing.T) {
	valid, _ := loadUserRuleCases(t)
	for _, c := range valid {
		t.Run(c.Name, func(t *testing.T) {
			if _, err := parseAndValidate(c); err != nil {
				t.Errorf("rejected: %v", err)
			}
		})
	}
}

func TestValidateRuleRejectsMalformedUserRules(t *testing.T) {
	named := map[string]error{
		"ErrInvalidKind":      ErrInvalidKind,
		"ErrInvalidRuleID":    ErrInvalidRuleID,
		"ErrReservedRuleID":   ErrReservedRuleID,
		"ErrInvalidAction":    ErrInvalidAction,
		"ErrInvalidCondition": ErrInvalidCondition,
		"ErrInvalidValue":     ErrInvalidValue,
		"ErrInvalidPattern":   ErrInvalidPattern,
	}
	_, invalid := loadUserRuleCases(t)
	for _, c := range invalid {
		t.Run(c.Name, func(t *testing.T) {
			want, ok := named[c.Error]
			if !ok {
				t.Fatalf("unknown error name %q in testdata", c.Error)
			}
			if _, err := parseAndValidate(c); !errors.Is(err, want) {
				t.Errorf("error = %v, want %v", err, want)
			}
		})
	}
}

func TestValidateRuleBoundsPatternLength(t *testing.T) {
	long := strings.Repeat("a", MaxPatternLength+1)
	tests := []struct {
		name string
		kind Kind
		rule Rule
	}{
		{"a content pattern", KindContent, Rule{RuleID: "x", Pattern: long}},
		{"an event_match pattern", KindOverride, Rule{RuleID: "x", Conditions: []Condition{{Kind: ConditionEventMatch, Key: "type", Pattern: long}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" over the limit is rejected", func(t *testing.T) {
			if err := ValidateRule(tt.kind, tt.rule); !errors.Is(err, ErrInvalidPattern) {
				t.Errorf("error = %v, want ErrInvalidPattern", err)
			}
		})
	}
}
