package event

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

// specKeySeed is the seed of the signing key of the appendix's
// cryptographic test vectors, for server "domain" and key "ed25519:1".
//
// https://spec.matrix.org/latest/appendices/#signing-key
const specKeySeed = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"

func specKey(t testing.TB) signing.SigningKey {
	t.Helper()
	seed, err := b64.Decode(specKeySeed)
	if err != nil {
		t.Fatalf("decode seed: %v", err)
	}
	return signing.SigningKey{ID: "ed25519:1", Private: ed25519.NewKeyFromSeed(seed)}
}

// seededKey is a deterministic key for a test server.
func seededKey(t testing.TB, id signing.KeyID, seedByte byte) signing.SigningKey {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = seedByte
	}
	return signing.SigningKey{ID: id, Private: ed25519.NewKeyFromSeed(seed)}
}

func rulesFor(t testing.TB, id roomversion.ID) roomversion.Rules {
	t.Helper()
	r, err := roomversion.Lookup(id)
	if err != nil {
		t.Fatalf("lookup room version %s: %v", id, err)
	}
	return r
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return b
}

func canonical(t testing.TB, raw []byte) []byte {
	t.Helper()
	out, err := canonicaljson.CanonicalizeLenient(raw)
	if err != nil {
		t.Fatalf("canonicalize %s: %v", raw, err)
	}
	return out
}

// mustJSON marshals a test value to canonical JSON.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return canonical(t, b)
}

// keyring resolves the public halves of the given keys, valid until
// validUntil, and fails for any other key.
func keyring(validUntil int64, keys map[string]signing.SigningKey) KeyResolver {
	return func(server string, id signing.KeyID) (ed25519.PublicKey, int64, error) {
		k, ok := keys[server]
		if !ok || k.ID != id {
			return nil, 0, fmt.Errorf("no key %s for %s", id, server)
		}
		return k.Private.Public().(ed25519.PublicKey), validUntil, nil
	}
}

func ptr(s string) *string { return &s }
