package b64

import (
	"bytes"
	"errors"
	"testing"
)

// The examples of https://spec.matrix.org/latest/appendices/#unpadded-base64.
var appendixExamples = []struct{ plain, encoded string }{
	{"", ""},
	{"f", "Zg"},
	{"fo", "Zm8"},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg"},
	{"fooba", "Zm9vYmE"},
	{"foobar", "Zm9vYmFy"},
}

func TestEncodeMatchesAppendixExamples(t *testing.T) {
	for _, tt := range appendixExamples {
		t.Run(tt.plain, func(t *testing.T) {
			if got := Encode([]byte(tt.plain)); got != tt.encoded {
				t.Fatalf("Encode(%q) = %q; want %q", tt.plain, got, tt.encoded)
			}
			if got := EncodeURLSafe([]byte(tt.plain)); got != tt.encoded {
				t.Fatalf("EncodeURLSafe(%q) = %q; want %q", tt.plain, got, tt.encoded)
			}
		})
	}
}

func TestEncodeAlphabets(t *testing.T) {
	in := []byte{0xfb, 0xff, 0xbf}
	if got := Encode(in); got != "+/+/" {
		t.Fatalf("Encode = %q; want standard alphabet +/+/", got)
	}
	if got := EncodeURLSafe(in); got != "-_-_" {
		t.Fatalf("EncodeURLSafe = %q; want URL-safe alphabet -_-_", got)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []byte
	}{
		{"unpadded standard", "Zm9vYg", []byte("foob")},
		{"padded standard", "Zm9vYg==", []byte("foob")},
		{"one padding character", "Zm9vYmE=", []byte("fooba")},
		{"the standard alphabet", "+/+/", []byte{0xfb, 0xff, 0xbf}},
		{"the URL-safe alphabet", "-_-_", []byte{0xfb, 0xff, 0xbf}},
		{"URL-safe padded", "-_8=", []byte{0xfb, 0xff}},
		{"empty", "", []byte{}},
	}
	for _, tt := range appendixExamples {
		tests = append(tests, struct {
			name string
			in   string
			want []byte
		}{"appendix example " + tt.encoded, tt.encoded, []byte(tt.plain)})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.in)
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("Decode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"a character outside both alphabets", "Zm9v!"},
		{"mixed alphabets", "+_+_"},
		{"an impossible length", "Zm9vY"},
		{"too much padding", "Zg==="},
		{"padding on a non-multiple of four", "Zg="},
		{"padding in the middle", "Zg==Zg"},
		{"a line break", "Zm9v\nYmFy"},
		{"a space", "Zm9v YmFy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Decode(tt.in); !errors.Is(err, ErrInvalidBase64) {
				t.Fatalf("Decode(%q) = %q, %v; want ErrInvalidBase64", tt.in, got, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, tt := range appendixExamples {
		f.Add(tt.encoded)
	}
	f.Add("-_8=")
	f.Fuzz(func(t *testing.T, in string) {
		b, err := Decode(in)
		if err != nil {
			return
		}
		back, err := Decode(Encode(b))
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("Decode(Encode(%x)) = %x, %v", b, back, err)
		}
	})
}
