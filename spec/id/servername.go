package id

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ServerName identifies a homeserver: a hostname (DNS name, IPv4 literal or
// bracketed IPv6 literal) and an optional port. It is compared
// case-sensitively, as the spec requires.
//
// https://spec.matrix.org/latest/appendices/#server-name
type ServerName string

// maxHostLength is the grammar's limit on a dns-name (1*255dns-char).
const maxHostLength = 255

// ParseServerName checks s against the server name grammar, as found after
// the ':' of an identifier or in the origin of an X-Matrix Authorization
// header.
//
// https://spec.matrix.org/latest/appendices/#server-name
func ParseServerName(s string) (ServerName, error) {
	host, port, hasPort, err := splitServerName(s)
	if err != nil {
		return "", err
	}
	if hasPort && (len(port) == 0 || len(port) > 5 || !allDigits(port)) {
		return "", fmt.Errorf("%w %q: port must be 1 to 5 digits", ErrInvalidServerName, s)
	}
	switch {
	case strings.HasPrefix(host, "["):
		if !validIPv6Literal(host[1 : len(host)-1]) {
			return "", fmt.Errorf("%w %q: invalid IPv6 literal", ErrInvalidServerName, s)
		}
	case looksLikeIPv4(host):
		// A dotted quad is an IPv4 literal, whose numbers must be at most
		// 255, even though the dns-name rule alone would let it through.
		if _, ok := parseIPv4(host); !ok {
			return "", fmt.Errorf("%w %q: IPv4 literal with a number above 255", ErrInvalidServerName, s)
		}
	default:
		if !validDNSName(host) {
			return "", fmt.Errorf("%w %q: hostname must be 1 to %d of [A-Za-z0-9.-]", ErrInvalidServerName, s, maxHostLength)
		}
	}
	return ServerName(s), nil
}

// Validate checks the server name against the grammar.
func (s ServerName) Validate() error {
	_, err := ParseServerName(string(s))
	return err
}

// Host is the hostname without the port, an IPv6 literal still in its
// brackets, as written in the server name.
func (s ServerName) Host() string {
	host, _, _, _ := splitServerName(string(s))
	return host
}

// Port is the explicit port, if the server name has one.
func (s ServerName) Port() (int, bool) {
	_, port, hasPort, err := splitServerName(string(s))
	if err != nil || !hasPort {
		return 0, false
	}
	n, err := strconv.Atoi(port)
	return n, err == nil
}

// IP is the address of a server name whose hostname is an IP literal.
// Server discovery skips .well-known and SRV lookups for those.
func (s ServerName) IP() (netip.Addr, bool) {
	host := s.Host()
	if strings.HasPrefix(host, "[") {
		addr, err := netip.ParseAddr(host[1 : len(host)-1])
		return addr, err == nil
	}
	if !looksLikeIPv4(host) {
		return netip.Addr{}, false
	}
	return parseIPv4(host)
}

// splitServerName separates the hostname from the port. Only a bracketed
// IPv6 literal may hold colons, so outside brackets the last ':' starts
// the port.
func splitServerName(s string) (host, port string, hasPort bool, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false, fmt.Errorf("%w %q: unclosed '['", ErrInvalidServerName, s)
		}
		host, rest := s[:end+1], s[end+1:]
		if rest == "" {
			return host, "", false, nil
		}
		if rest[0] != ':' {
			return "", "", false, fmt.Errorf("%w %q: unexpected text after ']'", ErrInvalidServerName, s)
		}
		return host, rest[1:], true, nil
	}
	host, port, hasPort = strings.Cut(s, ":")
	return host, port, hasPort, nil
}

// validIPv6Literal checks the grammar's IPv6char set and length, then the
// address itself (RFC 3513 section 2.2, which allows an embedded IPv4
// tail). Zones are outside the character set.
func validIPv6Literal(s string) bool {
	if len(s) < 2 || len(s) > 45 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
			return false
		}
	}
	addr, err := netip.ParseAddr(s)
	return err == nil && addr.Is6()
}

// looksLikeIPv4 reports whether s matches IPv4address: four groups of one
// to three digits.
func looksLikeIPv4(s string) bool {
	groups := strings.Split(s, ".")
	if len(groups) != 4 {
		return false
	}
	for _, g := range groups {
		if len(g) == 0 || len(g) > 3 || !allDigits(g) {
			return false
		}
	}
	return true
}

// parseIPv4 reads a dotted quad; unlike netip it allows leading zeros,
// which the grammar (1*3DIGIT) does, reading them as decimal.
func parseIPv4(s string) (netip.Addr, bool) {
	var b [4]byte
	for i, g := range strings.Split(s, ".") {
		n, err := strconv.Atoi(g)
		if err != nil || n > 255 || i >= len(b) {
			return netip.Addr{}, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), true
}

func validDNSName(s string) bool {
	if len(s) == 0 || len(s) > maxHostLength {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
