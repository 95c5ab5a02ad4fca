package id

import (
	"errors"
	"strings"
	"testing"
)

func TestParseUserID(t *testing.T) {
	tests := []struct {
		name, in, localpart string
		server              ServerName
		historical          bool
		compliant           bool
	}{
		{"a current user ID", "@alice:example.org", "alice", "example.org", false, true},
		{"every allowed punctuation", "@a.b_c=d-e/f+g:example.org", "a.b_c=d-e/f+g", "example.org", false, true},
		{"a server with a port", "@bob:example.org:8448", "bob", "example.org:8448", false, true},
		{"an IPv6 server", "@bob:[::1]:8448", "bob", "[::1]:8448", false, true},
		{"a historical upper-case localpart", "@Alice:example.org", "Alice", "example.org", true, true},
		{"historical printable ASCII", "@a!b#c*d:example.org", "a!b#c*d", "example.org", true, true},
		{"a historical non-ASCII localpart", "@日本:example.org", "日本", "example.org", true, false},
		{"a historical control character", "@a\x01b:example.org", "a\x01b", "example.org", true, false},
		{"a historical space", "@a b:example.org", "a b", "example.org", true, false},
		{"a historical empty localpart", "@:example.org", "", "example.org", true, false},
		{"exactly 255 bytes", "@" + strings.Repeat("a", 255-len("@:example.org")) + ":example.org", strings.Repeat("a", 255-len("@:example.org")), "example.org", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseUserID(tt.in)
			if err != nil {
				t.Fatalf("ParseUserID(%q): %v", tt.in, err)
			}
			if u.Localpart() != tt.localpart || u.ServerName() != tt.server {
				t.Errorf("Localpart, ServerName = %q, %q; want %q, %q", u.Localpart(), u.ServerName(), tt.localpart, tt.server)
			}
			if u.IsHistorical() != tt.historical || u.IsCompliant() != tt.compliant {
				t.Errorf("IsHistorical, IsCompliant = %v, %v; want %v, %v", u.IsHistorical(), u.IsCompliant(), tt.historical, tt.compliant)
			}
			if _, err := ParseUserIDStrict(tt.in); (err == nil) == tt.historical {
				t.Errorf("ParseUserIDStrict(%q) error = %v; want an error only for historical IDs", tt.in, err)
			}
			if err := u.Validate(); err != nil {
				t.Errorf("Validate(): %v", err)
			}
		})
	}
}

func TestParseUserIDRejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"an empty string", ""},
		{"no sigil", "alice:example.org"},
		{"the wrong sigil", "#alice:example.org"},
		{"no server", "@alice"},
		{"an empty server", "@alice:"},
		{"an invalid server", "@alice:exa mple.org"},
		{"NUL in the localpart", "@a\x00b:example.org"},
		{"invalid UTF-8", "@a\xffb:example.org"},
		{"an encoded surrogate", "@a\xed\xa0\x80:example.org"},
		{"256 bytes", "@" + strings.Repeat("a", 256-len("@:example.org")) + ":example.org"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if u, err := ParseUserID(tt.in); !errors.Is(err, ErrInvalidUserID) {
				t.Fatalf("ParseUserID(%q) = %q, %v; want ErrInvalidUserID", tt.in, u, err)
			}
		})
	}
}

func TestNewUserID(t *testing.T) {
	u, err := NewUserID("alice", "example.org")
	if err != nil || u != "@alice:example.org" {
		t.Fatalf("NewUserID = %q, %v", u, err)
	}
	for _, tt := range []struct {
		name, localpart string
		server          ServerName
		want            error
	}{
		{"an upper-case localpart", "Alice", "example.org", ErrInvalidLocalpart},
		{"an empty localpart", "", "example.org", ErrInvalidLocalpart},
		{"a colon in the localpart", "a:b", "example.org", ErrInvalidLocalpart},
		{"an invalid server", "alice", "example.org:", ErrInvalidServerName},
		{"a user ID over 255 bytes", strings.Repeat("a", 250), "example.org", ErrInvalidUserID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if u, err := NewUserID(tt.localpart, tt.server); !errors.Is(err, tt.want) {
				t.Fatalf("NewUserID(%q, %q) = %q, %v; want %v", tt.localpart, tt.server, u, err, tt.want)
			}
		})
	}
}

func TestValidateLocalpart(t *testing.T) {
	for _, tt := range []struct {
		in    string
		valid bool
	}{
		{"alice", true}, {"0123456789", true}, {"._=-/+", true},
		{"Alice", false}, {"", false}, {"a b", false}, {"a*b", false}, {"a#b", false}, {"é", false}, {"a:b", false}, {"a@b", false},
	} {
		if err := ValidateLocalpart(tt.in); (err == nil) != tt.valid {
			t.Errorf("ValidateLocalpart(%q) = %v; want valid=%v", tt.in, err, tt.valid)
		}
	}
}
