package canonicaljson

import (
	"errors"
	"testing"
)

func TestCanonicalizeWithout(t *testing.T) {
	tests := []struct {
		name string
		in   string
		drop []string
		want string
	}{
		{"signatures and unsigned are left out", `{"unsigned":{"age":1},"b":1,"signatures":{"x":{}},"a":2}`, []string{"signatures", "unsigned"}, `{"a":2,"b":1}`},
		{"the first member can be left out", `{"a":1,"b":2}`, []string{"a"}, `{"b":2}`},
		{"the last member can be left out", `{"a":1,"b":2}`, []string{"b"}, `{"a":1}`},
		{"every member can be left out", `{"a":1,"b":2}`, []string{"b", "a"}, `{}`},
		{"absent keys change nothing", ` {"b":1,"a":2}`, []string{"hashes"}, `{"a":2,"b":1}`},
		{"nested keys of the same name are kept", `{"content":{"unsigned":1},"unsigned":2}`, []string{"unsigned"}, `{"content":{"unsigned":1}}`},
		{"an escaped key is matched by its value", `{"\u0075nsigned":1,"a":2}`, []string{"unsigned"}, `{"a":2}`},
		{"nothing to drop is plain canonicalization", `{"b":1,"a":2}`, nil, `{"a":2,"b":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalizeWithout([]byte(tt.in), tt.drop...)
			if err != nil || string(got) != tt.want {
				t.Fatalf("CanonicalizeWithout(%s, %q) = %s, %v; want %s", tt.in, tt.drop, got, err, tt.want)
			}
		})
	}
}

func TestCanonicalizeWithoutRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"an array", `[1]`, ErrNotObject},
		{"a string", `"{}"`, ErrNotObject},
		{"empty input", ``, ErrNotObject},
		{"a dropped key twice", `{"unsigned":1,"unsigned":2}`, ErrDuplicateKey},
		{"a float", `{"a":0.5}`, ErrFloat},
		{"trailing data", `{"unsigned":1} x`, ErrInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := CanonicalizeWithout([]byte(tt.in), "unsigned"); !errors.Is(err, tt.want) {
				t.Fatalf("CanonicalizeWithout(%s) = %s, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCanonicalizeLenientWithoutKeepsFloats(t *testing.T) {
	got, err := CanonicalizeLenientWithout([]byte(`{"hashes":{},"b":0.5,"a":1e10}`), "hashes")
	if want := `{"a":10000000000.0,"b":0.5}`; err != nil || string(got) != want {
		t.Fatalf("CanonicalizeLenientWithout = %s, %v; want %s", got, err, want)
	}
}

func TestSplitObjectReturnsTheLeftOutValues(t *testing.T) {
	in := `{"unsigned":{"b":1, "a":2},"z":true,"signatures":{},"a":1}`
	rest, values, err := SplitObject([]byte(in), "signatures", "hashes", "unsigned")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":1,"z":true}`; string(rest) != want {
		t.Errorf("rest = %s; want %s", rest, want)
	}
	want := []string{`{}`, ``, `{"a":2,"b":1}`}
	for i, v := range values {
		if string(v) != want[i] || (v == nil) != (want[i] == "") {
			t.Errorf("values[%d] = %q; want %q", i, v, want[i])
		}
	}
}

func TestSplitObjectLenientKeepsFloats(t *testing.T) {
	rest, values, err := SplitObjectLenient([]byte(`{"unsigned":{"f":1.50},"a":1e2}`), "unsigned")
	if err != nil || string(rest) != `{"a":100.0}` || string(values[0]) != `{"f":1.5}` {
		t.Fatalf("SplitObjectLenient = %s, %q, %v", rest, values, err)
	}
}
