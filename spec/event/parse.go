package event

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// Limits of the event format.
//
// https://spec.matrix.org/latest/client-server-api/#size-limits
// https://spec.matrix.org/latest/server-server-api/#pdus (pdu_v1 to pdu_v12)
const (
	// MaxPDUSize bounds the canonical JSON of a PDU, in bytes.
	MaxPDUSize = 65536
	// MaxFieldSize bounds sender, room_id, state_key, type and event_id,
	// in bytes.
	MaxFieldSize = 255
	// MaxPrevEvents and MaxAuthEvents bound the reference lists.
	MaxPrevEvents = 20
	MaxAuthEvents = 10
)

// Event types whose shape the event format depends on.
const (
	typeCreate    = "m.room.create"
	typeMember    = "m.room.member"
	typeRedaction = "m.room.redaction"
)

// Parse checks that raw is a PDU in the event format of the room version and
// returns it with its event ID: the event_id field in room versions 1 and 2,
// computed from the reference hash from version 3. It checks the format and
// size limits only; signatures, the content hash and the auth rules are the
// next steps of the checks performed on receipt of a PDU.
//
// https://spec.matrix.org/latest/server-server-api/#checks-performed-on-receipt-of-a-pdu
// https://spec.matrix.org/latest/rooms/v12/#event-format
func Parse(rules roomversion.Rules, raw []byte) (*Event, error) {
	return parse(rules, raw, "")
}

// ParseWithEventID is Parse for an event whose ID the caller already knows,
// such as one loaded from storage: from room version 3 the reference hash
// is not recomputed and eventID is trusted. In room versions 1 and 2 it
// must equal the event_id field.
func ParseWithEventID(rules roomversion.Rules, raw []byte, eventID string) (*Event, error) {
	if eventID == "" {
		return nil, fmt.Errorf("%w: empty event ID", ErrInvalidField)
	}
	return parse(rules, raw, eventID)
}

func parse(rules roomversion.Rules, raw []byte, knownID string) (*Event, error) {
	if err := checkRules(rules); err != nil {
		return nil, err
	}
	canonical, err := canonicalize(rules, raw)
	if err != nil {
		return nil, err
	}
	o, err := decodeObject(canonical)
	if err != nil {
		return nil, err
	}
	if size := signedSize(canonical, o); size > MaxPDUSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrEventTooLarge, size)
	}
	e := &Event{rules: rules, raw: canonical}
	if err := e.parseCommon(o); err != nil {
		return nil, err
	}
	if err := e.parseReferences(o); err != nil {
		return nil, err
	}
	if err := e.parseEventID(o, knownID); err != nil {
		return nil, err
	}
	if err := e.parseRoomID(o); err != nil {
		return nil, err
	}
	if err := e.parseRedacts(o); err != nil {
		return nil, err
	}
	return e, nil
}

// signedSize is the canonical size without "unsigned". The limit applies
// to the event as the origin signed it: unsigned is covered by neither
// hashes nor signatures and servers rewrite it in transit, so counting it
// would make acceptance depend on the path the event took.
func signedSize(canonical []byte, o object) int {
	u, ok := o["unsigned"]
	if !ok {
		return len(canonical)
	}
	size := len(canonical) - len(`"unsigned":`) - len(u)
	if len(o) > 1 {
		size-- // the separating comma
	}
	return size
}

func checkRules(rules roomversion.Rules) error {
	switch {
	case rules.EventFormat < roomversion.EventFormatV1 || rules.EventFormat > roomversion.EventFormatV12,
		rules.EventIDFormat < roomversion.EventIDServerAssigned || rules.EventIDFormat > roomversion.EventIDReferenceHashURLSafe,
		rules.Redaction < roomversion.RedactionV1 || rules.Redaction > roomversion.RedactionV11:
		return fmt.Errorf("%w: %q", ErrUnsupportedRules, rules.ID)
	}
	return nil
}

// parseCommon reads the fields every event format shares (pdu_base).
func (e *Event) parseCommon(o object) error {
	var err error
	if e.eventType, err = requiredString(o, "type"); err != nil {
		return err
	}
	if e.sender, err = requiredString(o, "sender"); err != nil {
		return err
	}
	if _, ok := userServerName(e.sender); !ok {
		return fmt.Errorf("%w: sender %q is not a user ID", ErrInvalidField, e.sender)
	}
	if raw, ok := o["state_key"]; ok {
		s, isString := jsonString(raw)
		if !isString {
			return fmt.Errorf("%w: state_key must be a string", ErrInvalidField)
		}
		e.stateKey = &s
	}
	e.origin, _ = jsonString(o["origin"])
	if e.content, err = requiredObject(o, "content"); err != nil {
		return err
	}
	if e.depth, err = requiredInt(o, "depth"); err != nil {
		return err
	}
	if e.depth < 0 {
		return fmt.Errorf("%w: depth %d is negative", ErrInvalidField, e.depth)
	}
	if e.originServerTS, err = requiredInt(o, "origin_server_ts"); err != nil {
		return err
	}
	if e.hashes, err = parseHashes(o); err != nil {
		return err
	}
	if e.signatures, err = parseSignatures(o); err != nil {
		return err
	}
	if raw, ok := o["unsigned"]; ok {
		if !isObject(raw) {
			return fmt.Errorf("%w: unsigned must be an object", ErrInvalidField)
		}
		e.unsigned = raw
	}
	switch {
	case len(e.eventType) > MaxFieldSize:
		return fmt.Errorf("%w: type", ErrFieldTooLong)
	case len(e.sender) > MaxFieldSize:
		return fmt.Errorf("%w: sender", ErrFieldTooLong)
	case e.stateKey != nil && len(*e.stateKey) > MaxFieldSize:
		return fmt.Errorf("%w: state_key", ErrFieldTooLong)
	}
	return nil
}

