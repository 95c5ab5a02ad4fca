package id

import (
	"fmt"
	"strings"
)

// EventID identifies an event: "$opaque:server" in room versions 1 and 2,
// and "$" followed by the event's reference hash in unpadded base64 from
// room version 3 (standard alphabet in version 3, URL-safe from 4).
//
// https://spec.matrix.org/latest/appendices/#event-ids
type EventID string

// ParseEventID checks s as an event ID of any room version. Which form an
// event of a given room may have is for the room version to say.
func ParseEventID(s string) (EventID, error) {
	opaque, _, hasServer, err := splitSigilled(s, SigilEvent, ErrInvalidEventID)
	if err != nil {
		return "", err
	}
	if !hasServer {
		if len(opaque) != referenceHashLength || !(inAlphabet(opaque, "+/") || inAlphabet(opaque, "-_")) {
			return "", fmt.Errorf("%w %q: without a server name it must be a 43-character base64 hash", ErrInvalidEventID, s)
		}
		return EventID(s), nil
	}
	if opaque == "" || !validOpaqueLocalpart(opaque) {
		return "", fmt.Errorf("%w %q: localpart must be non-empty UTF-8 without NUL", ErrInvalidEventID, s)
	}
	return EventID(s), nil
}

// NewEventID builds an event ID of room versions 1 and 2 from a
// locally unique opaque string and the origin server.
func NewEventID(opaque string, server ServerName) (EventID, error) {
	if strings.Contains(opaque, ":") {
		return "", fmt.Errorf("%w: localpart %q holds ':'", ErrInvalidEventID, opaque)
	}
	if err := server.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidEventID, err)
	}
	return ParseEventID("$" + opaque + ":" + string(server))
}

// Validate checks the event ID as [ParseEventID] does.
func (e EventID) Validate() error {
	_, err := ParseEventID(string(e))
	return err
}

// HasServer reports whether the event ID has a server name, as in room
// versions 1 and 2.
func (e EventID) HasServer() bool { return strings.Contains(string(e), ":") }

// ServerName is the server named in a room version 1 or 2 event ID, or "".
func (e EventID) ServerName() ServerName { return serverOf(string(e)) }

// IsURLSafe reports whether a hash event ID can only be URL-safe base64
// (room version 4 and later). An ID with none of '+', '/', '-' and '_'
// fits both alphabets.
func (e EventID) IsURLSafe() bool {
	return !e.HasServer() && !strings.ContainsAny(string(e), "+/")
}
