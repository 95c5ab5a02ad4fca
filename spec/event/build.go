package event

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// Template is what the caller decides about a new event. The caller picks
// the prev and auth events (auth event selection lives with the auth
// rules), the depth and the timestamp; Build does the rest.
type Template struct {
	Type string
	// StateKey is nil for a message event.
	StateKey *string
	Sender   string
	// RoomID is empty for the create event of a room version that derives
	// the room ID from it (version 12); required otherwise.
	RoomID  string
	Content json.RawMessage
	// Redacts is the event an m.room.redaction redacts. Build writes it
	// where the room version wants it: top level before version 11,
	// content.redacts from version 11.
	Redacts        string
	PrevEvents     []string
	AuthEvents     []string
	Depth          int64
	OriginServerTS int64
	Unsigned       json.RawMessage

	// OpaqueID is the locally unique part of a room version 1 or 2 event
	// ID, "$OpaqueID:origin". The caller generates it, keeping this
	// package free of randomness.
	OpaqueID string
	// ReferenceHashes returns {"sha256": reference hash} of a referenced
	// event; room versions 1 and 2 pair it with each prev and auth event
	// ID ((*Event).ReferenceHashes computes it).
	ReferenceHashes func(eventID string) (map[string]string, bool)
}

// Build turns a template into a complete PDU: event ID or references in the
// room version's format, content hash, and the origin's signature made
// with key. The result went through Parse, so it meets the format and size
// limits of the room version.
//
// https://spec.matrix.org/latest/server-server-api/#adding-hashes-and-signatures-to-outgoing-events
func Build(rules roomversion.Rules, t Template, origin string, key signing.SigningKey) (*Event, error) {
	if err := checkRules(rules); err != nil {
		return nil, err
	}
	o, err := t.object(rules, origin)
	if err != nil {
		return nil, err
	}
	raw, err := o.encode(rules)
	if err != nil {
		return nil, err
	}
	signed, err := SignEvent(rules, raw, origin, key)
	if err != nil {
		return nil, err
	}
	return Parse(rules, signed)
}

func (t Template) object(rules roomversion.Rules, origin string) (object, error) {
	if t.Type == "" || t.Sender == "" {
		return nil, fmt.Errorf("%w: type and sender are required", ErrInvalidTemplate)
	}
	o := object{
		"type":             stringValue(t.Type),
		"sender":           stringValue(t.Sender),
		"depth":            json.RawMessage(strconv.FormatInt(t.Depth, 10)),
		"origin_server_ts": json.RawMessage(strconv.FormatInt(t.OriginServerTS, 10)),
	}
	if t.StateKey != nil {
		o["state_key"] = stringValue(*t.StateKey)
	}
	isCreate := t.Type == typeCreate && t.StateKey != nil && *t.StateKey == ""
	switch {
	case rules.RoomIDFromCreateEvent && isCreate:
		if t.RoomID != "" {
			return nil, fmt.Errorf("%w: the create event of room version %q has no room_id", ErrInvalidTemplate, rules.ID)
		}
	case t.RoomID == "":
		return nil, fmt.Errorf("%w: room_id is required", ErrInvalidTemplate)
	default:
		o["room_id"] = stringValue(t.RoomID)
	}

	content, err := t.content(rules)
	if err != nil {
		return nil, err
	}
	o["content"] = content
	if t.Redacts != "" && !rules.ImplicitRoomCreator {
		o["redacts"] = stringValue(t.Redacts)
	}
	if t.Unsigned != nil {
		if !isObject(t.Unsigned) {
			return nil, fmt.Errorf("%w: unsigned must be an object", ErrInvalidTemplate)
		}
		o["unsigned"] = t.Unsigned
	}

	if o["prev_events"], err = t.references(rules, t.PrevEvents); err != nil {
		return nil, err
	}
	if o["auth_events"], err = t.references(rules, t.AuthEvents); err != nil {
		return nil, err
	}
	if rules.EventIDFormat == roomversion.EventIDServerAssigned {
		if t.OpaqueID == "" {
			return nil, fmt.Errorf("%w: room version %q needs an OpaqueID for the event ID", ErrInvalidTemplate, rules.ID)
		}
		o["event_id"] = stringValue("$" + t.OpaqueID + ":" + origin)
	}
	return o, nil
}

// content returns the template's content, with redacts moved into it for
// room versions 11 and later.
func (t Template) content(rules roomversion.Rules) (json.RawMessage, error) {
	raw := t.Content
	if raw == nil {
		raw = json.RawMessage("{}")
	}
	var c object
	if !isObject(raw) || json.Unmarshal(raw, &c) != nil {
		return nil, fmt.Errorf("%w: content must be a JSON object", ErrInvalidTemplate)
	}
	if t.Redacts == "" || !rules.ImplicitRoomCreator {
		return raw, nil
	}
	if existing, ok := c["redacts"]; ok {
		if s, _ := jsonString(existing); s != t.Redacts {
			return nil, fmt.Errorf("%w: content.redacts differs from Redacts", ErrInvalidTemplate)
		}
		return raw, nil
	}
	c["redacts"] = stringValue(t.Redacts)
	b, err := json.Marshal(map[string]json.RawMessage(c))
	if err != nil {
		return nil, fmt.Errorf("%w: content: %w", ErrInvalidTemplate, err)
	}
	return b, nil
}

// references writes prev_events or auth_events in the room version's
// format: [id, {"sha256": hash}] pairs in versions 1 and 2, IDs after.
func (t Template) references(rules roomversion.Rules, ids []string) (json.RawMessage, error) {
	if ids == nil {
		ids = []string{}
	}
	if rules.EventFormat != roomversion.EventFormatV1 {
		b, err := json.Marshal(ids)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidTemplate, err)
		}
		return b, nil
	}
	pairs := make([][2]any, len(ids))
	for i, id := range ids {
		if t.ReferenceHashes == nil {
			return nil, fmt.Errorf("%w: %s (no ReferenceHashes lookup)", ErrUnknownReference, id)
		}
		hashes, ok := t.ReferenceHashes(id)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownReference, id)
		}
		pairs[i] = [2]any{id, hashes}
	}
	b, err := json.Marshal(pairs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTemplate, err)
	}
	return b, nil
}
