package id

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseServerNameAcceptsTheSpecExamples(t *testing.T) {
	tests := []struct {
		name, in, host string
		port           int
		hasPort        bool
		ip             string
	}{
		{"a DNS name", "matrix.org", "matrix.org", 0, false, ""},
		{"a DNS name with a port", "matrix.org:8888", "matrix.org", 8888, true, ""},
		{"an IPv4 literal", "1.2.3.4", "1.2.3.4", 0, false, "1.2.3.4"},
		{"an IPv4 literal with a port", "1.2.3.4:1234", "1.2.3.4", 1234, true, "1.2.3.4"},
		{"an IPv6 literal", "[1234:5678::abcd]", "[1234:5678::abcd]", 0, false, "1234:5678::abcd"},
		{"an IPv6 literal with a port", "[1234:5678::abcd]:5678", "[1234:5678::abcd]", 5678, true, "1234:5678::abcd"},
		{"an IPv6 literal with an IPv4 tail", "[::ffff:1.2.3.4]", "[::ffff:1.2.3.4]", 0, false, "::ffff:1.2.3.4"},
		{"upper case, which is kept", "Matrix.ORG", "Matrix.ORG", 0, false, ""},
		{"a single label", "localhost:8448", "localhost", 8448, true, ""},
		{"leading zeros in an IPv4 literal", "010.0.0.1", "010.0.0.1", 0, false, "10.0.0.1"},
		{"a numeric label that is not a dotted quad", "1.2.3", "1.2.3", 0, false, ""},
		{"a five-digit port", "example.org:99999", "example.org", 99999, true, ""},
		{"a hostname of 255 characters", strings.Repeat("a", 255), strings.Repeat("a", 255), 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseServerName(tt.in)
			if err != nil {
				t.Fatalf("ParseServerName(%q): %v", tt.in, err)
			}
			if s.Host() != tt.host {
				t.Errorf("Host() = %q; want %q", s.Host(), tt.host)
			}
			if port, ok := s.Port(); port != tt.port || ok != tt.hasPort {
				t.Errorf("Port() = %d, %v; want %d, %v", port, ok, tt.port, tt.hasPort)
			}
			ip, ok := s.IP()
			if tt.ip == "" && ok {
				t.Errorf("IP() = %v; want none", ip)
			}
			if tt.ip != "" && (!ok || ip != netip.MustParseAddr(tt.ip)) {
				t.Errorf("IP() = %v, %v; want %s", ip, ok, tt.ip)
			}
		})
	}
}

func TestParseServerNameRejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"an empty name", ""},
		{"only a port", ":8448"},
		{"an empty port", "matrix.org:"},
		{"a six-digit port", "matrix.org:123456"},
		{"a non-numeric port", "matrix.org:http"},
		{"two ports", "matrix.org:80:80"},
		{"an underscore", "my_server.org"},
		{"a slash", "matrix.org/path"},
		{"non-ASCII", "mätrix.org"},
		{"a space", "matrix .org"},
		{"an IPv4 number above 255", "1.2.3.256"},
		{"a bare IPv6 literal", "1234:5678::abcd"},
		{"an unclosed bracket", "[1234:5678::abcd"},
		{"text after the bracket", "[::1]x"},
		{"an invalid IPv6 literal", "[1:2:3]"},
		{"an empty IPv6 literal", "[]"},
		{"an IPv6 zone", "[fe80::1%eth0]"},
		{"an IPv4 literal in brackets", "[1.2.3.4]"},
		{"a hostname longer than 255", strings.Repeat("a", 256)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := ParseServerName(tt.in); !errors.Is(err, ErrInvalidServerName) {
				t.Fatalf("ParseServerName(%q) = %q, %v; want ErrInvalidServerName", tt.in, s, err)
			}
			if err := ServerName(tt.in).Validate(); err == nil {
				t.Fatalf("ServerName(%q).Validate() succeeded", tt.in)
			}
		})
	}
}
