// Package signing is ed25519 signing keys and signed JSON: how servers (and
// devices) sign a JSON object and how anyone checks such a signature.
//
// https://spec.matrix.org/latest/appendices/#signing-json
//
// Signed bytes are produced with [canonicaljson.CanonicalizeLenient], which
// writes every number exactly as Synapse's signing code does. Whether a
// message may hold floats or large integers at all is a rule of the room
// version or endpoint, enforced by the caller before signing or checking.
package signing

import (
	"errors"
	"fmt"
	"strings"
)

// KeyID is a signing key identifier: the signing algorithm and a key
// version joined by a colon, such as "ed25519:abc123".
//
// https://spec.matrix.org/latest/appendices/#signing-details
type KeyID string

// AlgorithmEd25519 is the only signing algorithm homeservers support.
const AlgorithmEd25519 = "ed25519"

// ErrInvalidKeyID is returned by [ParseKeyID].
var ErrInvalidKeyID = errors.New("signing: invalid key ID")

// ParseKeyID checks s against the grammar of server signing key IDs: an
// algorithm and a version, each one or more of [a-zA-Z0-9_], joined by
// ":". Device and cross-signing keys use the same shape with a device ID or
// a base64 public key as version, outside this grammar; their IDs are plain
// conversions, KeyID("ed25519:" + deviceID).
//
// https://spec.matrix.org/latest/server-server-api/#publishing-keys
func ParseKeyID(s string) (KeyID, error) {
	algorithm, version, ok := strings.Cut(s, ":")
	if !ok {
		return "", fmt.Errorf("%w %q: no ':' between algorithm and version", ErrInvalidKeyID, s)
	}
	if !isKeyIDPart(algorithm) {
		return "", fmt.Errorf("%w %q: algorithm must be one or more of [a-zA-Z0-9_]", ErrInvalidKeyID, s)
	}
	if !isKeyIDPart(version) {
		return "", fmt.Errorf("%w %q: version must be one or more of [a-zA-Z0-9_]", ErrInvalidKeyID, s)
	}
	return KeyID(s), nil
}

// NewKeyID joins an algorithm and a version, checking them as [ParseKeyID]
// does.
func NewKeyID(algorithm, version string) (KeyID, error) {
	return ParseKeyID(algorithm + ":" + version)
}

// Algorithm is the part before the first colon, such as "ed25519".
func (id KeyID) Algorithm() string {
	algorithm, _, _ := strings.Cut(string(id), ":")
	return algorithm
}

// Version is the part after the first colon, which tells apart the keys of
// one entity.
func (id KeyID) Version() string {
	_, version, _ := strings.Cut(string(id), ":")
	return version
}

func isKeyIDPart(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
