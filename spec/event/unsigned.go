package event

import (
	"encoding/json"
	"fmt"
)

// WithUnsigned returns the event with its "unsigned" object replaced, or
// removed when unsigned is nil. Servers rewrite unsigned in transit (age,
// invite_room_state): it is covered by neither hashes nor signatures, so
// the event ID and signatures stay valid.
//
// https://spec.matrix.org/latest/server-server-api/#pdus
func (e *Event) WithUnsigned(unsigned json.RawMessage) (*Event, error) {
	o, err := decodeObject(e.raw)
	if err != nil {
		return nil, err
	}
	if unsigned == nil {
		delete(o, "unsigned")
	} else {
		c, err := canonicalize(e.rules, unsigned)
		if err != nil {
			return nil, fmt.Errorf("unsigned: %w", err)
		}
		if !isObject(c) {
			return nil, fmt.Errorf("%w: unsigned must be an object", ErrInvalidField)
		}
		o["unsigned"] = c
	}
	b, err := o.encodeCanonical(e.rules)
	if err != nil {
		return nil, err
	}
	out, err := parse(e.rules, b, e.eventID)
	if err != nil {
		return nil, err
	}
	out.redacted = e.redacted
	return out, nil
}
