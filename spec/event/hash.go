package event

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// ContentHash computes the content hash of an event: the SHA-256 of its
// canonical JSON without unsigned, signatures and hashes. It covers the
// unredacted content, so a mismatch shows that the event was redacted or
// tampered with.
//
// https://spec.matrix.org/latest/server-server-api/#calculating-the-content-hash-for-an-event
func ContentHash(rules roomversion.Rules, raw []byte) ([sha256.Size]byte, error) {
	var (
		b   []byte
		err error
	)
	if rules.StrictCanonicalJSON {
		b, err = canonicaljson.CanonicalizeWithout(raw, "unsigned", "signatures", "hashes")
	} else {
		b, err = canonicaljson.CanonicalizeLenientWithout(raw, "unsigned", "signatures", "hashes")
	}
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	return sha256.Sum256(b), nil
}

// ReferenceHash computes the reference hash of an event: the SHA-256 of the
// canonical JSON of its redacted form without signatures and unsigned. It
// covers only the essential fields (and through hashes the rest), and is
// the event ID from room version 3.
//
// https://spec.matrix.org/latest/server-server-api/#calculating-the-reference-hash-for-an-event
func ReferenceHash(rules roomversion.Rules, raw []byte) ([sha256.Size]byte, error) {
	o, err := decodeCanonical(rules, raw)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return referenceHashOf(rules, o)
}

// EventIDFromReferenceHash writes the event ID of a room version that
// derives it: "$" + unpadded base64 of the reference hash, in the standard
// alphabet in room version 3 and the URL-safe alphabet from version 4.
//
// https://spec.matrix.org/latest/rooms/v3/#event-ids
// https://spec.matrix.org/latest/rooms/v4/#event-ids
func EventIDFromReferenceHash(rules roomversion.Rules, hash [sha256.Size]byte) (string, error) {
	switch rules.EventIDFormat {
	case roomversion.EventIDReferenceHash:
		return "$" + b64.Encode(hash[:]), nil
	case roomversion.EventIDReferenceHashURLSafe:
		return "$" + b64.EncodeURLSafe(hash[:]), nil
	}
	return "", fmt.Errorf("%w: room version %q does not derive event IDs", ErrUnsupportedRules, rules.ID)
}

// RoomIDFromCreateEventID is the room ID of a room version 12 room: the
// create event's ID with the ! sigil in place of $.
//
// https://spec.matrix.org/latest/appendices/#room-ids
func RoomIDFromCreateEventID(createEventID string) string {
	return "!" + strings.TrimPrefix(createEventID, "$")
}

// CreateEventIDFromRoomID is the inverse of RoomIDFromCreateEventID: in
// room version 12 the create event is implied by the room ID and is not
// listed in auth_events.
//
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
func CreateEventIDFromRoomID(roomID string) string {
	return "$" + strings.TrimPrefix(roomID, "!")
}

// ContentHash computes the event's content hash (see the function of the
// same name).
func (e *Event) ContentHash() ([sha256.Size]byte, error) {
	return ContentHash(e.rules, e.raw)
}

// ReferenceHash computes the event's reference hash (see the function of
// the same name).
func (e *Event) ReferenceHash() ([sha256.Size]byte, error) {
	o, err := decodeObject(e.raw)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return referenceHashOf(e.rules, o)
}

// ReferenceHashes is the hashes half of a room version 1 event reference,
// {"sha256": unpadded base64 reference hash}, as Build needs it for the
// events a new event references.
func (e *Event) ReferenceHashes() (map[string]string, error) {
	h, err := e.ReferenceHash()
	if err != nil {
		return nil, err
	}
	return map[string]string{"sha256": b64.Encode(h[:])}, nil
}

// CheckContentHash compares the event's hashes.sha256 with its content
// hash. It returns ErrContentHashMismatch (or ErrInvalidField for a
// sha256 that is not base64) when they differ: the receiver then stores
// and processes the redacted event, (*Event).Redact, in its place.
//
// https://spec.matrix.org/latest/server-server-api/#validating-hashes-and-signatures-on-received-events
func CheckContentHash(ev *Event) error {
	want, err := b64.Decode(ev.hashes["sha256"])
	if err != nil {
		return fmt.Errorf("%w: hashes.sha256: %w", ErrInvalidField, err)
	}
	got, err := ev.ContentHash()
	if err != nil {
		return err
	}
	if !bytes.Equal(want, got[:]) {
		return fmt.Errorf("%w: event %s", ErrContentHashMismatch, ev.eventID)
	}
	return nil
}

func decodeCanonical(rules roomversion.Rules, raw []byte) (object, error) {
	canonical, err := canonicalize(rules, raw)
	if err != nil {
		return nil, err
	}
	return decodeObject(canonical)
}

func referenceHashOf(rules roomversion.Rules, o object) ([sha256.Size]byte, error) {
	r, err := redactObject(rules, o)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	delete(r, "signatures")
	delete(r, "unsigned")
	b, err := r.encodeCanonical(rules)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// eventIDOf derives the event ID from the reference hash (room version 3+).
func eventIDOf(rules roomversion.Rules, o object) (string, error) {
	h, err := referenceHashOf(rules, o)
	if err != nil {
		return "", err
	}
	return EventIDFromReferenceHash(rules, h)
}
