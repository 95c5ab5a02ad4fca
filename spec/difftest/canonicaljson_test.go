package difftest

import (
	"bytes"
	"testing"

	"github.com/matrix-org/gomatrixserverlib"

	"github.com/ocomms/ocomms/spec/canonicaljson"
)

// TestCanonicalJSONAgreesWithGomatrixserverlib canonicalizes random nested
// values (unicode, escapes, surrogate pairs, whitespace, -0, integers at the
// limits of the range) with both implementations.
func TestCanonicalJSONAgreesWithGomatrixserverlib(t *testing.T) {
	r, n := newRand(t, 3000)
	for i := range n {
		in := randJSON(r, 5, jsonOptions{spellings: true, space: true})
		ours, err := canonicaljson.Canonicalize([]byte(in))
		if err != nil {
			t.Fatalf("case %d: ours failed on %q: %v", i, in, err)
		}
		theirs, err := gomatrixserverlib.CanonicalJSON([]byte(in))
		if err != nil {
			t.Fatalf("case %d: gomatrixserverlib failed on %q: %v", i, in, err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Fatalf("case %d: canonical JSON of %q\nours:   %q\ntheirs: %q", i, in, ours, theirs)
		}
		again, err := canonicaljson.Canonicalize(ours)
		if err != nil || !bytes.Equal(again, ours) {
			t.Fatalf("case %d: canonical JSON is not a fixed point: %q -> %q (%v)", i, ours, again, err)
		}
	}
}

// The cases below are inputs on which gomatrixserverlib's canonical JSON
// does not follow the appendix; we keep them as regression tests of ours.
// https://spec.matrix.org/latest/appendices/#canonical-json

// TestCanonicalJSONWritesExponentsAsIntegers: the appendix's own example
// turns {"a": -0, "b": 1e10} into {"a":0,"b":10000000000}. gomatrixserverlib
// copies number literals unchanged and writes "1e10".
func TestCanonicalJSONWritesExponentsAsIntegers(t *testing.T) {
	for _, tc := range []struct{ in, want, gmsl string }{
		{`{"a": -0, "b": 1e10}`, `{"a":0,"b":10000000000}`, `{"a":0,"b":1e10}`},
		{`[5E3, 7000e-3, 1.0]`, `[5000,7,1]`, `[5E3,7000e-3,1.0]`},
	} {
		ours, err := canonicaljson.Canonicalize([]byte(tc.in))
		if err != nil || string(ours) != tc.want {
			t.Errorf("Canonicalize(%s) = %s, %v; want %s", tc.in, ours, err, tc.want)
		}
		theirs, _ := gomatrixserverlib.CanonicalJSON([]byte(tc.in))
		if string(theirs) != tc.gmsl {
			t.Logf("gomatrixserverlib now writes %s for %s (was %s)", theirs, tc.in, tc.gmsl)
		}
	}
}

// TestCanonicalJSONEscapesObjectKeys: a key holding a quote, a backslash or
// a control character must stay escaped. gomatrixserverlib writes the
// decoded key between quotes, producing invalid JSON.
func TestCanonicalJSONEscapesObjectKeys(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a\"b":1}`, `{"a\"b":1}`},
		{`{"a\\b":1}`, `{"a\\b":1}`},
		{`{"a\nb":1,"a\u0001":2}`, `{"a\u0001":2,"a\nb":1}`},
	} {
		ours, err := canonicaljson.Canonicalize([]byte(tc.in))
		if err != nil || string(ours) != tc.want {
			t.Errorf("Canonicalize(%s) = %s, %v; want %s", tc.in, ours, err, tc.want)
		}
		theirs, _ := gomatrixserverlib.CanonicalJSON([]byte(tc.in))
		if string(theirs) == tc.want {
			t.Logf("gomatrixserverlib now escapes the key of %s", tc.in)
		}
	}
}
