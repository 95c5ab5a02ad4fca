package auth

import (
	"encoding/json"
	"unicode/utf8"
)

// The rules read a handful of members out of event content, and the power
// levels content of a large room is read on every check. This scanner walks a
// JSON object once, checking its syntax, without reflection and without
// allocating for the values; encoding/json is only used to decode strings
// with escapes. It yields exactly what encoding/json would for the same
// input, keys compared case-sensitively, the last of duplicate keys winning.

// members calls fn with each key and raw value of the JSON object in raw, in
// order. It returns false if raw is not one well-formed JSON object; fn may
// have been called for members before the fault.
func members(raw []byte, fn func(key string, value []byte)) bool {
	s := scanner{b: raw}
	s.space()
	if !s.byte('{') {
		return false
	}
	s.space()
	if s.byte('}') {
		s.space()
		return s.i == len(s.b)
	}
	for {
		s.space()
		start := s.i
		if !s.str() {
			return false
		}
		key, ok := decodeString(s.b[start:s.i])
		if !ok {
			return false
		}
		s.space()
		if !s.byte(':') {
			return false
		}
		s.space()
		vstart := s.i
		if !s.value(0) {
			return false
		}
		fn(key, s.b[vstart:s.i])
		s.space()
		if s.byte(',') {
			continue
		}
		if !s.byte('}') {
			return false
		}
		s.space()
		return s.i == len(s.b)
	}
}

// memberValue returns the raw value of key in the JSON object raw (the last one if
// the key repeats), and whether raw is an object holding the key.
func memberValue(raw []byte, key string) ([]byte, bool) {
	var out []byte
	found := false
	ok := members(raw, func(k string, v []byte) {
		if k == key {
			out, found = v, true
		}
	})
	return out, ok && found
}

// decodeString decodes a JSON string literal, quotes included.
func decodeString(lit []byte) (string, bool) {
	if len(lit) < 2 || lit[0] != '"' {
		return "", false
	}
	inner := lit[1 : len(lit)-1]
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			// Escapes and non-ASCII (where invalid UTF-8 becomes U+FFFD) take
			// the standard library's path.
			var s string
			if err := json.Unmarshal(lit, &s); err != nil {
				return "", false
			}
			return s, true
		}
	}
	return string(inner), true
}

// maxDepth bounds nesting, as encoding/json does, so hostile content cannot
// exhaust the stack.
const maxDepth = 10000

type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{':
		s.i++
		s.space()
		if s.byte('}') {
			return true
		}
		for {
			s.space()
			if !s.str() {
				return false
			}
			s.space()
			if !s.byte(':') {
				return false
			}
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.byte(',') {
				continue
			}
			return s.byte('}')
		}
	case c == '[':
		s.i++
		s.space()
		if s.byte(']') {
			return true
		}
		for {
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.byte(',') {
				continue
			}
			return s.byte(']')
		}
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// str scans a string literal: no raw control characters, only the escapes
// JSON defines.
func (s *scanner) str() bool {
	if !s.byte('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if len(s.b)-s.i < 5 {
					return false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 5
			default:
				return false
			}
		default:
			s.i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	s.byte('-')
	switch {
	case s.byte('0'):
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.byte('.') {
		if s.digits() == 0 {
			return false
		}
	}
	if s.byte('e') || s.byte('E') {
		if !s.byte('+') {
			s.byte('-')
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}
