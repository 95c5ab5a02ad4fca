package auth

import (
	"strings"
	"unicode/utf8"
)

// maxIDLength is the limit on user IDs in bytes.
// https://spec.matrix.org/latest/appendices/#user-identifiers
const maxIDLength = 255

// domainOf is the server name of a user, room or event ID: everything after
// the first colon, or "" if there is none.
func domainOf(id string) string {
	_, domain, ok := strings.Cut(id, ":")
	if !ok {
		return ""
	}
	return domain
}

// looksLikeUserID is the check applied to the keys of users in
// m.room.power_levels: a sigil and a colon. Existing rooms hold user IDs
// that the current grammar rejects, so the rules accept anything of the
// form @localpart:domain there.
func looksLikeUserID(s string) bool {
	return strings.HasPrefix(s, "@") && strings.Contains(s[1:], ":")
}

// validUserID is the validation applied to an event's sender: the @ sigil,
// a colon, a valid server name and at most 255 bytes. The localpart is not
// restricted further because historical user IDs stay valid senders.
// https://spec.matrix.org/latest/appendices/#user-identifiers
func validUserID(s string) bool {
	if len(s) > maxIDLength || !utf8.ValidString(s) || !looksLikeUserID(s) {
		return false
	}
	return validServerName(domainOf(s))
}

// validServerName checks the server name grammar.
// https://spec.matrix.org/latest/appendices/#server-name
func validServerName(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		host, port = s[:end+1], s[end+1:]
		if !validIPv6Literal(host[1 : len(host)-1]) {
			return false
		}
	} else {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			host, port = s[:i], s[i:]
		}
		if !validDNSNameOrIPv4(host) {
			return false
		}
	}
	if port == "" {
		return true
	}
	digits, ok := strings.CutPrefix(port, ":")
	if !ok || len(digits) < 1 || len(digits) > 5 {
		return false
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validDNSNameOrIPv4 accepts dns-name; an IPv4 literal is a dns-name too.
func validDNSNameOrIPv4(host string) bool {
	if len(host) < 1 || len(host) > 255 {
		return false
	}
	for _, c := range []byte(host) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

func validIPv6Literal(s string) bool {
	if len(s) < 2 || len(s) > 45 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == ':', c == '.':
		default:
			return false
		}
	}
	return true
}
