package id

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEventID(t *testing.T) {
	tests := []struct {
		name, in  string
		server    ServerName
		isURLSafe bool
	}{
		{"a room version 1 event ID", "$0:domain", "domain", false},
		{"a server with a port", "$abc:example.org:8448", "example.org:8448", false},
		{"a room version 3 event ID", "$" + standardHash, "", false},
		{"a room version 4 event ID", "$" + urlSafeHash, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEventID(tt.in)
			if err != nil {
				t.Fatalf("ParseEventID(%q): %v", tt.in, err)
			}
			if e.ServerName() != tt.server || e.HasServer() != (tt.server != "") || e.IsURLSafe() != tt.isURLSafe {
				t.Errorf("ServerName, HasServer, IsURLSafe = %q, %v, %v", e.ServerName(), e.HasServer(), e.IsURLSafe())
			}
			if err := e.Validate(); err != nil {
				t.Errorf("Validate(): %v", err)
			}
		})
	}
}

func TestParseEventIDRejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"no sigil", urlSafeHash},
		{"a room sigil", "!" + urlSafeHash},
		{"a short hash", "$abc"},
		{"mixed alphabets", "$" + strings.Replace(urlSafeHash, "-", "+", 1)},
		{"an empty localpart", "$:example.org"},
		{"an invalid server", "$abc:-:"},
		{"256 bytes", "$" + strings.Repeat("a", 256-len("$:example.org")) + ":example.org"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := ParseEventID(tt.in); !errors.Is(err, ErrInvalidEventID) {
				t.Fatalf("ParseEventID(%q) = %q, %v; want ErrInvalidEventID", tt.in, e, err)
			}
		})
	}
}

func TestNewEventID(t *testing.T) {
	if e, err := NewEventID("1234abc", "example.org"); err != nil || e != "$1234abc:example.org" {
		t.Fatalf("NewEventID = %q, %v", e, err)
	}
	if e, err := NewEventID("a:b", "example.org"); !errors.Is(err, ErrInvalidEventID) {
		t.Fatalf("NewEventID with ':' = %q, %v", e, err)
	}
}
