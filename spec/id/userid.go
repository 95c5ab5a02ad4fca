package id

import (
	"fmt"
	"strings"
)

// UserID identifies a user: "@localpart:server".
//
// https://spec.matrix.org/latest/appendices/#user-identifiers
type UserID string

// ParseUserID checks s as a user ID that may be historical: its localpart
// may hold any code point but ':' and NUL, and may even be empty, because
// rooms hold events from such users and servers MUST accept them. Use
// [ParseUserIDStrict] for IDs a user is registering.
//
// https://spec.matrix.org/latest/appendices/#historical-user-ids
func ParseUserID(s string) (UserID, error) {
	localpart, _, hasServer, err := splitSigilled(s, SigilUser, ErrInvalidUserID)
	if err != nil {
		return "", err
	}
	if !hasServer {
		return "", fmt.Errorf("%w %q: no ':' before the server name", ErrInvalidUserID, s)
	}
	if !validOpaqueLocalpart(localpart) {
		return "", fmt.Errorf("%w %q: localpart must be UTF-8 without NUL", ErrInvalidUserID, s)
	}
	return UserID(s), nil
}

// ParseUserIDStrict checks s as a user ID of the current grammar, whose
// localpart is one or more of a-z, 0-9 and ._=-/+.
//
// https://spec.matrix.org/latest/appendices/#user-identifiers
func ParseUserIDStrict(s string) (UserID, error) {
	u, err := ParseUserID(s)
	if err != nil {
		return "", err
	}
	if err := ValidateLocalpart(u.Localpart()); err != nil {
		return "", fmt.Errorf("%w %q: %w", ErrInvalidUserID, s, err)
	}
	return u, nil
}

// NewUserID builds the ID of a new user on server, which must have a
// localpart of the current grammar.
func NewUserID(localpart string, server ServerName) (UserID, error) {
	if err := ValidateLocalpart(localpart); err != nil {
		return "", err
	}
	if err := server.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidUserID, err)
	}
	return ParseUserIDStrict("@" + localpart + ":" + string(server))
}

// ValidateLocalpart checks the localpart of a user ID this server creates:
// not empty, and only a-z, 0-9, '.', '_', '=', '-', '/' and '+'.
// (The 255-byte limit applies to the whole ID; see [NewUserID].)
//
// https://spec.matrix.org/latest/appendices/#user-identifiers
func ValidateLocalpart(localpart string) error {
	if localpart == "" {
		return fmt.Errorf("%w: empty", ErrInvalidLocalpart)
	}
	for i := range len(localpart) {
		if !isUserIDChar(localpart[i]) {
			return fmt.Errorf("%w %q: %q is not one of a-z 0-9 ._=-/+", ErrInvalidLocalpart, localpart, localpart[i])
		}
	}
	return nil
}

func isUserIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '=' || c == '_' || c == '/' || c == '+'
}

// Validate checks the user ID as [ParseUserID] does.
func (u UserID) Validate() error {
	_, err := ParseUserID(string(u))
	return err
}

// Localpart is the part between '@' and the first ':'.
func (u UserID) Localpart() string {
	localpart, _, _ := strings.Cut(strings.TrimPrefix(string(u), "@"), ":")
	return localpart
}

// ServerName is the server that allocated the user ID.
func (u UserID) ServerName() ServerName { return serverOf(string(u)) }

// IsHistorical reports whether the localpart is outside the current
// grammar, as only users registered under older versions of the spec are.
func (u UserID) IsHistorical() bool {
	return ValidateLocalpart(u.Localpart()) != nil
}

// IsCompliant reports whether the localpart is non-empty and within
// U+0021 to U+007E. Servers accept events from non-compliant users but
// SHOULD NOT forward such IDs to clients outside of events (device list
// updates from them, for example, are dropped).
//
// https://spec.matrix.org/latest/appendices/#historical-user-ids
func (u UserID) IsCompliant() bool {
	localpart := u.Localpart()
	if localpart == "" {
		return false
	}
	for i := range len(localpart) {
		if localpart[i] < 0x21 || localpart[i] > 0x7e {
			return false
		}
	}
	return true
}
