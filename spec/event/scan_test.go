package event

import (
	"errors"
	"testing"
)

func TestSplittersRefuseMalformedJSON(t *testing.T) {
	objects := []string{``, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":"x}`, `{"a":[1}`, `{"a"1}`, `{a:1}`, `{"a":1"b":2}`, `{,}`, `[]`}
	for _, raw := range objects {
		t.Run("splitObject refuses "+raw, func(t *testing.T) {
			if _, err := splitObject([]byte(raw)); !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("splitObject = %v, want ErrInvalidJSON", err)
			}
		})
	}
	arrays := []string{``, `[`, `[1,]`, `[,]`, `["a]`, `[{]`, `{}`}
	for _, raw := range arrays {
		t.Run("splitArray refuses "+raw, func(t *testing.T) {
			if _, err := splitArray([]byte(raw)); !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("splitArray = %v, want ErrInvalidJSON", err)
			}
		})
	}
}

func TestSplittersReadCanonicalJSON(t *testing.T) {
	o, err := splitObject([]byte(`{"a":{"b":["}",{"c":"\"]"}]},"d\"":1,"e":"x\\"}`))
	if err != nil {
		t.Fatalf("splitObject: %v", err)
	}
	want := map[string]string{"a": `{"b":["}",{"c":"\"]"}]}`, `d"`: `1`, "e": `"x\\"`}
	if len(o) != len(want) {
		t.Fatalf("members %v, want %v", o, want)
	}
	for k, v := range want {
		if string(o[k]) != v {
			t.Errorf("member %q = %s, want %s", k, o[k], v)
		}
	}
	items, err := splitArray([]byte(`["a",[1,2],{"x":"]"},null]`))
	if err != nil || len(items) != 4 || string(items[2]) != `{"x":"]"}` {
		t.Errorf("splitArray = %q, %v", items, err)
	}
}
