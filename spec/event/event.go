package event

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// Event is a PDU that passed the format checks of its room version. It is
// immutable: accessors return copies of slices and maps.
//
// https://spec.matrix.org/latest/server-server-api/#pdus
type Event struct {
	rules roomversion.Rules
	// raw is the canonical JSON of the event as received or built.
	raw []byte

	eventID        string
	roomID         string
	eventType      string
	stateKey       *string
	sender         string
	origin         string
	content        json.RawMessage
	redacts        string
	depth          int64
	originServerTS int64
	prevEvents     []EventReference
	authEvents     []EventReference
	hashes         map[string]string
	signatures     map[string]map[signing.KeyID]string
	unsigned       json.RawMessage
	redacted       bool
}

// EventReference is one entry of prev_events or auth_events. In room
// versions 1 and 2 it is an [event_id, {"sha256": reference hash}] pair;
// from version 3 it is only the event ID and Hashes is nil.
type EventReference struct {
	EventID string
	Hashes  map[string]string
}

var _ PDU = (*Event)(nil)

// EventID is the event's ID: the event_id field in room versions 1 and 2,
// "$" + the reference hash from version 3.
func (e *Event) EventID() string { return e.eventID }

// RoomID is the room_id field, or in room version 12 for the create event
// "!" + the create event's reference hash.
func (e *Event) RoomID() string { return e.roomID }

func (e *Event) Type() string { return e.eventType }

// StateKey is nil for message events.
func (e *Event) StateKey() *string {
	if e.stateKey == nil {
		return nil
	}
	s := *e.stateKey
	return &s
}

// StateKeyEquals reports whether the event is a state event with state key
// k, without allocating.
func (e *Event) StateKeyEquals(k string) bool { return e.stateKey != nil && *e.stateKey == k }

func (e *Event) Sender() string { return e.sender }

// Origin is the legacy top-level "origin" field, "" when absent. No room
// version requires it and servers must not trust it.
func (e *Event) Origin() string { return e.origin }

func (e *Event) Content() json.RawMessage { return slices.Clone(e.content) }

// PrevEventIDs are the IDs in prev_events, whatever the wire format.
func (e *Event) PrevEventIDs() []string { return referenceIDs(e.prevEvents) }

// AuthEventIDs are the IDs listed in auth_events. In room version 12 the
// create event is not listed: RoomID implies it (see CreateEventIDFromRoomID).
func (e *Event) AuthEventIDs() []string { return referenceIDs(e.authEvents) }

// PrevEvents are the prev_events in wire form.
func (e *Event) PrevEvents() []EventReference { return cloneReferences(e.prevEvents) }

// AuthEvents are the auth_events in wire form.
func (e *Event) AuthEvents() []EventReference { return cloneReferences(e.authEvents) }

func (e *Event) Depth() int64 { return e.depth }

func (e *Event) OriginServerTS() int64 { return e.originServerTS }

// Redacts is the ID of the event an m.room.redaction redacts: the
// top-level "redacts" field before room version 11, content.redacts from
// version 11. It is "" for other event types and when absent.
func (e *Event) Redacts() string { return e.redacts }

func (e *Event) Version() roomversion.ID { return e.rules.ID }

// Rules are the room version rules the event was parsed with.
func (e *Event) Rules() roomversion.Rules { return e.rules }

// JSON is the event in canonical JSON, as sent over federation: without
// event_id from room version 3, with unsigned as received or built.
func (e *Event) JSON() []byte { return slices.Clone(e.raw) }

// Hashes is the "hashes" object: algorithm to unpadded base64 content hash.
func (e *Event) Hashes() map[string]string { return maps.Clone(e.hashes) }

// Signatures is the "signatures" object: server name to key ID to
// unpadded base64 signature.
func (e *Event) Signatures() map[string]map[signing.KeyID]string {
	out := make(map[string]map[signing.KeyID]string, len(e.signatures))
	for server, sigs := range e.signatures {
		out[server] = maps.Clone(sigs)
	}
	return out
}

// Unsigned is the "unsigned" object, nil when absent. It is covered by
// neither hashes nor signatures.
func (e *Event) Unsigned() json.RawMessage { return slices.Clone(e.unsigned) }

// Redacted reports whether the event is the result of (*Event).Redact.
func (e *Event) Redacted() bool { return e.redacted }

// IsState reports whether the event has a state_key.
func (e *Event) IsState() bool { return e.stateKey != nil }

func referenceIDs(refs []EventReference) []string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.EventID
	}
	return ids
}

func cloneReferences(refs []EventReference) []EventReference {
	out := make([]EventReference, len(refs))
	for i, r := range refs {
		out[i] = EventReference{EventID: r.EventID, Hashes: maps.Clone(r.Hashes)}
	}
	return out
}
