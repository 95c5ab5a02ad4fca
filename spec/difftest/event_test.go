package difftest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/matrix-org/gomatrixserverlib"
	"github.com/matrix-org/gomatrixserverlib/spec"
	"github.com/tidwall/gjson"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// gmslKnows reports whether gomatrixserverlib implements the room version.
func gmslKnows(id roomversion.ID) bool {
	return gomatrixserverlib.KnownRoomVersion(gomatrixserverlib.RoomVersion(id))
}

// gmslVersion is gomatrixserverlib's implementation of the room version.
func gmslVersion(t testing.TB, rules roomversion.Rules) gomatrixserverlib.IRoomVersion {
	t.Helper()
	v, err := gomatrixserverlib.GetRoomVersion(gomatrixserverlib.RoomVersion(rules.ID))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// keyResolver knows one public key under every server name.
func keyResolver(key signing.SigningKey) event.KeyResolver {
	return func(_ string, keyID signing.KeyID) (ed25519.PublicKey, int64, error) {
		if keyID != key.ID {
			return nil, 0, errors.New("unknown key")
		}
		return key.Public(), 1 << 62, nil
	}
}

// gmslReferenceHash is the reference hash as gomatrixserverlib's redaction
// and canonical JSON compute it: SHA-256 of the redacted event without
// signatures and unsigned.
func gmslReferenceHash(t *testing.T, v gomatrixserverlib.IRoomVersion, raw []byte) [sha256.Size]byte {
	t.Helper()
	redacted, err := v.RedactEventJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal(redacted, &obj); err != nil {
		t.Fatal(err)
	}
	delete(obj, "signatures")
	delete(obj, "unsigned")
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := gomatrixserverlib.CanonicalJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(canonical)
}

// TestBuiltEventsAgreeWithGomatrixserverlib builds random events with
// event.Build and has gomatrixserverlib parse them: same event ID, a content
// hash it accepts (it would redact the event otherwise), a signature it
// verifies and the same reference hash.
func TestBuiltEventsAgreeWithGomatrixserverlib(t *testing.T) {
	key := testKey(t)
	for _, rules := range versions(t, gmslKnows) {
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 300)
			v := gmslVersion(t, rules)
			for i := range n {
				tmpl := randEventTemplate(r, rules)
				origin := serverOf(tmpl.Sender)
				ours, err := event.Build(rules, tmpl, origin, key)
				if err != nil {
					t.Fatalf("case %d: Build(%+v): %v", i, tmpl, err)
				}
				theirs, err := v.NewEventFromUntrustedJSON(ours.JSON())
				if err != nil {
					t.Fatalf("case %d: gomatrixserverlib refuses %s: %v", i, ours.JSON(), err)
				}
				if theirs.Redacted() {
					t.Fatalf("case %d: gomatrixserverlib finds a content hash mismatch in %s", i, ours.JSON())
				}
				if gmslDropsThirdPartyInvite(rules, ours.JSON()) {
					continue
				}
				if theirs.EventID() != ours.EventID() {
					t.Fatalf("case %d: event ID of %s\nours:   %s\ntheirs: %s", i, ours.JSON(), ours.EventID(), theirs.EventID())
				}
				redacted, err := v.RedactEventJSON(ours.JSON())
				if err != nil {
					t.Fatal(err)
				}
				if err := gomatrixserverlib.VerifyJSON(origin, gomatrixserverlib.KeyID(key.ID), key.Public(), redacted); err != nil {
					t.Fatalf("case %d: gomatrixserverlib refuses our signature on %s: %v", i, ours.JSON(), err)
				}
				ref, err := ours.ReferenceHash()
				if err != nil {
					t.Fatal(err)
				}
				if want := gmslReferenceHash(t, v, ours.JSON()); ref != want {
					t.Fatalf("case %d: reference hash of %s\nours:   %x\ntheirs: %x", i, ours.JSON(), ref, want)
				}
			}
		})
	}
}

// TestGomatrixserverlibEventsAgreeWithOurs builds random events with
// gomatrixserverlib's EventBuilder and parses them with ours: same event ID,
// the content hash it wrote is ours, and its signature verifies. Room
// versions 1 and 2 are left out: gomatrixserverlib's builder cannot write
// the reference hashes of prev_events and auth_events in that format.
func TestGomatrixserverlibEventsAgreeWithOurs(t *testing.T) {
	key := testKey(t)
	for _, rules := range versions(t, gmslKnows) {
		if rules.EventFormat == roomversion.EventFormatV1 {
			continue
		}
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 300)
			v := gmslVersion(t, rules)
			for i := range n {
				tmpl := randEventTemplate(r, rules)
				origin := serverOf(tmpl.Sender)
				proto := gomatrixserverlib.ProtoEvent{
					SenderID:   tmpl.Sender,
					RoomID:     tmpl.RoomID,
					Type:       tmpl.Type,
					StateKey:   tmpl.StateKey,
					PrevEvents: nonNil(tmpl.PrevEvents),
					AuthEvents: nonNil(tmpl.AuthEvents),
					Depth:      tmpl.Depth,
					Content:    []byte(tmpl.Content),
					Unsigned:   []byte(tmpl.Unsigned),
				}
				if tmpl.Redacts != "" && !rules.ImplicitRoomCreator {
					proto.Redacts = tmpl.Redacts
				}
				built, err := v.NewEventBuilderFromProtoEvent(&proto).Build(time.UnixMilli(tmpl.OriginServerTS), spec.ServerName(origin), gomatrixserverlib.KeyID(key.ID), key.Private)
				if err != nil {
					t.Fatalf("case %d: gomatrixserverlib cannot build %+v: %v", i, proto, err)
				}
				if gmslDropsThirdPartyInvite(rules, built.JSON()) {
					continue
				}
				// A join through a restricted join rule carries the
				// authorising server's signature too.
				if via := gjson.GetBytes(built.JSON(), "content.join_authorised_via_users_server").Str; via != "" && rules.RestrictedJoinRule &&
					tmpl.Type == typeMember && gjson.GetBytes(built.JSON(), "content.membership").Str == "join" {
					built = built.Sign(serverOf(via), gomatrixserverlib.KeyID(key.ID), key.Private)
				}
				ours, err := event.Parse(rules, built.JSON())
				if err != nil {
					t.Fatalf("case %d: we refuse gomatrixserverlib's %s: %v", i, built.JSON(), err)
				}
				if ours.EventID() != built.EventID() {
					t.Fatalf("case %d: event ID of %s\nours:   %s\ntheirs: %s", i, built.JSON(), ours.EventID(), built.EventID())
				}
				if err := event.CheckContentHash(ours); err != nil {
					t.Fatalf("case %d: content hash of %s: %v", i, built.JSON(), err)
				}
				h, err := ours.ContentHash()
				if err != nil {
					t.Fatal(err)
				}
				if got := gjson.GetBytes(built.JSON(), "hashes.sha256").Str; got != b64.Encode(h[:]) {
					t.Fatalf("case %d: content hash of %s\nours:   %s\ntheirs: %s", i, built.JSON(), b64.Encode(h[:]), got)
				}
				if err := event.VerifyEventSignatures(rules, ours, keyResolver(key)); err != nil {
					t.Fatalf("case %d: we refuse gomatrixserverlib's signature on %s: %v", i, built.JSON(), err)
				}
				if !bytes.Equal(ours.JSON(), built.JSON()) {
					t.Fatalf("case %d: our JSON of gomatrixserverlib's event differs\nours:   %s\ntheirs: %s", i, ours.JSON(), built.JSON())
				}
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
