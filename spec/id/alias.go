package id

import (
	"fmt"
	"strings"
)

// RoomAlias is a human-readable name for a room: "#alias:server", resolved
// by asking that server.
//
// https://spec.matrix.org/latest/appendices/#room-aliases
type RoomAlias string

// ParseRoomAlias checks s as a room alias. The localpart may hold any code
// point but ':' and NUL; an empty one is rejected, as no server allocates
// it.
func ParseRoomAlias(s string) (RoomAlias, error) {
	localpart, _, hasServer, err := splitSigilled(s, SigilRoomAlias, ErrInvalidRoomAlias)
	if err != nil {
		return "", err
	}
	if !hasServer {
		return "", fmt.Errorf("%w %q: no ':' before the server name", ErrInvalidRoomAlias, s)
	}
	if localpart == "" || !validOpaqueLocalpart(localpart) {
		return "", fmt.Errorf("%w %q: localpart must be non-empty UTF-8 without NUL", ErrInvalidRoomAlias, s)
	}
	return RoomAlias(s), nil
}

// NewRoomAlias builds the alias localpart on server.
func NewRoomAlias(localpart string, server ServerName) (RoomAlias, error) {
	if strings.Contains(localpart, ":") {
		return "", fmt.Errorf("%w: localpart %q holds ':'", ErrInvalidRoomAlias, localpart)
	}
	if err := server.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidRoomAlias, err)
	}
	return ParseRoomAlias("#" + localpart + ":" + string(server))
}

// Validate checks the alias as [ParseRoomAlias] does.
func (a RoomAlias) Validate() error {
	_, err := ParseRoomAlias(string(a))
	return err
}

// Localpart is the part between '#' and the first ':'.
func (a RoomAlias) Localpart() string {
	localpart, _, _ := strings.Cut(strings.TrimPrefix(string(a), "#"), ":")
	return localpart
}

// ServerName is the server that holds the alias.
func (a RoomAlias) ServerName() ServerName { return serverOf(string(a)) }