// parseReferences reads prev_events and auth_events: [id, hashes] pairs in
// room versions 1 and 2, plain event IDs from version 3.
func (e *Event) parseReferences(o object) error {
	var err error
	if e.prevEvents, err = e.parseReferenceList(o, "prev_events", MaxPrevEvents, ErrTooManyPrevEvents); err != nil {
		return err
	}
	e.authEvents, err = e.parseReferenceList(o, "auth_events", MaxAuthEvents, ErrTooManyAuthEvents)
	return err
}

func (e *Event) parseReferenceList(o object, key string, limit int, tooMany error) ([]EventReference, error) {
	raw, ok := o[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrMissingField, key)
	}
	if !isArray(raw) {
		return nil, fmt.Errorf("%w: %s must be an array", ErrInvalidField, key)
	}
	items, err := splitArray(raw)
	if err != nil {
		return nil, err
	}
	if len(items) > limit {
		return nil, fmt.Errorf("%w: %d", tooMany, len(items))
	}
	refs := make([]EventReference, len(items))
	for i, item := range items {
		if e.rules.EventFormat != roomversion.EventFormatV1 {
			id, ok := jsonString(item)
			if !ok {
				return nil, fmt.Errorf("%w: %s[%d] must be an event ID", ErrInvalidField, key, i)
			}
			refs[i] = EventReference{EventID: id}
			continue
		}
		ref, err := parsePair(item)
		if err != nil {
			return nil, fmt.Errorf("%w: %s[%d]: %w", ErrInvalidField, key, i, err)
		}
		refs[i] = ref
	}
	return refs, nil
}

// parsePair reads a room version 1 reference: [event_id, {alg: hash}].
func parsePair(raw json.RawMessage) (EventReference, error) {
	pair, err := splitArray(raw)
	if err != nil || len(pair) != 2 {
		return EventReference{}, fmt.Errorf("want an [event_id, hashes] pair")
	}
	id, ok := jsonString(pair[0])
	if !ok {
		return EventReference{}, fmt.Errorf("event ID must be a string")
	}
	hashes, ok := stringMap(pair[1])
	if !ok {
		return EventReference{}, fmt.Errorf("hashes must be an object of strings")
	}
	return EventReference{EventID: id, Hashes: hashes}, nil
}

func (e *Event) parseEventID(o object, knownID string) error {
	raw, present := o["event_id"]
	if e.rules.EventIDFormat != roomversion.EventIDServerAssigned {
		if present {
			return ErrUnexpectedEventID
		}
		if knownID != "" {
			e.eventID = knownID
			return nil
		}
		id, err := eventIDOf(e.rules, o)
		if err != nil {
			return err
		}
		e.eventID = id
		return nil
	}
	if !present {
		return fmt.Errorf("%w: event_id", ErrMissingField)
	}
	id, ok := jsonString(raw)
	if !ok {
		return fmt.Errorf("%w: event_id must be a string", ErrInvalidField)
	}
	if len(id) > MaxFieldSize {
		return fmt.Errorf("%w: event_id", ErrFieldTooLong)
	}
	if !strings.HasPrefix(id, "$") {
		return fmt.Errorf("%w: event_id %q has no $ sigil", ErrInvalidField, id)
	}
	if _, ok := serverNameOf(id); !ok {
		return fmt.Errorf("%w: event_id %q has no server name", ErrInvalidField, id)
	}
	if knownID != "" && knownID != id {
		return fmt.Errorf("%w: event_id %q is not the expected %q", ErrInvalidField, id, knownID)
	}
	e.eventID = id
	return nil
}

// parseRoomID reads room_id. In room version 12 the create event has none:
// its room ID is its event ID with the ! sigil.
func (e *Event) parseRoomID(o object) error {
	raw, present := o["room_id"]
	isCreate := e.eventType == typeCreate && e.StateKeyEquals("")
	if e.rules.RoomIDFromCreateEvent && isCreate {
		if present {
			return ErrUnexpectedRoomID
		}
		e.roomID = RoomIDFromCreateEventID(e.eventID)
		return nil
	}
	if !present {
		return fmt.Errorf("%w: room_id", ErrMissingField)
	}
	id, ok := jsonString(raw)
	if !ok {
		return fmt.Errorf("%w: room_id must be a string", ErrInvalidField)
	}
	if len(id) > MaxFieldSize {
		return fmt.Errorf("%w: room_id", ErrFieldTooLong)
	}
	if e.rules.RoomIDFromCreateEvent && !strings.HasPrefix(id, "!") {
		// The create event's ID is read back from the room ID.
		return fmt.Errorf("%w: room_id %q has no ! sigil", ErrInvalidField, id)
	}
	e.roomID = id
	return nil
}

// parseRedacts reads the redacted event ID of an m.room.redaction: a
// top-level field before room version 11, a content field from version 11.
func (e *Event) parseRedacts(o object) error {
	if e.eventType != typeRedaction {
		return nil
	}
	raw, present := o["redacts"]
	where := "redacts"
	if e.rules.ImplicitRoomCreator {
		content, err := splitObject(e.content)
		if err != nil {
			return err
		}
		raw, present = content["redacts"]
		where = "content.redacts"
	}
	if !present {
		return nil
	}
	id, ok := jsonString(raw)
	if !ok {
		return fmt.Errorf("%w: %s must be a string", ErrInvalidField, where)
	}
	e.redacts = id
	return nil
}
