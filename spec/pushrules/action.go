package pushrules

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ActionKind names an action. Actions without parameters are written as a
// bare string on the wire; set_tweak is written as an object.
//
// https://spec.matrix.org/latest/client-server-api/#actions
type ActionKind string

// The actions the spec defines.
const (
	ActionNotify   ActionKind = "notify"
	ActionSetTweak ActionKind = "set_tweak"
)

// The historical actions. The spec requires them to be ignored, so they are
// stripped when actions are parsed and a rule with ["dont_notify"] is the same
// as a rule with no actions.
//
// https://spec.matrix.org/latest/client-server-api/#historical-actions
const (
	actionDontNotify = "dont_notify"
	actionCoalesce   = "coalesce"
)

// The tweaks the spec defines. Others pass through to the push gateway.
const (
	TweakSound     = "sound"
	TweakHighlight = "highlight"
)

// Action is one entry of a rule's actions.
type Action struct {
	// Kind is ActionNotify, ActionSetTweak, or the name of a string action
	// this package does not know (kept so that it round-trips; ValidateRule
	// rejects it in new rules).
	Kind ActionKind
	// Tweak is the tweak a set_tweak action sets.
	Tweak string
	// Value is the tweak's value as compact JSON, nil when absent.
	Value json.RawMessage
}

// Notify is the notify action.
func Notify() Action { return Action{Kind: ActionNotify} }

// SetTweak is a set_tweak action with a value given as JSON; a nil value
// leaves the tweak without one.
func SetTweak(tweak string, value json.RawMessage) Action {
	return Action{Kind: ActionSetTweak, Tweak: tweak, Value: value}
}

// SoundTweak is the set_tweak action for the sound tweak.
func SoundTweak(sound string) Action {
	// A Go string always marshals.
	value, _ := json.Marshal(sound)
	return SetTweak(TweakSound, value)
}

// HighlightTweak is the set_tweak action for the highlight tweak without a
// value, which the spec defines as true.
func HighlightTweak() Action {
	return SetTweak(TweakHighlight, nil)
}

// MarshalJSON writes parameterless actions as strings and set_tweak as an
// object.
func (a Action) MarshalJSON() ([]byte, error) {
	if a.Kind != ActionSetTweak {
		return json.Marshal(string(a.Kind))
	}
	obj := struct {
		SetTweak string          `json:"set_tweak"`
		Value    json.RawMessage `json:"value,omitempty"`
	}{a.Tweak, a.Value}
	return json.Marshal(obj)
}

// UnmarshalJSON reads a string action or a set_tweak object.
func (a *Action) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var name string
		if err := json.Unmarshal(data, &name); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidAction, err)
		}
		*a = Action{Kind: ActionKind(name)}
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return fmt.Errorf("%w: %s", ErrInvalidAction, data)
	}
	var tweak string
	if err := json.Unmarshal(obj["set_tweak"], &tweak); err != nil || tweak == "" {
		return fmt.Errorf("%w: an object action needs a set_tweak name: %s", ErrInvalidAction, data)
	}
	*a = Action{Kind: ActionSetTweak, Tweak: tweak}
	if v, ok := obj["value"]; ok {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidAction, err)
		}
		a.Value = buf.Bytes()
	}
	return nil
}

func (a Action) equal(b Action) bool {
	return a.Kind == b.Kind && a.Tweak == b.Tweak && bytes.Equal(a.Value, b.Value)
}

// Actions is a rule's list of actions.
type Actions []Action

// MarshalJSON writes nil as [] because actions is a required field.
func (as Actions) MarshalJSON() ([]byte, error) {
	if as == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Action(as))
}

// UnmarshalJSON parses the list and strips the historical dont_notify and
// coalesce actions, as the spec requires.
func (as *Actions) UnmarshalJSON(data []byte) error {
	var all []Action
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	out := make(Actions, 0, len(all))
	for _, a := range all {
		if a.Kind == actionDontNotify || a.Kind == actionCoalesce {
			continue
		}
		out = append(out, a)
	}
	*as = out
	return nil
}

// Notify reports whether the actions generate a notification.
func (as Actions) Notify() bool {
	for _, a := range as {
		if a.Kind == ActionNotify {
			return true
		}
	}
	return false
}

// Highlight reports the highlight tweak: true when set without a value,
// false when not set at all, and otherwise its boolean value. When set
// twice, the later one wins, as it does in the tweaks sent to the gateway.
func (as Actions) Highlight() bool {
	highlight := false
	for _, a := range as {
		if a.Kind != ActionSetTweak || a.Tweak != TweakHighlight {
			continue
		}
		switch string(a.Value) {
		case "", "null", "true":
			highlight = true
		default:
			highlight = false
		}
	}
	return highlight
}

// Sound returns the sound tweak's value, or "" when no sound is set.
func (as Actions) Sound() string {
	sound := ""
	for _, a := range as {
		if a.Kind != ActionSetTweak || a.Tweak != TweakSound {
			continue
		}
		var s string
		if json.Unmarshal(a.Value, &s) == nil {
			sound = s
		}
	}
	return sound
}

// Tweaks returns the tweaks dictionary for the push gateway's devices[].tweaks.
// A highlight tweak without a value is written as true; other tweaks without
// a value are left out, since the gateway API has no way to express them.
//
// https://spec.matrix.org/latest/push-gateway-api/#post_matrixpushv1notify
func (as Actions) Tweaks() map[string]json.RawMessage {
	var tweaks map[string]json.RawMessage
	for _, a := range as {
		if a.Kind != ActionSetTweak {
			continue
		}
		v := a.Value
		if v == nil {
			if a.Tweak != TweakHighlight {
				continue
			}
			v = json.RawMessage("true")
		}
		if tweaks == nil {
			tweaks = make(map[string]json.RawMessage)
		}
		tweaks[a.Tweak] = v
	}
	return tweaks
}

// Equal reports whether two action lists are the same, in the same order.
func (as Actions) Equal(other Actions) bool {
	if len(as) != len(other) {
		return false
	}
	for i := range as {
		if !as[i].equal(other[i]) {
			return false
		}
	}
	return true
}
