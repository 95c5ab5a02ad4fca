package event

import (
	"encoding/json"
	"fmt"
)

// The functions of this file split canonical JSON, which has already been
// validated, into object members and array elements without going through
// reflection: an event is split this way several times on its way through
// Parse, redaction and signature checks. Canonical JSON has no whitespace,
// so a value ends where its brackets balance outside strings. Malformed
// input gives ErrInvalidJSON, never a panic.

// splitObject returns the members of a canonical JSON object.
func splitObject(raw []byte) (object, error) {
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalidJSON)
	}
	o := make(object, 12)
	i := 1
	for i < len(raw)-1 {
		keyEnd, err := skipValue(raw, i)
		if err != nil || raw[i] != '"' || keyEnd >= len(raw) || raw[keyEnd] != ':' {
			return nil, fmt.Errorf("%w: malformed object member at byte %d", ErrInvalidJSON, i)
		}
		key, ok := jsonString(raw[i:keyEnd])
		if !ok {
			return nil, fmt.Errorf("%w: malformed object key at byte %d", ErrInvalidJSON, i)
		}
		start := keyEnd + 1
		end, err := skipValue(raw, start)
		if err != nil {
			return nil, err
		}
		if end >= len(raw) {
			return nil, fmt.Errorf("%w: object not closed", ErrInvalidJSON)
		}
		o[key] = raw[start:end:end]
		i = end
		if i < len(raw)-1 {
			if raw[i] != ',' || i+1 == len(raw)-1 {
				return nil, fmt.Errorf("%w: expected another value after byte %d", ErrInvalidJSON, i)
			}
			i++
		}
	}
	return o, nil
}

// splitArray returns the elements of a canonical JSON array.
func splitArray(raw []byte) ([]json.RawMessage, error) {
	if len(raw) < 2 || raw[0] != '[' || raw[len(raw)-1] != ']' {
		return nil, fmt.Errorf("%w: not a JSON array", ErrInvalidJSON)
	}
	var items []json.RawMessage
	i := 1
	for i < len(raw)-1 {
		end, err := skipValue(raw, i)
		if err != nil {
			return nil, err
		}
		if end >= len(raw) {
			return nil, fmt.Errorf("%w: array not closed", ErrInvalidJSON)
		}
		items = append(items, raw[i:end:end])
		i = end
		if i < len(raw)-1 {
			if raw[i] != ',' || i+1 == len(raw)-1 {
				return nil, fmt.Errorf("%w: expected another value after byte %d", ErrInvalidJSON, i)
			}
			i++
		}
	}
	return items, nil
}

// skipValue returns the index just past the value starting at raw[i].
func skipValue(raw []byte, i int) (int, error) {
	if i >= len(raw) {
		return 0, fmt.Errorf("%w: unexpected end of input", ErrInvalidJSON)
	}
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		var closers []byte
		for j := i; j < len(raw); j++ {
			switch c := raw[j]; c {
			case '"':
				end, err := skipString(raw, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				closers = append(closers, c+2) // '}' and ']' follow '{' and '[' by two
			case '}', ']':
				if closers[len(closers)-1] != c {
					return 0, fmt.Errorf("%w: mismatched %q at byte %d", ErrInvalidJSON, c, j)
				}
				closers = closers[:len(closers)-1]
				if len(closers) == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("%w: unbalanced brackets from byte %d", ErrInvalidJSON, i)
	case ',', ':', '}', ']':
		return 0, fmt.Errorf("%w: missing value at byte %d", ErrInvalidJSON, i)
	}
	end := i
	for end < len(raw) && !endsScalar(raw[end]) {
		end++
	}
	return end, nil
}

// skipString returns the index just past the string starting at raw[i].
func skipString(raw []byte, i int) (int, error) {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("%w: unterminated string from byte %d", ErrInvalidJSON, i)
}

func endsScalar(c byte) bool { return c == ',' || c == ':' || c == '}' || c == ']' }
