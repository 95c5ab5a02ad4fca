package pushrules

import "errors"

// Errors returned when parsing, validating or editing push rules. The
// clientapi maps ErrRuleNotFound to M_NOT_FOUND and the rest to a 400.
var (
	// ErrInvalidKind is returned for a rule kind other than override,
	// content, room, sender or underride.
	ErrInvalidKind = errors.New("pushrules: invalid rule kind")
	// ErrInvalidRuleID is returned for an empty rule ID, one containing "/"
	// or "\", or a room or sender rule ID that is not a room or user ID.
	ErrInvalidRuleID = errors.New("pushrules: invalid rule ID")
	// ErrReservedRuleID is returned when a user tries to create a rule whose
	// ID starts with ".", which is reserved for server-default rules.
	ErrReservedRuleID = errors.New("pushrules: rule IDs starting with '.' are reserved for server-default rules")
	// ErrInvalidAction is returned for an action that is neither a known
	// string action nor a set_tweak object, or a tweak with a value of the
	// wrong type.
	ErrInvalidAction = errors.New("pushrules: invalid action")
	// ErrInvalidCondition is returned for a condition missing a parameter its
	// kind requires, or given parameters its kind does not take.
	ErrInvalidCondition = errors.New("pushrules: invalid condition")
	// ErrInvalidValue is returned for a condition value that is not a
	// string, an integer in the canonical JSON range, a boolean or null.
	ErrInvalidValue = errors.New("pushrules: value must be a string, an integer in [-(2**53)+1, (2**53)-1], a boolean or null")
	// ErrInvalidPattern is returned for a content rule without a pattern, or
	// a pattern on a rule kind that does not take one.
	ErrInvalidPattern = errors.New("pushrules: invalid pattern")
	// ErrRuleNotFound is returned when a rule, or the rule named by before
	// or after, does not exist in the ruleset.
	ErrRuleNotFound = errors.New("pushrules: rule not found")
	// ErrServerDefaultRule is returned when a server-default rule is deleted
	// or used as the anchor of before or after.
	ErrServerDefaultRule = errors.New("pushrules: operation not allowed on a server-default rule")
	// ErrInvalidEvent is returned by NewEvaluator when the event is not a
	// JSON object.
	ErrInvalidEvent = errors.New("pushrules: event is not a JSON object")
)
