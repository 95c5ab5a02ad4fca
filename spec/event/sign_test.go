package event

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

type signers struct {
	t    testing.TB
	keys map[string]signing.SigningKey
}

func newSigners(t testing.TB, servers ...string) signers {
	t.Helper()
	s := signers{t: t, keys: map[string]signing.SigningKey{}}
	for i, server := range servers {
		s.keys[server] = seededKey(t, "ed25519:"+signing.KeyID(server), byte(i+1))
	}
	return s
}

// build signs a template as origin.
func (s signers) build(rules roomversion.Rules, tmpl Template, origin string) *Event {
	s.t.Helper()
	tmpl.OpaqueID = "o"
	if tmpl.RoomID == "" {
		tmpl.RoomID = "!r:a"
	}
	if tmpl.Content == nil {
		tmpl.Content = json.RawMessage(`{"body":"hi"}`)
	}
	tmpl.OriginServerTS = 5000
	ev, err := Build(rules, tmpl, origin, s.keys[origin])
	if err != nil {
		s.t.Fatalf("Build: %v", err)
	}
	return ev
}

func (s signers) sign(ev *Event, server string) *Event {
	s.t.Helper()
	signed, err := ev.Sign(server, s.keys[server])
	if err != nil {
		s.t.Fatalf("Sign: %v", err)
	}
	return signed
}

func TestVerifyEventSignaturesRequiresEverySigner(t *testing.T) {
	s := newSigners(t, "a", "b", "resident")
	message := Template{Type: "m.room.message", Sender: "@u:a"}
	restrictedJoin := Template{
		Type: "m.room.member", StateKey: ptr("@u:a"), Sender: "@u:a",
		Content: json.RawMessage(`{"membership":"join","join_authorised_via_users_server":"@admin:resident"}`),
	}
	thirdPartyInvite := Template{
		Type: "m.room.member", StateKey: ptr("@invitee:b"), Sender: "@u:a",
		Content: json.RawMessage(`{"membership":"invite","third_party_invite":{"signed":{"mxid":"@invitee:b","token":"t"}}}`),
	}
	keys := keyring(1<<62, s.keys)
	cases := []struct {
		name     string
		versions versionFilter
		event    func(roomversion.Rules) *Event
		signers  []string
		want     error
	}{
		{"a message signed by the sender's server", allVersions,
			func(r roomversion.Rules) *Event { return s.build(r, message, "a") }, []string{"a"}, nil},
		{"a message signed only by another server", derivedIDs,
			func(r roomversion.Rules) *Event { return s.build(r, message, "b") }, []string{"a"}, ErrMissingSignature},
		{"a version 1 event whose ID names a server that did not sign", v1Format,
			func(r roomversion.Rules) *Event { return s.build(r, message, "b") }, []string{"a", "b"}, ErrMissingSignature},
		{"a version 1 event signed by the sender's and the event ID's servers", v1Format,
			func(r roomversion.Rules) *Event { return s.sign(s.build(r, message, "b"), "a") }, []string{"a", "b"}, nil},
		{"a restricted join without the authorising server's signature", func(r roomversion.Rules) bool { return r.RestrictedJoinRule },
			func(r roomversion.Rules) *Event { return s.build(r, restrictedJoin, "a") }, []string{"a", "resident"}, ErrMissingSignature},
		{"a restricted join co-signed by the authorising server", func(r roomversion.Rules) bool { return r.RestrictedJoinRule },
			func(r roomversion.Rules) *Event { return s.sign(s.build(r, restrictedJoin, "a"), "resident") }, []string{"a", "resident"}, nil},
		{"a join naming an authoriser before restricted rooms existed", func(r roomversion.Rules) bool { return !r.RestrictedJoinRule },
			func(r roomversion.Rules) *Event { return s.build(r, restrictedJoin, "a") }, []string{"a"}, nil},
		{"a third-party invite sent by the invitee's server", derivedIDs,
			func(r roomversion.Rules) *Event { return s.build(r, thirdPartyInvite, "b") }, nil, nil},
	}
	for _, tc := range cases {
		for _, rules := range roomversion.All() {
			if !tc.versions(rules) {
				continue
			}
			t.Run("VerifyEventSignatures on "+tc.name+" in room version "+string(rules.ID), func(t *testing.T) {
				ev := tc.event(rules)
				got, err := RequiredSigners(rules, ev)
				if err != nil {
					t.Fatalf("RequiredSigners: %v", err)
				}
				slices.Sort(got)
				if !slices.Equal(got, tc.signers) {
					t.Errorf("RequiredSigners = %v, want %v", got, tc.signers)
				}
				if err := VerifyEventSignatures(rules, ev, keys); !errors.Is(err, tc.want) {
					t.Errorf("VerifyEventSignatures = %v, want %v", err, tc.want)
				}
			})
		}
	}
}

