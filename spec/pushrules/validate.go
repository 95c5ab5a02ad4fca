package pushrules

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MaxPatternLength bounds the glob patterns of user-defined rules, in
// bytes. The spec sets no limit; this one is far above any keyword or user
// ID and keeps a rule from making every event expensive to evaluate.
const MaxPatternLength = 1024

// ValidateRule checks a user-defined rule of the given kind before it is
// stored, as PUT /pushrules/global/{kind}/{ruleId} requires. Default and
// Enabled are not checked: the server sets them.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3pushrulesglobalkindruleid
func ValidateRule(kind Kind, r Rule) error {
	if !kind.Valid() {
		return fmt.Errorf("%w: %q", ErrInvalidKind, kind)
	}
	if err := validateRuleID(kind, r.RuleID); err != nil {
		return err
	}
	if err := validateActions(r.Actions); err != nil {
		return err
	}
	switch kind {
	case KindContent:
		if r.Pattern == "" {
			return fmt.Errorf("%w: content rules need a pattern", ErrInvalidPattern)
		}
		if len(r.Pattern) > MaxPatternLength {
			return fmt.Errorf("%w: longer than %d bytes", ErrInvalidPattern, MaxPatternLength)
		}
		if len(r.Conditions) > 0 {
			return fmt.Errorf("%w: content rules take a pattern, not conditions", ErrInvalidCondition)
		}
	case KindRoom, KindSender:
		if r.Pattern != "" {
			return fmt.Errorf("%w: %s rules do not take a pattern", ErrInvalidPattern, kind)
		}
		if len(r.Conditions) > 0 {
			return fmt.Errorf("%w: %s rules do not take conditions", ErrInvalidCondition, kind)
		}
	default:
		if r.Pattern != "" {
			return fmt.Errorf("%w: %s rules take conditions, not a pattern", ErrInvalidPattern, kind)
		}
		for i, c := range r.Conditions {
			if err := validateCondition(c); err != nil {
				return fmt.Errorf("condition %d: %w", i, err)
			}
		}
	}
	return nil
}

// validateRuleID applies the spec's constraints on user rule IDs: not
// starting with ".", no "/" or "\", and for room and sender rules the ID of
// the room or user the rule is about.
func validateRuleID(kind Kind, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidRuleID)
	case IsServerDefault(id):
		return fmt.Errorf("%w: %q", ErrReservedRuleID, id)
	case strings.ContainsAny(id, `/\`):
		return fmt.Errorf("%w: %q contains a slash or backslash", ErrInvalidRuleID, id)
	case kind == KindRoom && !strings.HasPrefix(id, "!"):
		return fmt.Errorf("%w: room rules are named by a room ID, got %q", ErrInvalidRuleID, id)
	case kind == KindSender && !strings.HasPrefix(id, "@"):
		return fmt.Errorf("%w: sender rules are named by a user ID, got %q", ErrInvalidRuleID, id)
	}
	return nil
}

// validateActions accepts notify and set_tweak (and the historical actions,
// which are ignored), and checks the values of the tweaks the spec defines.
func validateActions(actions Actions) error {
	for _, a := range actions {
		switch a.Kind {
		case ActionNotify, actionDontNotify, actionCoalesce:
		case ActionSetTweak:
			if err := validateTweak(a); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unknown action %q", ErrInvalidAction, a.Kind)
		}
	}
	return nil
}

func validateTweak(a Action) error {
	if a.Tweak == "" {
		return fmt.Errorf("%w: set_tweak without a tweak name", ErrInvalidAction)
	}
	if a.Value == nil {
		return nil
	}
	if !json.Valid(a.Value) {
		return fmt.Errorf("%w: tweak %q has an invalid value", ErrInvalidAction, a.Tweak)
	}
	switch a.Tweak {
	case TweakHighlight:
		var b bool
		if json.Unmarshal(a.Value, &b) != nil || string(a.Value) == "null" {
			return fmt.Errorf("%w: the highlight tweak's value must be a boolean", ErrInvalidAction)
		}
	case TweakSound:
		var s string
		if json.Unmarshal(a.Value, &s) != nil || string(a.Value) == "null" {
			return fmt.Errorf("%w: the sound tweak's value must be a string", ErrInvalidAction)
		}
	}
	return nil
}

// validateCondition checks that a condition of a known kind has the
// parameters that kind needs. Conditions of unknown kinds are accepted, as
// the spec expects: they never match, which disables their rule.
func validateCondition(c Condition) error {
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("%w: %s needs %s", ErrInvalidCondition, c.Kind, what)
		}
		return nil
	}
	switch c.Kind {
	case "":
		return fmt.Errorf("%w: missing kind", ErrInvalidCondition)
	case ConditionEventMatch:
		if len(c.Pattern) > MaxPatternLength {
			return fmt.Errorf("%w: pattern longer than %d bytes", ErrInvalidPattern, MaxPatternLength)
		}
		return need(c.Key != "", "a key")
	case ConditionEventPropertyIs, ConditionEventPropertyContains:
		if err := need(c.Key != "", "a key"); err != nil {
			return err
		}
		return need(c.Value.Type != ValueAbsent, "a value")
	case ConditionRoomMemberCount:
		_, ok := parseMemberCount(c.Is)
		return need(ok, `"is": an integer optionally prefixed by ==, <, >, >= or <=`)
	case ConditionSenderNotificationPermission:
		return need(c.Key != "", "a key")
	}
	return nil
}
