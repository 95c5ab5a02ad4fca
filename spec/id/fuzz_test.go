package id

import "testing"

// FuzzParseUserID checks that parsing never panics and that an accepted
// user ID is rebuilt from its parts.
func FuzzParseUserID(f *testing.F) {
	for _, seed := range []string{"@alice:example.org", "@:[::1]:80", "@日本:1.2.3.4", "@a:b:c", "@a\x00:b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUserID(s)
		if err != nil {
			return
		}
		if rebuilt := "@" + u.Localpart() + ":" + string(u.ServerName()); rebuilt != s {
			t.Fatalf("ParseUserID(%q) parts rebuild %q", s, rebuilt)
		}
		if err := u.ServerName().Validate(); err != nil {
			t.Fatalf("ParseUserID(%q) accepted server %q: %v", s, u.ServerName(), err)
		}
		if _, err := ParseUserIDStrict(s); (err == nil) == u.IsHistorical() {
			t.Fatalf("ParseUserIDStrict(%q) disagrees with IsHistorical", s)
		}
	})
}

// FuzzParseServerName checks that an accepted server name splits into a
// host and port that rebuild it.
func FuzzParseServerName(f *testing.F) {
	for _, seed := range []string{"matrix.org:8888", "[1234:5678::abcd]:5678", "1.2.3.4", "[::ffff:1.2.3.4]", "a:"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := ParseServerName(s)
		if err != nil {
			return
		}
		rebuilt := name.Host()
		if _, ok := name.Port(); ok {
			rebuilt += s[len(rebuilt):]
		}
		if rebuilt != s {
			t.Fatalf("ParseServerName(%q) host and port rebuild %q", s, rebuilt)
		}
	})
}