func TestVerifyEventSignaturesSkipsUnknownAndExpiredKeys(t *testing.T) {
	s := newSigners(t, "a")
	key := s.keys["a"]
	pub := key.Private.Public().(ed25519.PublicKey)
	message := Template{Type: "m.room.message", Sender: "@u:a"}
	cases := []struct {
		name     string
		versions versionFilter
		resolver KeyResolver
		want     error
	}{
		{"a key valid until after origin_server_ts is used", allVersions,
			func(string, signing.KeyID) (ed25519.PublicKey, int64, error) { return pub, 5000, nil }, nil},
		{"a key that expired before origin_server_ts is skipped from version 5", func(r roomversion.Rules) bool { return r.EnforceKeyValidity },
			func(string, signing.KeyID) (ed25519.PublicKey, int64, error) { return pub, 4999, nil }, ErrKeyExpired},
		{"a key that expired before origin_server_ts is still used before version 5", func(r roomversion.Rules) bool { return !r.EnforceKeyValidity },
			func(string, signing.KeyID) (ed25519.PublicKey, int64, error) { return pub, 4999, nil }, nil},
		{"an unknown key is skipped, leaving no signature", allVersions,
			func(string, signing.KeyID) (ed25519.PublicKey, int64, error) { return nil, 0, errors.New("not found") }, ErrMissingSignature},
		{"a wrong public key makes the signature invalid", allVersions,
			func(string, signing.KeyID) (ed25519.PublicKey, int64, error) {
				return seededKey(t, "ed25519:x", 99).Private.Public().(ed25519.PublicKey), 1 << 62, nil
			}, ErrInvalidSignature},
	}
	for _, tc := range cases {
		for _, rules := range roomversion.All() {
			if !tc.versions(rules) {
				continue
			}
			t.Run(tc.name+" in room version "+string(rules.ID), func(t *testing.T) {
				ev := s.build(rules, message, "a")
				if err := VerifyEventSignatures(rules, ev, tc.resolver); !errors.Is(err, tc.want) {
					t.Errorf("VerifyEventSignatures = %v, want %v", err, tc.want)
				}
			})
		}
	}
}

// withSignatures replaces the signatures of an event's JSON.
func withSignatures(t *testing.T, ev *Event, sigs map[string]map[string]string) *Event {
	t.Helper()
	var o map[string]json.RawMessage
	if err := json.Unmarshal(ev.JSON(), &o); err != nil {
		t.Fatal(err)
	}
	o["signatures"] = mustJSON(t, sigs)
	out, err := ParseWithEventID(ev.Rules(), mustJSON(t, o), ev.EventID())
	if err != nil {
		t.Fatalf("reparse: %v", err)
	}
	return out
}

