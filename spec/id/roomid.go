package id

import (
	"fmt"
	"strings"
)

// RoomID identifies a room: "!opaque:server" in room versions 1 to 11, and
// "!" followed by the URL-safe unpadded base64 reference hash of the
// m.room.create event, without a server, from room version 12.
//
// https://spec.matrix.org/latest/appendices/#room-ids
type RoomID string

// ParseRoomID checks s as a room ID of either form. The opaque part of the
// older form may hold any code point but ':' and NUL.
func ParseRoomID(s string) (RoomID, error) {
	opaque, _, hasServer, err := splitSigilled(s, SigilRoom, ErrInvalidRoomID)
	if err != nil {
		return "", err
	}
	if !hasServer {
		if !isReferenceHash(opaque) {
			return "", fmt.Errorf("%w %q: without a server name it must be a 43-character URL-safe base64 hash", ErrInvalidRoomID, s)
		}
		return RoomID(s), nil
	}
	if opaque == "" || !validOpaqueLocalpart(opaque) {
		return "", fmt.Errorf("%w %q: localpart must be non-empty UTF-8 without NUL", ErrInvalidRoomID, s)
	}
	return RoomID(s), nil
}

// NewRoomID builds a room ID of room versions 1 to 11 from an opaque
// localpart, which should be alphanumeric, and the creating server.
func NewRoomID(opaque string, server ServerName) (RoomID, error) {
	if strings.Contains(opaque, ":") {
		return "", fmt.Errorf("%w: localpart %q holds ':'", ErrInvalidRoomID, opaque)
	}
	if err := server.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidRoomID, err)
	}
	return ParseRoomID("!" + opaque + ":" + string(server))
}

// RoomIDFromCreateEvent is the room ID of a room version 12 room: the ID of
// its m.room.create event with the '!' sigil instead of '$'.
//
// https://spec.matrix.org/latest/rooms/v12/#room-ids
func RoomIDFromCreateEvent(createEventID EventID) (RoomID, error) {
	if createEventID.HasServer() {
		return "", fmt.Errorf("%w: create event ID %q is not a reference hash", ErrInvalidRoomID, createEventID)
	}
	return ParseRoomID("!" + strings.TrimPrefix(string(createEventID), "$"))
}

// Validate checks the room ID as [ParseRoomID] does.
func (r RoomID) Validate() error {
	_, err := ParseRoomID(string(r))
	return err
}

// HasServer reports whether the room ID has a server name, as in room
// versions 1 to 11.
func (r RoomID) HasServer() bool { return strings.Contains(string(r), ":") }

// ServerName is the server that created the room, or "" for a room ID
// without one. It says nothing about which servers are in the room.
func (r RoomID) ServerName() ServerName { return serverOf(string(r)) }

// Opaque is the part between '!' and the server name: the localpart, or
// the create event's reference hash.
func (r RoomID) Opaque() string {
	opaque, _, _ := strings.Cut(strings.TrimPrefix(string(r), "!"), ":")
	return opaque
}

// referenceHashLength is the length of 32 bytes of SHA-256 in unpadded
// base64.
const referenceHashLength = 43

// isReferenceHash reports whether s is a reference hash in URL-safe
// unpadded base64.
func isReferenceHash(s string) bool {
	return len(s) == referenceHashLength && inAlphabet(s, "-_")
}

// inAlphabet reports whether s holds only base64 characters, with extra
// as the two that differ between the standard and URL-safe alphabets.
func inAlphabet(s, extra string) bool {
	for i := range len(s) {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == extra[0] || c == extra[1]) {
			return false
		}
	}
	return true
}
