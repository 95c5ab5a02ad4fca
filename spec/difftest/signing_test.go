package difftest

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/matrix-org/gomatrixserverlib"

	"github.com/ocomms/ocomms/spec/signing"
)

// randSignable is a random object to sign: random members, sometimes an
// "unsigned" object and signatures of another server already in place.
func randSignable(r *rand.Rand) string {
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(randObject(r, 4)), &obj); err != nil {
		panic(err)
	}
	if r.IntN(3) == 0 {
		obj["unsigned"] = json.RawMessage(randObject(r, 2))
	}
	if r.IntN(3) == 0 {
		obj["signatures"] = json.RawMessage(`{"other.example":{"ed25519:x":"c2lnbmF0dXJl"}}`)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// randServer is a server name.
func randServer(r *rand.Rand) string {
	return strings.ToLower(randWord(r, 1, 10)) + ".example"
}

// TestSignaturesAgreeWithGomatrixserverlib signs random objects with random
// keys on both sides: ed25519 is deterministic, so the signatures must be
// the same bytes, and each side must accept the other's signature and
// refuse it once the object changes.
func TestSignaturesAgreeWithGomatrixserverlib(t *testing.T) {
	r, n := newRand(t, 1000)
	for i := range n {
		key := randKey(t, r)
		name := randServer(r)
		msg := randSignable(r)

		ours, err := signing.SignJSON(name, key, []byte(msg))
		if err != nil {
			t.Fatalf("case %d: SignJSON(%s): %v", i, msg, err)
		}
		theirs, err := gomatrixserverlib.SignJSON(name, gomatrixserverlib.KeyID(key.ID), key.Private, []byte(msg))
		if err != nil {
			t.Fatalf("case %d: gomatrixserverlib.SignJSON(%s): %v", i, msg, err)
		}
		ourSigs, err := signing.Signatures(ours)
		if err != nil {
			t.Fatal(err)
		}
		theirSigs, err := signing.Signatures(theirs)
		if err != nil {
			t.Fatal(err)
		}
		if ourSigs[name][key.ID] != theirSigs[name][key.ID] {
			t.Fatalf("case %d: signatures of %s differ\nours:   %s\ntheirs: %s", i, msg, ours, theirs)
		}
		if err := gomatrixserverlib.VerifyJSON(name, gomatrixserverlib.KeyID(key.ID), key.Public(), ours); err != nil {
			t.Fatalf("case %d: gomatrixserverlib refuses our signature on %s: %v", i, ours, err)
		}
		if err := signing.VerifyJSON(name, key.ID, key.Public(), theirs); err != nil {
			t.Fatalf("case %d: we refuse gomatrixserverlib's signature on %s: %v", i, theirs, err)
		}

		tampered := tamper(t, r, ours)
		if err := gomatrixserverlib.VerifyJSON(name, gomatrixserverlib.KeyID(key.ID), key.Public(), tampered); err == nil {
			t.Fatalf("case %d: gomatrixserverlib accepts the tampered %s", i, tampered)
		}
		if err := signing.VerifyJSON(name, key.ID, key.Public(), tampered); err == nil {
			t.Fatalf("case %d: we accept the tampered %s", i, tampered)
		}
	}
}

// tamper changes a signed object outside "signatures" and "unsigned".
func tamper(t *testing.T, r *rand.Rand, signed []byte) []byte {
	t.Helper()
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal(signed, &obj); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range sortedKeys(obj) {
		if k != "signatures" && k != "unsigned" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 || r.IntN(2) == 0 {
		obj["tampered"] = json.RawMessage(`true`)
	} else {
		k := keys[r.IntN(len(keys))]
		if string(obj[k]) == `"changed"` {
			obj[k] = json.RawMessage(`"changed!"`)
		} else {
			obj[k] = json.RawMessage(`"changed"`)
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
