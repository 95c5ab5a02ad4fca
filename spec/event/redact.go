package event

import (
	"encoding/json"
	"fmt"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// Redact returns the redacted form of an event: the top-level keys and the
// content keys that the room version's redaction algorithm protects, as
// canonical JSON. It is the form that is signed, that the reference hash
// covers, and that replaces an event whose content hash does not match.
// raw need not be a complete PDU, only an object with a string "type"; a
// missing content becomes {}, and unsigned is always dropped.
//
// https://spec.matrix.org/latest/rooms/v11/#redactions
// https://spec.matrix.org/latest/client-server-api/#redactions
func Redact(rules roomversion.Rules, raw []byte) ([]byte, error) {
	canonical, err := canonicalize(rules, raw)
	if err != nil {
		return nil, err
	}
	o, err := decodeObject(canonical)
	if err != nil {
		return nil, err
	}
	r, err := redactObject(rules, o)
	if err != nil {
		return nil, err
	}
	return r.encodeCanonical(rules)
}

// redactObject applies the redaction algorithm to a decoded event.
func redactObject(rules roomversion.Rules, o object) (object, error) {
	if rules.Redaction < roomversion.RedactionV1 || rules.Redaction > roomversion.RedactionV11 {
		return nil, fmt.Errorf("%w: redaction algorithm %d", ErrUnsupportedRules, rules.Redaction)
	}
	eventType, ok := jsonString(o["type"])
	if !ok {
		return nil, fmt.Errorf("%w: type must be a string to redact", ErrInvalidField)
	}
	content := object{}
	if raw, present := o["content"]; present {
		if !isObject(raw) {
			return nil, fmt.Errorf("%w: content must be an object", ErrInvalidField)
		}
		var err error
		if content, err = splitObject(raw); err != nil {
			return nil, err
		}
	}

	out := make(object, len(o))
	for k, v := range o {
		if keepsTopLevelKey(rules.Redaction, k) {
			out[k] = v
		}
	}
	kept, err := redactContent(rules, eventType, content)
	if err != nil {
		return nil, err
	}
	encoded, err := kept.encodeCanonical(rules)
	if err != nil {
		return nil, err
	}
	out["content"] = encoded
	return out, nil
}

// keepsTopLevelKey lists the top-level keys a redaction keeps. Version 11
// stops protecting origin, membership and prev_state.
func keepsTopLevelKey(alg roomversion.RedactionAlgorithm, key string) bool {
	switch key {
	case "event_id", "type", "room_id", "sender", "state_key", "content",
		"hashes", "signatures", "depth", "prev_events", "auth_events",
		"origin_server_ts":
		return true
	case "origin", "membership", "prev_state":
		return alg < roomversion.RedactionV11
	}
	return false
}

// redactContent keeps the content keys protected for the event type.
func redactContent(rules roomversion.Rules, eventType string, content object) (object, error) {
	alg := rules.Redaction
	kept := object{}
	keep := func(keys ...string) {
		for _, k := range keys {
			if v, ok := content[k]; ok {
				kept[k] = v
			}
		}
	}
	switch eventType {
	case "m.room.member":
		keep("membership")
		if alg >= roomversion.RedactionV9 {
			keep("join_authorised_via_users_server")
		}
		if alg >= roomversion.RedactionV11 {
			tpi, err := redactThirdPartyInvite(rules, content["third_party_invite"])
			if err != nil {
				return nil, err
			}
			if tpi != nil {
				kept["third_party_invite"] = tpi
			}
		}
	case "m.room.create":
		if alg >= roomversion.RedactionV11 {
			return content, nil
		}
		keep("creator")
	case "m.room.join_rules":
		keep("join_rule")
		if alg >= roomversion.RedactionV8 {
			keep("allow")
		}
	case "m.room.power_levels":
		keep("ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default")
		if alg >= roomversion.RedactionV11 {
			keep("invite")
		}
	case "m.room.aliases":
		if alg < roomversion.RedactionV6 {
			keep("aliases")
		}
	case "m.room.history_visibility":
		keep("history_visibility")
	case "m.room.redaction":
		if alg >= roomversion.RedactionV11 {
			keep("redacts")
		}
	}
	return kept, nil
}

// redactThirdPartyInvite keeps only the "signed" key of a membership's
// third_party_invite (v11). An object without "signed" becomes {} and a
// value that is not an object is dropped, as Synapse does: the shape of
// the redacted content decides the reference hash, so every server must
// agree on it.
func redactThirdPartyInvite(rules roomversion.Rules, raw json.RawMessage) (json.RawMessage, error) {
	if !isObject(raw) {
		return nil, nil
	}
	tpi, err := splitObject(raw)
	if err != nil {
		return nil, err
	}
	kept := object{}
	if signed, ok := tpi["signed"]; ok {
		kept["signed"] = signed
	}
	return kept.encodeCanonical(rules)
}

// Redact returns the redacted form of the event, with the same event ID
// and room ID. It is what a server keeps after an accepted m.room.redaction
// and what it uses in place of an event whose content hash does not match.
//
// https://spec.matrix.org/latest/server-server-api/#validating-hashes-and-signatures-on-received-events
func (e *Event) Redact() (*Event, error) {
	o, err := decodeObject(e.raw)
	if err != nil {
		return nil, err
	}
	r, err := redactObject(e.rules, o)
	if err != nil {
		return nil, err
	}
	b, err := r.encodeCanonical(e.rules)
	if err != nil {
		return nil, err
	}
	red, err := parse(e.rules, b, e.eventID)
	if err != nil {
		return nil, fmt.Errorf("redacted form of %s: %w", e.eventID, err)
	}
	red.redacted = true
	return red, nil
}
