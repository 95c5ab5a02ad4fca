package auth

import (
	"bytes"
	"encoding/json"
	"testing"
)

var scanSeeds = []string{
	`{}`, ` { } `, `{"a":1}`, `{"a":1,"a":2}`, `{"A":1,"a":2}`,
	`{"a":"x\"y","b":[1,{"c":null}],"d":true,"e":false,"f":-0.5e+10}`,
	`{"\u0061":1}`, `{"é":"ü"}`, `{"a":"\ud83d\ude00"}`, `{"bad":"\xff"}`,
	`{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`,
	`{"a":1e}`, `{"a":tru}`, `{"a":"\x01"}`, `{"a":"\q"}`, `{"a":"\u12"}`,
	`{"a":[1,]}`, `{"a":[1 2]}`, `{"a":{"b":1}`, `{"a":1}}`, `{"a":1} x`,
	`[]`, `"x"`, `null`, ``, `{`, `{"a":"`, `{"a":[[[[[]]]]]}`,
}

// TestMembersAgreesWithEncodingJSON checks the scanner against the standard
// decoder: the same objects accepted, the same members, last duplicate
// winning.
func TestMembersAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range scanSeeds {
		checkMembersAgree(t, []byte(in))
	}
}

func FuzzMembers(f *testing.F) {
	for _, in := range scanSeeds {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkMembersAgree(t, in) })
}

func checkMembersAgree(t *testing.T, in []byte) {
	t.Helper()
	var want map[string]json.RawMessage
	wantErr := json.Unmarshal(in, &want)
	wantObject := wantErr == nil && want != nil
	got, gotObject := object(in)
	if gotObject != wantObject {
		t.Fatalf("%q: scanner object=%v, encoding/json object=%v (%v)", in, gotObject, wantObject, wantErr)
	}
	if !wantObject {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%q: got %d members, want %d", in, len(got), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			t.Fatalf("%q: member %q got %s, want %s", in, k, got[k], v)
		}
		var ws string
		if json.Unmarshal(v, &ws) == nil {
			gs, ok := asString(got[k])
			if !ok || gs != ws {
				t.Fatalf("%q: string %q got %q (%v), want %q", in, k, gs, ok, ws)
			}
		}
	}
}
