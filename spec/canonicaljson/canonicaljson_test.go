package canonicaljson

import (
	"errors"
	"os"
	"testing"
)

// The examples of https://spec.matrix.org/latest/appendices/#canonical-json,
// verbatim.
func TestCanonicalizeAppendixExamples(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"an empty object stays empty", `{}`, `{}`},
		{"whitespace is removed", `{
    "one": 1,
    "two": "Two"
}`, `{"one":1,"two":"Two"}`},
		{"keys are sorted", `{
    "b": "2",
    "a": "1"
}`, `{"a":"1","b":"2"}`},
		{"compact keys are sorted", `{"b":"2","a":"1"}`, `{"a":"1","b":"2"}`},
		{"nested objects in arrays are sorted", `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`, `{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}`},
		{"non-ASCII is written as UTF-8", `{
    "a": "日本語"
}`, `{"a":"日本語"}`},
		{"non-ASCII keys sort by code point", `{
    "本": 2,
    "日": 1
}`, `{"日":1,"本":2}`},
		{"unicode escapes are decoded", `{
    "a": "\u65E5"
}`, `{"a":"日"}`},
		{"null is kept", `{
    "a": null
}`, `{"a":null}`},
		{"negative zero and integral exponents become plain integers", `{
    "a": -0,
    "b": 1e10
}`, `{"a":0,"b":10000000000}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCanonical(t, Canonicalize, tt.in, tt.want)
		})
	}
}

func TestCanonicalizeEdgeCases(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a bare string is a value", ` "x" `, `"x"`},
		{"a bare number is a value", "\t\r\n42\n", `42`},
		{"literals are kept", `[true,false,null]`, `[true,false,null]`},
		{"empty containers stay empty", `{ "a" : [ ] , "b" : { } }`, `{"a":[],"b":{}}`},
		{"nested arrays keep their order", `[[3,[2]],[1],[]]`, `[[3,[2]],[1],[]]`},
		{"keys sort by code point, astral after BMP", `{"\ud83d\ude00":1,"\uff61":2,"z":3,"é":4}`, `{"z":3,"é":4,"｡":2,"😀":1}`},
		{"escaped keys sort by their decoded value", `{"B":1,"\u0041":2,"\n":3}`, `{"\n":3,"A":2,"B":1}`},
		{"a key prefix sorts first", `{"ab":1,"a":2,"":3}`, `{"":3,"a":2,"ab":1}`},
		{"deep objects are sorted at every level", `{"b":{"d":{"f":1,"e":2},"c":3},"a":[{"y":1,"x":2}]}`, `{"a":[{"x":2,"y":1}],"b":{"c":3,"d":{"e":2,"f":1}}}`},
		{"short escapes are used where they exist", `"\u0008\u0009\u000A\u000C\u000D"`, `"\b\t\n\f\r"`},
		{"other control characters are lowercase hex escapes", `"\u0000\u001F\u001b\u000B"`, `"\u0000\u001f\u001b\u000b"`},
		{"quote and backslash stay escaped", `"\"\\"`, `"\"\\"`},
		{"slash is never escaped", `"\/a/b"`, `"/a/b"`},
		{"DEL and line separators are not escaped", `"\u007f\u2028\u2029"`, "\"\x7f\u2028\u2029\""},
		{"escaped non-ASCII becomes UTF-8", `"\u00e9\uD83D\uDE00"`, `"é😀"`},
		{"literal U+FFFD is kept", "\"\uFFFD\"", "\"\uFFFD\""},
		{"the largest safe integer is kept", `[9007199254740991,-9007199254740991]`, `[9007199254740991,-9007199254740991]`},
		{"integral fractions become integers", `[1.0,1.50e1,-2.000,0.0,-0.0e5]`, `[1,15,-2,0,0]`},
		{"exponent spellings become integers", `[1e3,1E+3,2500e-2,9007199254740991e0]`, `[1000,1000,25,9007199254740991]`},
		{"a zero with a huge exponent is zero", `[0e999999999999,0.000e-99999999999]`, `[0,0]`},
		{"HTML characters are not escaped", `"\u003c\u003e\u0026"`, `"<>&"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCanonical(t, Canonicalize, tt.in, tt.want)
		})
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty input", ``, ErrInvalidJSON},
		{"only whitespace", "  \n", ErrInvalidJSON},
		{"trailing data", `{} {}`, ErrInvalidJSON},
		{"a trailing comma in an object", `{"a":1,}`, ErrInvalidJSON},
		{"a trailing comma in an array", `[1,]`, ErrInvalidJSON},
		{"a missing colon", `{"a" 1}`, ErrInvalidJSON},
		{"a non-string key", `{1:1}`, ErrInvalidJSON},
		{"an unterminated string", `"abc`, ErrInvalidJSON},
		{"an unterminated object", `{"a":1`, ErrInvalidJSON},
		{"a raw control character in a string", "\"a\nb\"", ErrInvalidJSON},
		{"an unknown escape", `"\x41"`, ErrInvalidJSON},
		{"a short unicode escape", `"\u12"`, ErrInvalidJSON},
		{"leading zeros", `01`, ErrInvalidJSON},
		{"a plus sign", `+1`, ErrInvalidJSON},
		{"a bare minus", `-`, ErrInvalidJSON},
		{"a fraction without digits", `1.`, ErrInvalidJSON},
		{"an exponent without digits", `1e+`, ErrInvalidJSON},
		{"NaN", `NaN`, ErrInvalidJSON},
		{"Infinity", `[Infinity]`, ErrInvalidJSON},
		{"a misspelt literal", `tru`, ErrInvalidJSON},
		{"a byte order mark", "\ufeff{}", ErrInvalidJSON},
		{"single quotes", `{'a':1}`, ErrInvalidJSON},
		{"a duplicate key", `{"a":1,"a":2}`, ErrDuplicateKey},
		{"a duplicate key after sorting", `{"b":1,"a":2,"b":3}`, ErrDuplicateKey},
		{"a duplicate key spelt with an escape", `{"a":1,"\u0061":2}`, ErrDuplicateKey},
		{"a nested duplicate key", `[{"x":{"k":1,"k":1}}]`, ErrDuplicateKey},
		{"a fraction", `1.5`, ErrFloat},
		{"a negative exponent", `{"a":1e-3}`, ErrFloat},
		{"a tiny fraction", `10.000000000000000000001`, ErrFloat},
		{"a huge negative exponent", `1e-99999999999999999999`, ErrFloat},
		{"2^53", `9007199254740992`, ErrIntegerOutOfRange},
		{"-(2^53)", `-9007199254740992`, ErrIntegerOutOfRange},
		{"a 20-digit integer", `12345678901234567890`, ErrIntegerOutOfRange},
		{"an exponent beyond the range", `1e16`, ErrIntegerOutOfRange},
		{"a huge exponent", `1e99999999999999999999`, ErrIntegerOutOfRange},
		{"invalid UTF-8", "\"\xff\"", ErrInvalidUTF8},
		{"a truncated UTF-8 sequence", "\"\xe6\x97\"", ErrInvalidUTF8},
		{"an encoded surrogate", "\"\xed\xa0\x80\"", ErrInvalidUTF8},
		{"an overlong encoding", "\"\xc0\xaf\"", ErrInvalidUTF8},
		{"a lone high surrogate", `"\ud83d"`, ErrInvalidUTF8},
		{"a lone low surrogate", `"\ude00"`, ErrInvalidUTF8},
		{"a high surrogate before a non-surrogate", `"\ud83d\u0041"`, ErrInvalidUTF8},
		{"invalid UTF-8 in a key", "{\"\xff\":1}", ErrInvalidUTF8},
		{"nesting deeper than MaxDepth", deepArray(MaxDepth + 1), ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Canonicalize(%q) = %q, %v; want error %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCanonicalizeAcceptsMaxDepth(t *testing.T) {
	in := deepArray(MaxDepth)
	got, err := Canonicalize([]byte(in))
	if err != nil || string(got) != in {
		t.Fatalf("Canonicalize(depth %d) = %v; want it unchanged", MaxDepth, err)
	}
}

func TestCanonicalizeEvent(t *testing.T) {
	in, err := os.ReadFile("testdata/event.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/event.canonical.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Canonicalize(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("Canonicalize(event.json) =\n%s\nwant\n%s", got, want)
	}
	again, err := Canonicalize(got)
	if err != nil || string(again) != string(got) {
		t.Fatalf("canonicalizing canonical JSON changed it: %s, %v", again, err)
	}
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"a map is sorted", map[string]any{"b": 1, "a": []int{2, 1}}, `{"a":[2,1],"b":1}`},
		{"struct fields are sorted by JSON name", struct {
			Zed   string `json:"zed"`
			Alpha string `json:"alpha"`
		}{"<&>", "é"}, `{"alpha":"é","zed":"<&>"}`},
		{"an integral float64 is an integer", 3.0, `3`},
		{"raw JSON is canonicalized", rawJSON(`{ "b":1, "a":2 }`), `{"a":2,"b":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.in)
			if err != nil || string(got) != tt.want {
				t.Fatalf("Marshal(%v) = %s, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestMarshalRejects(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want error
	}{
		{"a fractional float", 1.5, ErrFloat},
		{"a large integer", int64(1) << 60, ErrIntegerOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Marshal(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("Marshal(%v) error = %v; want %v", tt.in, err, tt.want)
			}
		})
	}
	if _, err := Marshal(make(chan int)); err == nil {
		t.Fatal("Marshal(chan) succeeded; want an error")
	}
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func assertCanonical(t *testing.T, canonicalize func([]byte) ([]byte, error), in, want string) {
	t.Helper()
	got, err := canonicalize([]byte(in))
	if err != nil {
		t.Fatalf("canonicalize(%q) failed: %v", in, err)
	}
	if string(got) != want {
		t.Fatalf("canonicalize(%q) = %s; want %s", in, got, want)
	}
}

func deepArray(depth int) string {
	b := make([]byte, 0, 2*depth)
	for range depth {
		b = append(b, '[')
	}
	for range depth {
		b = append(b, ']')
	}
	return string(b)
}
