package canonicaljson

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// FuzzCanonicalize checks that Canonicalize never panics, that its output
// is a fixed point, and that the output means the same as the input to
// encoding/json.
func FuzzCanonicalize(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"b":"2","a":"1"}`, `{"a":-0,"b":1e10}`, `{"\ud83d\ude00":1,"\uff61":2}`,
		`"\u0000\b\/"`, `[1.0,2.5e1,-0.0]`, `{"a":{"a":{"a":[]}}}`, "\"\xff\"", `{"a":1,"a":2}`,
	} {
		f.Add([]byte(seed))
	}
	if event, err := os.ReadFile("testdata/event.json"); err == nil {
		f.Add(event)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, canonicalize := range []func([]byte) ([]byte, error){Canonicalize, CanonicalizeLenient} {
			out, err := canonicalize(in)
			if err != nil {
				continue
			}
			again, err := canonicalize(out)
			if err != nil || string(again) != string(out) {
				t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
			}
			var want, got any
			if err := json.Unmarshal(in, &want); err != nil {
				t.Fatalf("accepted %q which encoding/json rejects: %v", in, err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("output %q of %q does not parse: %v", out, in, err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("meaning changed: %q -> %q", in, out)
			}
		}
	})
}
