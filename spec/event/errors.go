package event

import "errors"

// Errors returned by this package. Callers tell them apart with errors.Is;
// every error is wrapped with the field or server it is about.
//
// The format errors (ErrInvalidJSON to ErrUnexpectedRoomID) mean the PDU
// does not comply with the event format of its room version: per
// https://spec.matrix.org/latest/server-server-api/#checks-performed-on-receipt-of-a-pdu
// such an event is dropped, not rejected.
var (
	// ErrInvalidJSON: the bytes are not JSON, not an object, or not
	// canonical JSON for the room version (floats, out-of-range integers or
	// duplicate keys in room versions 6 and later).
	ErrInvalidJSON = errors.New("event: invalid JSON")
	// ErrMissingField: a field the event format requires is absent.
	ErrMissingField = errors.New("event: missing required field")
	// ErrInvalidField: a field has the wrong JSON type or an invalid value.
	ErrInvalidField = errors.New("event: invalid field")
	// ErrEventTooLarge: the PDU is over 65536 bytes in canonical JSON.
	ErrEventTooLarge = errors.New("event: larger than 65536 bytes")
	// ErrFieldTooLong: sender, room_id, state_key, type or event_id is over
	// 255 bytes.
	ErrFieldTooLong = errors.New("event: field longer than 255 bytes")
	// ErrTooManyPrevEvents: more than 20 prev_events.
	ErrTooManyPrevEvents = errors.New("event: more than 20 prev_events")
	// ErrTooManyAuthEvents: more than 10 auth_events.
	ErrTooManyAuthEvents = errors.New("event: more than 10 auth_events")
	// ErrUnexpectedEventID: an event_id field in a room version whose event
	// IDs are derived from the reference hash.
	ErrUnexpectedEventID = errors.New("event: event_id present in a room version that derives it")
	// ErrUnexpectedRoomID: a room_id on the create event of a room version
	// whose room ID is derived from the create event.
	ErrUnexpectedRoomID = errors.New("event: room_id present on a create event that derives it")

	// ErrUnsupportedRules: the Rules value is not one of the registry's.
	ErrUnsupportedRules = errors.New("event: unsupported room version rules")

	// ErrContentHashMismatch: the content hash in hashes.sha256 is not the
	// hash of the event. The receiver must use the redacted event instead.
	ErrContentHashMismatch = errors.New("event: content hash mismatch")
	// ErrMissingSignature: a server whose signature is required has no
	// signature by a key the resolver knows and considers valid.
	ErrMissingSignature = errors.New("event: missing signature")
	// ErrInvalidSignature: a signature by a known, valid key does not verify.
	ErrInvalidSignature = errors.New("event: invalid signature")

	// ErrInvalidTemplate: a Template lacks what Build needs.
	ErrInvalidTemplate = errors.New("event: invalid template")
	// ErrUnknownReference: Build could not find the reference hash of a
	// prev or auth event (room versions 1 and 2).
	ErrUnknownReference = errors.New("event: no reference hash for referenced event")
)
