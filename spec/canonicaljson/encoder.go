package canonicaljson

import (
	"bytes"
	"fmt"
	"slices"
)

// encoder reads JSON from in and writes its canonical form to out in a
// single pass. Objects are written in input order; when their keys turn
// out not to be sorted the members are reordered in place afterwards, so
// already-canonical input (the common case) is never copied twice.
type encoder struct {
	in      []byte
	pos     int
	out     []byte
	lenient bool

	// keys holds the decoded (unescaped) keys of the objects being
	// written, and members their spans in out. Both are stacks: an object
	// pops what it pushed once it is finished, so nested objects reuse the
	// same memory.
	keys    []byte
	members []member
	// scratch holds a copy of an object being reordered.
	scratch []byte
	// drop lists top-level keys to leave out of the output.
	drop []string
	// dropValues holds the canonical value of each key of drop found so
	// far; a second one is a duplicate key.
	dropValues [][]byte
}

// member locates one "key":value pair: its decoded key in encoder.keys and
// its canonical bytes in encoder.out.
type member struct {
	keyStart, keyEnd int
	start, end       int
}

func (e *encoder) fail(err error, format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", err, e.pos, fmt.Sprintf(format, args...))
}

func (e *encoder) skipWhitespace() {
	for e.pos < len(e.in) {
		switch e.in[e.pos] {
		case ' ', '\t', '\n', '\r':
			e.pos++
		default:
			return
		}
	}
}

func (e *encoder) value(depth int) error {
	e.skipWhitespace()
	if e.pos >= len(e.in) {
		return e.fail(ErrInvalidJSON, "unexpected end of input")
	}
	switch c := e.in[e.pos]; c {
	case '{':
		return e.object(depth + 1)
	case '[':
		return e.array(depth + 1)
	case '"':
		return e.string(false)
	case 't':
		return e.literal("true")
	case 'f':
		return e.literal("false")
	case 'n':
		return e.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return e.number()
		}
		return e.fail(ErrInvalidJSON, "unexpected character %q", c)
	}
}

func (e *encoder) literal(word string) error {
	if !bytes.HasPrefix(e.in[e.pos:], []byte(word)) {
		return e.fail(ErrInvalidJSON, "invalid literal, expected %s", word)
	}
	e.out = append(e.out, word...)
	e.pos += len(word)
	return nil
}

// expect consumes the next non-whitespace byte and reports which of the two
// allowed bytes it was.
func (e *encoder) expect(more, end byte) (bool, error) {
	e.skipWhitespace()
	if e.pos >= len(e.in) {
		return false, e.fail(ErrInvalidJSON, "unexpected end of input")
	}
	switch e.in[e.pos] {
	case more:
		e.pos++
		return true, nil
	case end:
		e.pos++
		return false, nil
	default:
		return false, e.fail(ErrInvalidJSON, "expected %q or %q, found %q", more, end, e.in[e.pos])
	}
}

func (e *encoder) array(depth int) error {
	if depth > MaxDepth {
		return e.fail(ErrTooDeep, "more than %d nested arrays and objects", MaxDepth)
	}
	e.pos++
	e.out = append(e.out, '[')
	e.skipWhitespace()
	if e.pos < len(e.in) && e.in[e.pos] == ']' {
		e.pos++
		e.out = append(e.out, ']')
		return nil
	}
	for {
		if err := e.value(depth); err != nil {
			return err
		}
		more, err := e.expect(',', ']')
		if err != nil {
			return err
		}
		if !more {
			e.out = append(e.out, ']')
			return nil
		}
		e.out = append(e.out, ',')
	}
}

func (e *encoder) object(depth int) error {
	if depth > MaxDepth {
		return e.fail(ErrTooDeep, "more than %d nested arrays and objects", MaxDepth)
	}
	objectPos := e.pos
	e.pos++
	start := len(e.out)
	e.out = append(e.out, '{')
	e.skipWhitespace()
	if e.pos < len(e.in) && e.in[e.pos] == '}' {
		e.pos++
		e.out = append(e.out, '}')
		return nil
	}
	membersBase, keysBase := len(e.members), len(e.keys)
	for {
		e.skipWhitespace()
		if e.pos >= len(e.in) || e.in[e.pos] != '"' {
			return e.fail(ErrInvalidJSON, "expected an object key")
		}
		// The comma goes before every member but the first one kept, so a
		// dropped member can be cut off together with its comma.
		memberPos := len(e.out)
		if len(e.members) > membersBase {
			e.out = append(e.out, ',')
		}
		m := member{start: len(e.out), keyStart: len(e.keys)}
		if err := e.string(true); err != nil {
			return err
		}
		m.keyEnd = len(e.keys)
		e.skipWhitespace()
		if e.pos >= len(e.in) || e.in[e.pos] != ':' {
			return e.fail(ErrInvalidJSON, "expected ':' after an object key")
		}
		e.pos++
		e.out = append(e.out, ':')
		valueStart := len(e.out)
		if err := e.value(depth); err != nil {
			return err
		}
		m.end = len(e.out)
		drop, err := e.dropped(depth, e.keys[m.keyStart:m.keyEnd], objectPos)
		if err != nil {
			return err
		}
		if drop >= 0 {
			e.dropValues[drop] = append([]byte(nil), e.out[valueStart:m.end]...)
			e.out, e.keys = e.out[:memberPos], e.keys[:m.keyStart]
		} else {
			e.members = append(e.members, m)
		}
		more, err := e.expect(',', '}')
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	e.out = append(e.out, '}')
	err := e.sortMembers(start, e.members[membersBase:], objectPos)
	e.members, e.keys = e.members[:membersBase], e.keys[:keysBase]
	return err
}

// sortMembers puts the members of the object written at out[start:] in
// code point order of their keys. Comparing UTF-8 bytes is comparing code
// points, which is the order the appendix asks for (and Python's, and so
// Synapse's), unlike UTF-16 order for characters outside the BMP.
func (e *encoder) sortMembers(start int, ms []member, objectPos int) error {
	key := func(m member) []byte { return e.keys[m.keyStart:m.keyEnd] }
	sorted := true
	for i := 1; i < len(ms); i++ {
		switch bytes.Compare(key(ms[i-1]), key(ms[i])) {
		case 0:
			return e.duplicate(key(ms[i]), objectPos)
		case 1:
			sorted = false
		}
	}
	if sorted {
		return nil
	}
	slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(key(a), key(b)) })
	for i := 1; i < len(ms); i++ {
		if bytes.Equal(key(ms[i-1]), key(ms[i])) {
			return e.duplicate(key(ms[i]), objectPos)
		}
	}
	e.scratch = append(e.scratch[:0], e.out[start:]...)
	w := start + 1
	for i, m := range ms {
		if i > 0 {
			e.out[w] = ','
			w++
		}
		w += copy(e.out[w:], e.scratch[m.start-start:m.end-start])
	}
	e.out[w] = '}'
	return nil
}

// dropped returns the index in e.drop of a key of the object at depth that
// is to be left out, or -1. A dropped key found twice is rejected as any
// other duplicate would be.
func (e *encoder) dropped(depth int, key []byte, objectPos int) (int, error) {
	if depth != 1 {
		return -1, nil
	}
	for i, d := range e.drop {
		if d != string(key) {
			continue
		}
		if e.dropValues[i] != nil {
			return -1, e.duplicate(key, objectPos)
		}
		return i, nil
	}
	return -1, nil
}

func (e *encoder) duplicate(key []byte, objectPos int) error {
	return fmt.Errorf("%w %q in the object at byte %d", ErrDuplicateKey, string(key), objectPos)
}
