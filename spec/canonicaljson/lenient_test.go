package canonicaljson

import (
	"errors"
	"testing"
)

// The expected outputs are what Python's json module (Synapse's encoder)
// writes for the same input, checked with json.dumps(json.loads(in)).
func TestCanonicalizeLenientKeepsNumbersAsSynapseWritesThem(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a fraction is kept", `1.5`, `1.5`},
		{"a small fraction is positional", `0.0001`, `0.0001`},
		{"a smaller fraction is scientific", `0.00001`, `1e-05`},
		{"a negative exponent is scientific", `2.5e-7`, `2.5e-07`},
		{"an integral exponent is a float", `1e10`, `10000000000.0`},
		{"an upper-case exponent is a float", `1E10`, `10000000000.0`},
		{"an integral fraction keeps .0", `100.0`, `100.0`},
		{"sixteen digits are positional", `1e15`, `1000000000000000.0`},
		{"seventeen digits are scientific", `1e16`, `1e+16`},
		{"a scientific mantissa keeps its digits", `1.5e16`, `1.5e+16`},
		{"a large exponent has three digits", `1e308`, `1e+308`},
		{"a long float is rounded to float64", `12345678901234567.0`, `1.2345678901234568e+16`},
		{"a float beyond 2^53 is rounded", `9007199254740993.0`, `9007199254740992.0`},
		{"a fraction with an exponent", `123456.789e3`, `123456789.0`},
		{"negative zero float keeps its sign", `-0.0`, `-0.0`},
		{"zero float", `0.0`, `0.0`},
		{"an underflowing float is zero", `1e-400`, `0.0`},
		{"a huge integer keeps every digit", `123456789012345678901234567890`, `123456789012345678901234567890`},
		{"an integer below the range is kept", `-9007199254740992`, `-9007199254740992`},
		{"negative zero integer is zero", `-0`, `0`},
		{"objects are still sorted", `{"b":0.5,"a":18446744073709551616}`, `{"a":18446744073709551616,"b":0.5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCanonical(t, CanonicalizeLenient, tt.in, tt.want)
		})
	}
}

func TestCanonicalizeLenientRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"a float beyond float64, which Python cannot encode", `1e400`, ErrFloat},
		{"a duplicate key", `{"a":1.5,"a":1.5}`, ErrDuplicateKey},
		{"invalid UTF-8", "\"\xff\"", ErrInvalidUTF8},
		{"a lone surrogate", `"\udc00"`, ErrInvalidUTF8},
		{"invalid JSON", `[1.]`, ErrInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalizeLenient([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("CanonicalizeLenient(%q) = %q, %v; want error %v", tt.in, got, err, tt.want)
			}
		})
	}
}
