package pushrules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ConditionKind names a condition.
//
// https://spec.matrix.org/latest/client-server-api/#conditions-1
type ConditionKind string

// The condition kinds the spec defines. Any other kind never matches.
const (
	ConditionEventMatch                   ConditionKind = "event_match"
	ConditionEventPropertyIs              ConditionKind = "event_property_is"
	ConditionEventPropertyContains        ConditionKind = "event_property_contains"
	ConditionContainsDisplayName          ConditionKind = "contains_display_name"
	ConditionRoomMemberCount              ConditionKind = "room_member_count"
	ConditionSenderNotificationPermission ConditionKind = "sender_notification_permission"
)

// Known reports whether this package knows how to evaluate the kind.
func (k ConditionKind) Known() bool {
	switch k {
	case ConditionEventMatch, ConditionEventPropertyIs, ConditionEventPropertyContains,
		ConditionContainsDisplayName, ConditionRoomMemberCount, ConditionSenderNotificationPermission:
		return true
	}
	return false
}

// Condition is one condition of an override or underride rule. Which fields
// are meaningful depends on Kind.
//
// https://spec.matrix.org/latest/client-server-api/#conditions-1
type Condition struct {
	Kind ConditionKind
	// Key is the dot-separated property path for event_match,
	// event_property_is and event_property_contains, and the notifications
	// power level name (such as "room") for sender_notification_permission.
	Key string
	// Pattern is the glob for event_match. The empty pattern is meaningful:
	// .m.rule.tombstone matches state_key "" with it.
	Pattern string
	// Is is the member count comparison for room_member_count, e.g. "2" or
	// "<=10".
	Is string
	// Value is the exact value for event_property_is and
	// event_property_contains.
	Value Value
	// Raw is the condition as it was read when Kind is not a known kind, so
	// that conditions from newer clients are stored and returned unchanged.
	Raw json.RawMessage
}

// conditionWire is the JSON form of a known condition.
type conditionWire struct {
	Kind    ConditionKind `json:"kind"`
	Key     string        `json:"key,omitempty"`
	Pattern *string       `json:"pattern,omitempty"`
	Is      string        `json:"is,omitempty"`
	Value   Value         `json:"value,omitzero"`
}

// MarshalJSON writes the parameters the condition's kind takes, and an
// unknown condition as it was read.
func (c Condition) MarshalJSON() ([]byte, error) {
	if !c.Kind.Known() && c.Raw != nil {
		return c.Raw, nil
	}
	w := conditionWire{Kind: c.Kind, Key: c.Key, Is: c.Is, Value: c.Value}
	if c.Kind == ConditionEventMatch || c.Pattern != "" {
		w.Pattern = &c.Pattern
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a condition. Parameters of the wrong JSON type are an
// error, and so is an event_match without a pattern, because the empty
// pattern is meaningful and could not be told apart from a missing one.
// Other missing parameters are left for ValidateRule and for evaluation,
// where a condition missing what it needs does not match.
func (c *Condition) UnmarshalJSON(data []byte) error {
	var w conditionWire
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCondition, err)
	}
	if w.Kind == ConditionEventMatch && w.Pattern == nil {
		return fmt.Errorf("%w: event_match needs a pattern", ErrInvalidCondition)
	}
	*c = Condition{Kind: w.Kind, Key: w.Key, Is: w.Is, Value: w.Value}
	if w.Pattern != nil {
		c.Pattern = *w.Pattern
	}
	if !w.Kind.Known() {
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidCondition, err)
		}
		c.Raw = buf.Bytes()
	}
	return nil
}

// ValueType is the JSON type of a Value.
type ValueType uint8

// The types a Value can have. ValueAbsent is the zero value, so that a
// condition without a "value" differs from one with "value": null.
const (
	ValueAbsent ValueType = iota
	ValueNull
	ValueString
	ValueInt
	ValueBool
)

// maxSafeInt is the largest integer canonical JSON allows, 2**53 - 1.
const maxSafeInt = 1<<53 - 1

// Value is a non-compound canonical JSON value: a string, an integer in
// [-(2**53)+1, (2**53)-1], a boolean or null. These are the only values
// event_property_is and event_property_contains compare.
type Value struct {
	Type ValueType
	Str  string
	Int  int64
	Bool bool
}

// StringValue, IntValue, BoolValue and NullValue build a Value of one type.
func StringValue(s string) Value { return Value{Type: ValueString, Str: s} }

// IntValue builds an integer Value. Integers outside the canonical JSON
// range never compare equal to anything in an event.
func IntValue(i int64) Value { return Value{Type: ValueInt, Int: i} }

// BoolValue builds a boolean Value.
func BoolValue(b bool) Value { return Value{Type: ValueBool, Bool: b} }

// NullValue builds the null Value.
func NullValue() Value { return Value{Type: ValueNull} }

// Equal reports whether two values have the same type and the same value of
// that type, which is what event_property_is means by an exact match.
func (v Value) Equal(other Value) bool {
	if v.Type != other.Type {
		return false
	}
	switch v.Type {
	case ValueString:
		return v.Str == other.Str
	case ValueInt:
		return v.Int == other.Int
	case ValueBool:
		return v.Bool == other.Bool
	}
	return true
}

// MarshalJSON writes the value; an absent value is written as null.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Type {
	case ValueString:
		return json.Marshal(v.Str)
	case ValueInt:
		return strconv.AppendInt(nil, v.Int, 10), nil
	case ValueBool:
		return strconv.AppendBool(nil, v.Bool), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON accepts only the types canonical JSON allows here.
func (v *Value) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return ErrInvalidValue
	}
	switch data[0] {
	case 'n':
		if string(data) != "null" {
			return ErrInvalidValue
		}
		*v = NullValue()
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(data, &b); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidValue, err)
		}
		*v = BoolValue(b)
	case '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidValue, err)
		}
		*v = StringValue(s)
	default:
		i, ok := parseCanonicalInt(string(data))
		if !ok {
			return fmt.Errorf("%w: %s", ErrInvalidValue, data)
		}
		*v = IntValue(i)
	}
	return nil
}

// parseCanonicalInt parses a JSON number that canonical JSON allows: an
// integer literal (no fraction or exponent) within ±(2**53 - 1).
func parseCanonicalInt(s string) (int64, bool) {
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil || i > maxSafeInt || i < -maxSafeInt {
		return 0, false
	}
	return i, true
}

// memberCountOp is a parsed room_member_count "is" parameter.
type memberCountOp struct {
	op string
	n  int64
}

// parseMemberCount parses "is": a decimal integer optionally prefixed by
// ==, <, >, >= or <=, defaulting to ==.
//
// https://spec.matrix.org/latest/client-server-api/#conditions-1
func parseMemberCount(is string) (memberCountOp, bool) {
	op := "=="
	for _, prefix := range []string{"==", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(is, prefix) {
			op, is = prefix, is[len(prefix):]
			break
		}
	}
	if is == "" || is[0] < '0' || is[0] > '9' {
		return memberCountOp{}, false
	}
	n, err := strconv.ParseInt(is, 10, 64)
	if err != nil {
		return memberCountOp{}, false
	}
	return memberCountOp{op: op, n: n}, true
}

func (m memberCountOp) matches(count int64) bool {
	switch m.op {
	case "<":
		return count < m.n
	case ">":
		return count > m.n
	case "<=":
		return count <= m.n
	case ">=":
		return count >= m.n
	}
	return count == m.n
}