func TestVerifyEventSignaturesJudgesEachSignature(t *testing.T) {
	rules := rulesFor(t, "11")
	s := newSigners(t, "a")
	ev := s.build(rules, Template{Type: "m.room.message", Sender: "@u:a"}, "a")
	good := ev.Signatures()["a"]["ed25519:a"]
	keys := keyring(1<<62, s.keys)
	cases := []struct {
		name string
		sigs map[string]map[string]string
		want error
	}{
		{"a signature by an unknown key next to a valid one is ignored",
			map[string]map[string]string{"a": {"ed25519:a": good, "ed25519:old": "AAAA"}}, nil},
		{"signatures by other algorithms are ignored",
			map[string]map[string]string{"a": {"ed25519:a": good, "curve25519:x": "AAAA"}}, nil},
		{"only a signature by another algorithm is no signature",
			map[string]map[string]string{"a": {"curve25519:x": "AAAA"}}, ErrMissingSignature},
		{"a corrupted signature by a known key fails",
			map[string]map[string]string{"a": {"ed25519:a": strings.Repeat("A", len(good))}}, ErrInvalidSignature},
		{"no signatures at all fail", map[string]map[string]string{}, ErrMissingSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyEventSignatures(rules, withSignatures(t, ev, tc.sigs), keys); !errors.Is(err, tc.want) {
				t.Errorf("VerifyEventSignatures = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("an event checked with another room version's rules is refused", func(t *testing.T) {
		if err := VerifyEventSignatures(rulesFor(t, "10"), ev, keys); !errors.Is(err, ErrUnsupportedRules) {
			t.Errorf("VerifyEventSignatures = %v, want ErrUnsupportedRules", err)
		}
	})
}

// Changing content that redaction strips leaves the signatures valid (they
// cover the redacted form) but breaks the content hash: the receiver keeps
// the redacted event.
func TestTamperedContentKeepsSignaturesButFailsTheHash(t *testing.T) {
	for _, rules := range roomversion.All() {
		t.Run("room version "+string(rules.ID), func(t *testing.T) {
			s := newSigners(t, "a")
			ev := s.build(rules, Template{Type: "m.room.message", Sender: "@u:a"}, "a")
			var o map[string]json.RawMessage
			if err := json.Unmarshal(ev.JSON(), &o); err != nil {
				t.Fatal(err)
			}
			o["content"] = json.RawMessage(`{"body":"tampered"}`)
			tampered, err := Parse(rules, mustJSON(t, o))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tampered.EventID() != ev.EventID() {
				t.Errorf("event ID changed with non-essential content: %s -> %s", ev.EventID(), tampered.EventID())
			}
			if err := VerifyEventSignatures(rules, tampered, keyring(1<<62, s.keys)); err != nil {
				t.Errorf("VerifyEventSignatures: %v", err)
			}
			if err := CheckContentHash(tampered); !errors.Is(err, ErrContentHashMismatch) {
				t.Errorf("CheckContentHash = %v, want ErrContentHashMismatch", err)
			}
			red, err := tampered.Redact()
			if err != nil {
				t.Fatalf("Redact: %v", err)
			}
			if string(red.Content()) != "{}" || red.EventID() != ev.EventID() {
				t.Errorf("redacted copy: content %s, ID %s", red.Content(), red.EventID())
			}
		})
	}
}

func TestCheckContentHashRefusesAHashThatIsNotBase64(t *testing.T) {
	rules := rulesFor(t, "11")
	ev := basePDU(rules)
	ev["hashes"] = map[string]any{"sha256": "not base64!"}
	parsed, err := Parse(rules, mustJSON(t, ev))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckContentHash(parsed); !errors.Is(err, ErrInvalidField) {
		t.Errorf("CheckContentHash = %v, want ErrInvalidField", err)
	}
}

func TestSignEventKeepsOtherHashesAndSignatures(t *testing.T) {
	rules := rulesFor(t, "11")
	s := newSigners(t, "a", "b")
	raw := []byte(`{"type":"m.room.message","room_id":"!r:a","sender":"@u:a","content":{},"depth":1,
		"origin_server_ts":1,"prev_events":[],"auth_events":[],
		"hashes":{"sha512":"x"},"signatures":{"b":{"ed25519:b":"earlier"}}}`)
	out, err := SignEvent(rules, raw, "a", s.keys["a"])
	if err != nil {
		t.Fatalf("SignEvent: %v", err)
	}
	ev, err := Parse(rules, out)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if ev.Hashes()["sha512"] != "x" || ev.Signatures()["b"]["ed25519:b"] != "earlier" || ev.Signatures()["a"]["ed25519:a"] == "" {
		t.Errorf("hashes %v, signatures %v", ev.Hashes(), ev.Signatures())
	}
	if _, err := SignEvent(rules, []byte(`{"type":"x","hashes":[]}`), "a", s.keys["a"]); !errors.Is(err, ErrInvalidField) {
		t.Errorf("SignEvent with array hashes = %v, want ErrInvalidField", err)
	}
}
