// Package b64 is the unpadded base64 that Matrix uses for every binary value
// in JSON: keys, signatures, hashes and the event IDs derived from them.
//
// https://spec.matrix.org/latest/appendices/#unpadded-base64
package b64

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidBase64 is returned by [Decode] for input that is not base64 in
// either alphabet.
var ErrInvalidBase64 = errors.New("b64: invalid base64")

// Encode returns the unpadded base64 of b in the standard RFC 4648 alphabet.
//
// https://spec.matrix.org/latest/appendices/#unpadded-base64
func Encode(b []byte) string {
	return base64.RawStdEncoding.EncodeToString(b)
}

// EncodeURLSafe returns the unpadded base64 of b in the URL-safe alphabet,
// with '-' and '_' in place of '+' and '/'.
//
// https://spec.matrix.org/latest/appendices/#url-safe-unpadded-base64
func EncodeURLSafe(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode decodes base64 in the standard or the URL-safe alphabet, with or
// without '=' padding, as the appendix asks receivers to accept "wherever
// possible". Mixing the two alphabets in one value, misplaced or excess
// padding, and whitespace are rejected: no Matrix value is written that way,
// and accepting them would give one value several spellings.
func Decode(s string) ([]byte, error) {
	unpadded := strings.TrimRight(s, "=")
	if padding := len(s) - len(unpadded); padding > 0 && (padding > 2 || len(s)%4 != 0) {
		return nil, fmt.Errorf("%w: bad padding in %q", ErrInvalidBase64, s)
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(unpadded, "-_") {
		enc = base64.RawURLEncoding
	}
	if strings.ContainsAny(unpadded, "\r\n") {
		return nil, fmt.Errorf("%w: line break in %q", ErrInvalidBase64, s)
	}
	b, err := enc.DecodeString(unpadded)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidBase64, s, err)
	}
	return b, nil
}
