package id

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRoomAlias(t *testing.T) {
	a, err := ParseRoomAlias("#Matrix HQ é:example.org:8448")
	if err != nil || a.Localpart() != "Matrix HQ é" || a.ServerName() != "example.org:8448" {
		t.Fatalf("ParseRoomAlias = %q (%q, %q), %v", a, a.Localpart(), a.ServerName(), err)
	}
	for _, tt := range []struct{ name, in string }{
		{"no sigil", "room:example.org"},
		{"no server", "#room"},
		{"an empty localpart", "#:example.org"},
		{"NUL", "#a\x00:example.org"},
		{"an invalid server", "#room:bad server"},
		{"256 bytes", "#" + strings.Repeat("a", 256-len("#:example.org")) + ":example.org"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if a, err := ParseRoomAlias(tt.in); !errors.Is(err, ErrInvalidRoomAlias) {
				t.Fatalf("ParseRoomAlias(%q) = %q, %v; want ErrInvalidRoomAlias", tt.in, a, err)
			}
		})
	}
	if a, err := NewRoomAlias("room", "example.org"); err != nil || a != "#room:example.org" || a.Validate() != nil {
		t.Fatalf("NewRoomAlias = %q, %v", a, err)
	}
}

func TestParseDeviceID(t *testing.T) {
	for _, tt := range []struct {
		name, in    string
		valid, safe bool
	}{
		{"a generated device ID", "GHTYAJCE", true, true},
		{"an unreserved-character device ID", "AAA-bbb.ccc_ddd~1", true, true},
		{"a space, allowed but not in a scope token", "my laptop", true, false},
		{"a backslash, allowed but not in a scope token", `a\b`, true, false},
		{"non-ASCII", "téléphone", true, false},
		{"an empty device ID", "", false, false},
		{"NUL", "a\x00", false, false},
		{"invalid UTF-8", "a\xff", false, false},
		{"256 bytes, too long though scope-safe", strings.Repeat("D", 256), false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDeviceID(tt.in)
			if (err == nil) != tt.valid || (err != nil && !errors.Is(err, ErrInvalidDeviceID)) {
				t.Fatalf("ParseDeviceID(%q) = %q, %v; want valid=%v", tt.in, d, err, tt.valid)
			}
			if DeviceID(tt.in).IsScopeToken() != tt.safe {
				t.Fatalf("IsScopeToken(%q) = %v; want %v", tt.in, !tt.safe, tt.safe)
			}
		})
	}
}

func TestValidateNamespaced(t *testing.T) {
	for _, tt := range []struct {
		in    string
		valid bool
	}{
		{"m.room.message", true}, {"com.example.identifier", true}, {"a", true}, {"a-b_c.9", true},
		{"", false}, {"M.room", false}, {"9abc", false}, {".abc", false}, {"a b", false}, {"a~b", false}, {strings.Repeat("a", 256), false},
	} {
		if err := ValidateNamespaced(tt.in); (err == nil) != tt.valid {
			t.Errorf("ValidateNamespaced(%q) = %v; want valid=%v", tt.in, err, tt.valid)
		}
	}
	if !IsReservedNamespace("m.call") || IsReservedNamespace("org.matrix.msc1234") {
		t.Error("IsReservedNamespace misjudges the m. namespace")
	}
}

func TestValidateOpaque(t *testing.T) {
	for _, tt := range []struct {
		in    string
		valid bool
	}{
		{"1234567890", true}, {"AZaz09-._~", true},
		{"", false}, {"a b", false}, {"a/b", false}, {"a+b", false}, {strings.Repeat("a", 256), false},
	} {
		if err := ValidateOpaque(tt.in); (err == nil) != tt.valid {
			t.Errorf("ValidateOpaque(%q) = %v; want valid=%v", tt.in, err, tt.valid)
		}
	}
}
