package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// object is a JSON object split into its members. The values are kept as
// raw JSON so that they are hashed and re-encoded byte for byte as they
// arrived (after canonicalization), whatever their type.
type object map[string]json.RawMessage

// canonicalize applies the canonical JSON rules of the room version: strict
// from version 6, lenient before (old events may carry floats and large
// integers that were hashed and signed as Synapse encodes them).
//
// https://spec.matrix.org/latest/rooms/v6/#canonical-json
func canonicalize(rules roomversion.Rules, raw []byte) ([]byte, error) {
	var (
		out []byte
		err error
	)
	if rules.StrictCanonicalJSON {
		out, err = canonicaljson.Canonicalize(raw)
	} else {
		out, err = canonicaljson.CanonicalizeLenient(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	return out, nil
}

// decodeObject splits canonical JSON into the members of its top-level
// object.
func decodeObject(canonical []byte) (object, error) {
	if len(canonical) == 0 || canonical[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalidJSON)
	}
	return splitObject(canonical)
}

// encode writes the object as canonical JSON for the room version.
func (o object) encode(rules roomversion.Rules) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]json.RawMessage(o)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	return canonicalize(rules, buf.Bytes())
}

// encodeCanonical writes an object whose values are all canonical JSON
// (taken from a canonicalized event, or built by this function) without
// canonicalizing it again: the members are joined in key order, which for
// UTF-8 byte strings is the code point order canonical JSON wants. A key
// that canonical JSON escapes takes the slower general path.
func (o object) encodeCanonical(rules roomversion.Rules) ([]byte, error) {
	keys := make([]string, 0, len(o))
	size := 2
	for k, v := range o {
		if !plainKey(k) {
			return o.encode(rules)
		}
		keys = append(keys, k)
		size += len(k) + len(v) + 4
	}
	slices.Sort(keys)
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, k...)
		out = append(out, '"', ':')
		out = append(out, o[k]...)
	}
	return append(out, '}'), nil
}

// plainKey reports whether canonical JSON writes k without escapes.
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// clone returns a shallow copy: members can be replaced without touching
// the original, raw values are never modified in place.
func (o object) clone() object {
	c := make(object, len(o))
	for k, v := range o {
		c[k] = v
	}
	return c
}

// jsonString decodes raw if it is a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 {
		// Canonical JSON escapes nothing else: the bytes are the string.
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonInt decodes raw if it is a JSON integer that fits in an int64. A
// number written with a fraction or exponent is not an integer here, as in
// Synapse, which refuses a float depth.
func jsonInt(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// stringMap decodes raw if it is an object whose values are all strings.
func stringMap(raw json.RawMessage) (map[string]string, bool) {
	o, err := splitObject(raw)
	if err != nil {
		return nil, false
	}
	out := make(map[string]string, len(o))
	for k, v := range o {
		s, ok := jsonString(v)
		if !ok {
			return nil, false
		}
		out[k] = s
	}
	return out, true
}

func isObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

func isArray(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '[' }

// stringValue encodes s as a JSON string; encoding a Go string cannot fail.
func stringValue(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
