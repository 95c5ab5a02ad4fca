package pushrules

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// flatValue is a matchable leaf of an event: a non-compound value, or an
// array of them for event_property_contains.
type flatValue struct {
	Value
	// isArray marks an array property; elements holds its matchable
	// elements, the others (objects, nested arrays, floats) being ignored.
	isArray  bool
	elements []Value
}

// flatEvent is a flattened event. Values live in one slice so that a
// lookup hands out a pointer without copying or allocating.
type flatEvent struct {
	index  map[string]int
	values []flatValue
}

func (f *flatEvent) get(path string) (*flatValue, bool) {
	i, ok := f.index[path]
	if !ok {
		return nil, false
	}
	return &f.values[i], true
}

func (f *flatEvent) set(path string, v flatValue) {
	if i, ok := f.index[path]; ok {
		f.values[i] = v
		return
	}
	f.index[path] = len(f.values)
	f.values = append(f.values, v)
}

// flattenEvent maps the canonical dot-separated path of every matchable
// property of the event to its value. Objects are descended into; arrays
// are kept whole and not descended into, since paths cannot index them;
// numbers that are not canonical JSON integers are left out, so no condition
// can match them.
//
// https://spec.matrix.org/latest/appendices/#dot-separated-property-paths
func flattenEvent(event []byte) (*flatEvent, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil || root == nil {
		if err == nil {
			err = fmt.Errorf("got null")
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	flat := &flatEvent{index: make(map[string]int, 16), values: make([]flatValue, 0, 16)}
	flattenObject(flat, "", root)
	return flat, nil
}

func flattenObject(flat *flatEvent, prefix string, obj map[string]any) {
	for name, v := range obj {
		path := EscapePathSegment(name)
		if prefix != "" {
			path = prefix + "." + path
		}
		switch v := v.(type) {
		case map[string]any:
			flattenObject(flat, path, v)
		case []any:
			fv := flatValue{isArray: true}
			for _, e := range v {
				if ev, ok := simpleValue(e); ok {
					fv.elements = append(fv.elements, ev)
				}
			}
			flat.set(path, fv)
		default:
			if sv, ok := simpleValue(v); ok {
				flat.set(path, flatValue{Value: sv})
			}
		}
	}
}

// simpleValue converts a decoded JSON scalar to a Value, refusing what
// canonical JSON does not allow.
func simpleValue(v any) (Value, bool) {
	switch v := v.(type) {
	case nil:
		return NullValue(), true
	case string:
		return StringValue(v), true
	case bool:
		return BoolValue(v), true
	case json.Number:
		if i, ok := parseCanonicalInt(string(v)); ok {
			return IntValue(i), true
		}
	}
	return Value{}, false
}
