package id

import (
	"errors"
	"strings"
	"testing"
)

const (
	// The example event ID of https://spec.matrix.org/latest/rooms/v4/#event-ids.
	urlSafeHash = "Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"
	// A standard-alphabet hash as room version 3 writes it.
	standardHash = "acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk"
)

func TestParseRoomID(t *testing.T) {
	tests := []struct {
		name, in, opaque string
		server           ServerName
	}{
		{"a room ID with a server", "!jEsUZKDJdhlrceRyVU:example.org", "jEsUZKDJdhlrceRyVU", "example.org"},
		{"a server with a port", "!abc:example.org:8448", "abc", "example.org:8448"},
		{"a non-alphanumeric localpart", "!a b/é\x01:example.org", "a b/é\x01", "example.org"},
		{"a room version 12 room ID", "!" + urlSafeHash, urlSafeHash, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRoomID(tt.in)
			if err != nil {
				t.Fatalf("ParseRoomID(%q): %v", tt.in, err)
			}
			if r.Opaque() != tt.opaque || r.ServerName() != tt.server || r.HasServer() != (tt.server != "") {
				t.Errorf("Opaque, ServerName, HasServer = %q, %q, %v", r.Opaque(), r.ServerName(), r.HasServer())
			}
		})
	}
}

func TestParseRoomIDRejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"no sigil", "jEsUZKDJdhlrceRyVU:example.org"},
		{"an event sigil", "$abc:example.org"},
		{"an empty localpart", "!:example.org"},
		{"no server and no hash", "!abc"},
		{"a hash one character short", "!" + urlSafeHash[1:]},
		{"a standard-alphabet hash", "!" + standardHash},
		{"an invalid server", "!abc:example.org:"},
		{"NUL in the localpart", "!a\x00:example.org"},
		{"256 bytes", "!" + strings.Repeat("a", 256-len("!:example.org")) + ":example.org"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := ParseRoomID(tt.in); !errors.Is(err, ErrInvalidRoomID) {
				t.Fatalf("ParseRoomID(%q) = %q, %v; want ErrInvalidRoomID", tt.in, r, err)
			}
		})
	}
}

func TestNewRoomID(t *testing.T) {
	if r, err := NewRoomID("abcDEF123", "example.org"); err != nil || r != "!abcDEF123:example.org" {
		t.Fatalf("NewRoomID = %q, %v", r, err)
	}
	if r, err := NewRoomID("a:b", "example.org"); !errors.Is(err, ErrInvalidRoomID) {
		t.Fatalf("NewRoomID with ':' = %q, %v", r, err)
	}
	if r, err := NewRoomID("abc", "bad server"); !errors.Is(err, ErrInvalidServerName) {
		t.Fatalf("NewRoomID on a bad server = %q, %v", r, err)
	}
}

func TestRoomIDFromCreateEvent(t *testing.T) {
	r, err := RoomIDFromCreateEvent(EventID("$" + urlSafeHash))
	if err != nil || r != RoomID("!"+urlSafeHash) || r.HasServer() {
		t.Fatalf("RoomIDFromCreateEvent = %q, %v", r, err)
	}
	if r, err := RoomIDFromCreateEvent("$abc:example.org"); !errors.Is(err, ErrInvalidRoomID) {
		t.Fatalf("RoomIDFromCreateEvent of a v1 event ID = %q, %v", r, err)
	}
}
