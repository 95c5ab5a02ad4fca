package id

import (
	"fmt"
	"strings"
)

// ValidateNamespaced checks the Common Namespaced Identifier Grammar: 1 to
// 255 characters of [a-z0-9._-] starting with [a-z]. Whether an "m."
// identifier is one the spec defines is for the caller to know.
//
// https://spec.matrix.org/latest/appendices/#common-namespaced-identifier-grammar
func ValidateNamespaced(s string) error {
	if s == "" || len(s) > MaxLength {
		return fmt.Errorf("%w %q: must be 1 to %d characters", ErrInvalidIdentifier, s, MaxLength)
	}
	if s[0] < 'a' || s[0] > 'z' {
		return fmt.Errorf("%w %q: must start with a-z", ErrInvalidIdentifier, s)
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%w %q: %q is not one of a-z 0-9 -_.", ErrInvalidIdentifier, s, c)
		}
	}
	return nil
}

// IsReservedNamespace reports whether a namespaced identifier is in the
// "m." namespace that only the spec may use.
func IsReservedNamespace(s string) bool { return strings.HasPrefix(s, "m.") }

// ValidateOpaque checks the Opaque Identifier Grammar: 1 to 255 of the
// RFC 3986 unreserved characters [0-9A-Za-z-._~].
//
// https://spec.matrix.org/latest/appendices/#opaque-identifiers
func ValidateOpaque(s string) error {
	if s == "" || len(s) > MaxLength {
		return fmt.Errorf("%w %q: must be 1 to %d characters", ErrInvalidIdentifier, s, MaxLength)
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return fmt.Errorf("%w %q: %q is not one of A-Z a-z 0-9 -._~", ErrInvalidIdentifier, s, c)
		}
	}
	return nil
}
