// Package canonicaljson produces the Matrix canonical JSON encoding, the byte
// sequence that every server hashes and signs, so it must be identical on
// every homeserver.
//
// https://spec.matrix.org/latest/appendices/#canonical-json
//
// The encoding is the shortest UTF-8 JSON: no insignificant whitespace,
// object keys sorted by Unicode code point, strings escaping only `"`, `\`
// and control characters, and numbers written as plain integers.
//
// Numbers. The grammar in the appendix allows only integers in
// [-(2^53)+1, 2^53-1], but its own examples canonicalize `-0` to `0` and
// `1e10` to `10000000000`. [Canonicalize] therefore judges a number by its
// value, not its spelling: `1e3`, `1.0`, `10.5e1` and `-0` are the integers
// 1000, 1, 105 and 0 and are written as such, while a value with a fractional
// part (`1.5`, `1e-3`) fails with [ErrFloat] and an integer outside the range
// fails with [ErrIntegerOutOfRange]. The value is computed exactly on the
// decimal digits, never through a float64.
//
// [CanonicalizeLenient] is for events of room versions 1 to 5, which may
// carry numbers from servers that never checked them. It keeps such numbers
// the way Synapse (whose JSON encoder is Python's json module) re-encodes
// them, since those bytes are what old events were hashed and signed over:
// an integer literal keeps all its digits however large it is, and a number
// written with a fraction or an exponent is a float64 written as Python's
// repr writes it (`1.5`, `10000000000.0`, `1e+16`, `1e-05`, `-0.0`).
package canonicaljson

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Errors returned by [Canonicalize], [CanonicalizeLenient] and [Marshal].
// They are wrapped with the byte offset at which the problem was found.
// ErrInvalidJSON means the input is not JSON at all; the others mean it is
// JSON that canonical JSON does not allow (M_NOT_JSON and M_BAD_JSON in the
// client-server API respectively).
var (
	ErrInvalidJSON       = errors.New("canonicaljson: invalid JSON")
	ErrDuplicateKey      = errors.New("canonicaljson: duplicate object key")
	ErrFloat             = errors.New("canonicaljson: number is not an integer")
	ErrIntegerOutOfRange = errors.New("canonicaljson: integer outside [-(2^53)+1, 2^53-1]")
	ErrInvalidUTF8       = errors.New("canonicaljson: invalid UTF-8")
	ErrTooDeep           = errors.New("canonicaljson: nesting too deep")
	ErrNotObject         = errors.New("canonicaljson: not a JSON object")
)

// MaxDepth is how many arrays and objects may nest inside each other. It
// bounds the recursion of the encoder; Python, and so Synapse, gives up
// at a similar depth.
const MaxDepth = 512

// Canonicalize returns the canonical JSON form of any JSON value, enforcing
// the number rules of the appendix as described in the package comment.
//
// https://spec.matrix.org/latest/appendices/#canonical-json
func Canonicalize(in []byte) ([]byte, error) {
	return canonicalize(in, false)
}

// CanonicalizeLenient is [Canonicalize] for room versions 1 to 5, whose
// events may hold floats and integers outside the canonical range: such
// numbers are kept in Synapse's representation (see the package comment)
// instead of being rejected. Everything else, including the rejection of
// duplicate keys and invalid UTF-8, is as in [Canonicalize].
//
// https://spec.matrix.org/latest/rooms/v5/#canonical-json
func CanonicalizeLenient(in []byte) ([]byte, error) {
	return canonicalize(in, true)
}

// Marshal encodes v with encoding/json and returns its canonical form.
func Marshal(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonicaljson: marshal %T: %w", v, err)
	}
	return Canonicalize(raw)
}

// CanonicalizeWithout returns the canonical form of the JSON object in
// without the given top-level keys: the bytes that are signed (without
// "signatures" and "unsigned") or hashed (also without "hashes"), produced
// in one pass without decoding the object. in must be an object
// ([ErrNotObject] otherwise). Numbers follow [Canonicalize].
//
// https://spec.matrix.org/latest/appendices/#signing-details
func CanonicalizeWithout(in []byte, keys ...string) ([]byte, error) {
	rest, _, err := splitObject(in, false, keys)
	return rest, err
}

// CanonicalizeLenientWithout is [CanonicalizeWithout] with the number rules
// of [CanonicalizeLenient].
func CanonicalizeLenientWithout(in []byte, keys ...string) ([]byte, error) {
	rest, _, err := splitObject(in, true, keys)
	return rest, err
}

// SplitObject is [CanonicalizeWithout] that also returns the canonical form
// of the value of each left-out key, in the order of keys, nil for a key
// that is absent. Signing uses it to set "signatures" and "unsigned" aside
// and put them back.
func SplitObject(in []byte, keys ...string) (rest []byte, values [][]byte, err error) {
	return splitObject(in, false, keys)
}

// SplitObjectLenient is [SplitObject] with the number rules of
// [CanonicalizeLenient].
func SplitObjectLenient(in []byte, keys ...string) (rest []byte, values [][]byte, err error) {
	return splitObject(in, true, keys)
}

func splitObject(in []byte, lenient bool, drop []string) ([]byte, [][]byte, error) {
	i := 0
	for i < len(in) && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r') {
		i++
	}
	if i == len(in) || in[i] != '{' {
		return nil, nil, fmt.Errorf("%w at byte %d", ErrNotObject, i)
	}
	e := newEncoder(in, lenient, drop)
	out, err := e.run()
	return out, e.dropValues, err
}

func canonicalize(in []byte, lenient bool) ([]byte, error) {
	return newEncoder(in, lenient, nil).run()
}
func newEncoder(in []byte, lenient bool, drop []string) *encoder {
	e := &encoder{
		in: in, lenient: lenient,
		out:  make([]byte, 0, len(in)),
		drop: drop,
		// The members and keys of the objects open at one time in an
		// event fit in these, so they rarely grow.
		members: make([]member, 0, 32),
		keys:    make([]byte, 0, 512),
	}
	if len(drop) > 0 {
		e.dropValues = make([][]byte, len(drop))
	}
	return e
}

func (e *encoder) run() ([]byte, error) {
	if err := e.value(0); err != nil {
		return nil, err
	}
	e.skipWhitespace()
	if e.pos != len(e.in) {
		return nil, e.fail(ErrInvalidJSON, "data after the top-level value")
	}
	return e.out, nil
}
