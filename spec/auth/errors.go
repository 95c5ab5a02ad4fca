package auth

import (
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/spec/roomversion"
)

var (
	// ErrNotAllowed is wrapped by every rejection: the event fails the
	// authorization rules of its room version.
	ErrNotAllowed = errors.New("event not allowed by the authorization rules")
	// ErrInvalidPowerLevels is returned when m.room.power_levels content
	// does not have the shape its room version requires.
	ErrInvalidPowerLevels = errors.New("invalid m.room.power_levels content")
	// ErrMissingAuthEvent is returned by CheckAuthEvents when an event cited
	// in auth_events was not supplied; it is not a rejection, the caller must
	// fetch the event first.
	ErrMissingAuthEvent = errors.New("auth event not supplied")
	// ErrInvalidContent is returned by StateNeeded for an event that cannot
	// be built at all, such as a membership event without a membership.
	ErrInvalidContent = errors.New("invalid event content")
)

// RuleError is a rejection by one rule. It unwraps to ErrNotAllowed and, if
// set, to the underlying cause.
type RuleError struct {
	// Rule is the rule that rejected the event.
	Rule Rule
	// Number is the rule's number in the spec page of the room version,
	// such as "5.3.3".
	Number string
	// Version is the room version whose rules were applied.
	Version roomversion.ID
	// Reason says what in the event or state broke the rule.
	Reason string
	// Err is the underlying cause, such as ErrInvalidPowerLevels, or nil.
	Err error
}

func (e *RuleError) Error() string {
	msg := fmt.Sprintf("%s: rule %s of room version %s (%s): %s", ErrNotAllowed, e.Number, e.Version, e.Rule, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap lets errors.Is find ErrNotAllowed and the cause.
func (e *RuleError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrNotAllowed, e.Err}
	}
	return []error{ErrNotAllowed}
}

// reject builds the rejection by rule r under the given room version.
func reject(rules roomversion.Rules, r Rule, format string, args ...any) error {
	return &RuleError{Rule: r, Number: r.Number(rules), Version: rules.ID, Reason: fmt.Sprintf(format, args...)}
}

// rejectCause is reject with an underlying cause.
func rejectCause(rules roomversion.Rules, r Rule, cause error, format string, args ...any) error {
	return &RuleError{Rule: r, Number: r.Number(rules), Version: rules.ID, Reason: fmt.Sprintf(format, args...), Err: cause}
}
