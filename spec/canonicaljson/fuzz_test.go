package canonicaljson

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"os"
	"reflect"
	"strconv"
	"testing"
)

// FuzzCanonicalize checks that Canonicalize never panics, that its output
// is a fixed point, and that the output means the same as the input to
// encoding/json.
func FuzzCanonicalize(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"b":"2","a":"1"}`, `{"a":-0,"b":1e10}`, `{"\ud83d\ude00":1,"\uff61":2}`,
		`"\u0000\b\/"`, `[1.0,2.5e1,-0.0]`, `{"a":{"a":{"a":[]}}}`, `{"b":1,"a":[2]}`, "\"\xff\"", `{"a":1,"a":2}`,
	} {
		f.Add([]byte(seed))
	}
	if event, err := os.ReadFile("testdata/event.json"); err == nil {
		f.Add(event)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkSplitObject(t, in)
		for _, canonicalize := range []func([]byte) ([]byte, error){Canonicalize, CanonicalizeLenient} {
			out, err := canonicalize(in)
			if err != nil {
				continue
			}
			again, err := canonicalize(out)
			if err != nil || string(again) != string(out) {
				t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
			}
			want, err := decode(in)
			if err != nil {
				t.Fatalf("accepted %q which encoding/json rejects: %v", in, err)
			}
			got, err := decode(out)
			if err != nil {
				t.Fatalf("output %q of %q does not parse: %v", out, in, err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("meaning changed: %q -> %q", in, out)
			}
		}
	})
}

// decode parses JSON with every number replaced by a string that is equal
// for equal values: integers exactly (they may exceed float64 in lenient
// mode), other numbers as the float64 they round to.
func decode(in []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(in))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v), nil
}

func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalizeNumbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalizeNumbers(x)
		}
	case json.Number:
		if n, ok := new(big.Int).SetString(string(v), 10); ok {
			return n.String()
		}
		f, err := v.Float64()
		if err != nil {
			return "bad number " + string(v)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return big.NewInt(int64(f)).String()
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return v
}

// checkSplitObject checks that SplitObject agrees with Canonicalize: the
// rest is the canonical object less the key, and the value is the key's.
func checkSplitObject(t *testing.T, in []byte) {
	t.Helper()
	full, err := Canonicalize(in)
	var whole map[string]json.RawMessage
	if err != nil || json.Unmarshal(full, &whole) != nil {
		return
	}
	rest, values, err := SplitObject(in, "a")
	if err != nil {
		t.Fatalf("SplitObject(%q) failed where Canonicalize did not: %v", in, err)
	}
	if string(values[0]) != string(whole["a"]) {
		t.Fatalf("SplitObject(%q) value = %q; want %q", in, values[0], whole["a"])
	}
	delete(whole, "a")
	want, err := Marshal(whole)
	if err != nil || string(rest) != string(want) {
		t.Fatalf("SplitObject(%q) rest = %q; want %q (%v)", in, rest, want, err)
	}
}
