package id

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// DeviceID identifies one of a user's devices (a login session). The spec
// leaves it opaque; clients may choose it.
//
// https://spec.matrix.org/latest/client-server-api/#relationship-between-access-tokens-and-devices
type DeviceID string

// ParseDeviceID accepts any device ID a client could have been given or
// have chosen: non-empty UTF-8 without NUL, at most 255 bytes (the limit
// the spec puts on every other identifier, so that device IDs fit in
// indexes and key IDs).
func ParseDeviceID(s string) (DeviceID, error) {
	switch {
	case s == "":
		return "", fmt.Errorf("%w: empty", ErrInvalidDeviceID)
	case len(s) > MaxLength:
		return "", fmt.Errorf("%w %q: longer than %d bytes", ErrInvalidDeviceID, s, MaxLength)
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return "", fmt.Errorf("%w %q: must be UTF-8 without NUL", ErrInvalidDeviceID, s)
	}
	return DeviceID(s), nil
}

// Validate checks the device ID as [ParseDeviceID] does.
func (d DeviceID) Validate() error {
	_, err := ParseDeviceID(string(d))
	return err
}

// IsScopeToken reports whether the device ID can appear in the OAuth 2.0
// scope token urn:matrix:client:device:<device_id>, which allows only
// the characters %x21 / %x23-5B / %x5D-7E of RFC 6749 section 3.3.
//
// https://spec.matrix.org/latest/client-server-api/#device-id-allocation
func (d DeviceID) IsScopeToken() bool {
	if d == "" {
		return false
	}
	for i := range len(d) {
		c := d[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
