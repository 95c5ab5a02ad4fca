package canonicaljson

import (
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// string copies the JSON string at e.pos to out in its shortest form: every
// character literally as UTF-8 except `"`, `\` and the control characters,
// which take the escape the appendix's grammar gives them. For object keys
// the decoded characters are also appended to e.keys, to sort by.
func (e *encoder) string(isKey bool) error {
	e.pos++
	e.out = append(e.out, '"')
	for {
		// Copy the longest run of characters that need no translation.
		run := e.pos
		for run < len(e.in) {
			c := e.in[run]
			if c < utf8.RuneSelf {
				if c < 0x20 || c == '"' || c == '\\' {
					break
				}
				run++
				continue
			}
			r, size := utf8.DecodeRune(e.in[run:])
			if r == utf8.RuneError && size == 1 {
				e.pos = run
				return e.fail(ErrInvalidUTF8, "invalid UTF-8 in a string")
			}
			run += size
		}
		e.out = append(e.out, e.in[e.pos:run]...)
		if isKey {
			e.keys = append(e.keys, e.in[e.pos:run]...)
		}
		e.pos = run
		if e.pos >= len(e.in) {
			return e.fail(ErrInvalidJSON, "unterminated string")
		}
		switch c := e.in[e.pos]; {
		case c == '"':
			e.pos++
			e.out = append(e.out, '"')
			return nil
		case c == '\\':
			r, err := e.escape()
			if err != nil {
				return err
			}
			e.out = appendRune(e.out, r)
			if isKey {
				e.keys = utf8.AppendRune(e.keys, r)
			}
		default:
			return e.fail(ErrInvalidJSON, "unescaped control character %#02x in a string", c)
		}
	}
}

// escape decodes the escape sequence at e.pos, joining UTF-16 surrogate
// pairs. A lone surrogate has no UTF-8 form, so it is invalid UTF-8 here as
// it is for Synapse, which fails to encode such a string.
func (e *encoder) escape() (rune, error) {
	if e.pos+1 >= len(e.in) {
		return 0, e.fail(ErrInvalidJSON, "unterminated escape sequence")
	}
	c := e.in[e.pos+1]
	e.pos += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
	default:
		e.pos -= 2
		return 0, e.fail(ErrInvalidJSON, "invalid escape sequence \\%c", c)
	}
	r, ok := e.hex4()
	if !ok {
		return 0, e.fail(ErrInvalidJSON, "invalid \\u escape")
	}
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	if r >= 0xdc00 {
		return 0, e.fail(ErrInvalidUTF8, "unpaired low surrogate \\u%04x", r)
	}
	if e.pos+1 >= len(e.in) || e.in[e.pos] != '\\' || e.in[e.pos+1] != 'u' {
		return 0, e.fail(ErrInvalidUTF8, "unpaired high surrogate \\u%04x", r)
	}
	e.pos += 2
	low, ok := e.hex4()
	if !ok {
		return 0, e.fail(ErrInvalidJSON, "invalid \\u escape")
	}
	if low < 0xdc00 || low > 0xdfff {
		return 0, e.fail(ErrInvalidUTF8, "high surrogate \\u%04x followed by \\u%04x", r, low)
	}
	return utf16.DecodeRune(r, low), nil
}

func (e *encoder) hex4() (rune, bool) {
	if e.pos+4 > len(e.in) {
		return 0, false
	}
	var r rune
	for _, c := range e.in[e.pos : e.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	e.pos += 4
	return r, true
}

// appendRune writes one decoded character in canonical form.
func appendRune(out []byte, r rune) []byte {
	switch r {
	case '"':
		return append(out, '\\', '"')
	case '\\':
		return append(out, '\\', '\\')
	case '\b':
		return append(out, '\\', 'b')
	case '\f':
		return append(out, '\\', 'f')
	case '\n':
		return append(out, '\\', 'n')
	case '\r':
		return append(out, '\\', 'r')
	case '\t':
		return append(out, '\\', 't')
	}
	if r < 0x20 {
		return append(out, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
	}
	return utf8.AppendRune(out, r)
}
