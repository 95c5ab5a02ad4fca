// Package event implements the persistent data unit (PDU) of every room
// version: parsing, content and reference hashes, event IDs, redaction and
// building new events from a template.
//
// https://spec.matrix.org/latest/server-server-api/#pdus
package event

import (
	"encoding/json"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// PDU is a parsed, immutable room event. It is the contract the auth rules,
// state resolution and every component code against; the concrete type in
// this package implements it, and tests may implement it with fixtures.
type PDU interface {
	EventID() string
	RoomID() string
	Type() string
	// StateKey is nil for message events.
	StateKey() *string
	Sender() string
	Content() json.RawMessage
	// PrevEventIDs and AuthEventIDs are the referenced event IDs, whatever
	// the wire format (v1 pairs or v3+ plain IDs).
	PrevEventIDs() []string
	AuthEventIDs() []string
	Depth() int64
	OriginServerTS() int64
	// Redacts is the redacted event ID of an m.room.redaction, read from
	// the top level or from content depending on the room version.
	Redacts() string
	Version() roomversion.ID
	// JSON is the event as sent over federation (canonical form).
	JSON() []byte
}
