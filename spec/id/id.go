// Package id is the grammar of Matrix identifiers: user IDs, room IDs,
// event IDs, room aliases, server names and device IDs, each a distinct
// string type with a Parse function that checks it.
//
// https://spec.matrix.org/latest/appendices/#identifier-grammar
//
// Parsing accepts everything the spec says servers MUST accept, which for
// identifiers found in events is more than a server may create: historical
// user IDs, room IDs with any localpart, and event IDs of every room
// version. The New functions and the Strict variants apply the rules for
// identifiers this server allocates.
package id

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Errors returned when an identifier does not follow its grammar; each is
// wrapped with the offending value and the rule it breaks.
var (
	ErrInvalidUserID     = errors.New("invalid user ID")
	ErrInvalidLocalpart  = errors.New("invalid user ID localpart")
	ErrInvalidRoomID     = errors.New("invalid room ID")
	ErrInvalidEventID    = errors.New("invalid event ID")
	ErrInvalidRoomAlias  = errors.New("invalid room alias")
	ErrInvalidServerName = errors.New("invalid server name")
	ErrInvalidDeviceID   = errors.New("invalid device ID")
	ErrInvalidIdentifier = errors.New("invalid identifier")
)

// MaxLength is the limit in bytes, sigil and server name included, on user
// IDs, room IDs, event IDs and room aliases.
const MaxLength = 255

// Sigils of the common identifier format.
// https://spec.matrix.org/latest/appendices/#common-identifier-format
const (
	SigilUser      = '@'
	SigilRoom      = '!'
	SigilEvent     = '$'
	SigilRoomAlias = '#'
)

// splitSigilled checks the sigil and length of s and splits it at its
// first ':' into an opaque part and a server name. hasServer is false when
// there is no ':'; the caller decides whether that is allowed.
func splitSigilled(s string, sigil byte, kind error) (opaque string, server ServerName, hasServer bool, err error) {
	if len(s) == 0 || s[0] != sigil {
		return "", "", false, fmt.Errorf("%w %q: must start with %q", kind, s, sigil)
	}
	if len(s) > MaxLength {
		return "", "", false, fmt.Errorf("%w %q: longer than %d bytes", kind, s, MaxLength)
	}
	opaque, rest, hasServer := strings.Cut(s[1:], ":")
	if !hasServer {
		return opaque, "", false, nil
	}
	server, err = ParseServerName(rest)
	if err != nil {
		return "", "", false, fmt.Errorf("%w %q: %w", kind, s, err)
	}
	return opaque, server, true, nil
}

// validOpaqueLocalpart reports whether s holds only what the localparts of
// historical user IDs, room IDs and aliases may: valid non-surrogate code
// points other than ':' and NUL. Go's UTF-8 validation already rejects
// encoded surrogates.
func validOpaqueLocalpart(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, ":\x00")
}

// serverOf returns the server name after the first ':' of an identifier
// already validated, or "".
func serverOf(s string) ServerName {
	_, server, _ := strings.Cut(s, ":")
	return ServerName(server)
}
