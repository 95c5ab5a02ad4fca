package signing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"os"
	"testing"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/canonicaljson"
)

// The key of https://spec.matrix.org/latest/appendices/#cryptographic-test-vectors.
const (
	specSeed       = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"
	specServerName = "domain"
	specKeyID      = KeyID("ed25519:1")
)

func specKey(t testing.TB) SigningKey {
	t.Helper()
	seed, err := b64.Decode(specSeed)
	if err != nil {
		t.Fatal(err)
	}
	key, err := NewSigningKey(specKeyID, seed)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func canonical(t testing.TB, in string) string {
	t.Helper()
	out, err := canonicaljson.Canonicalize([]byte(in))
	if err != nil {
		t.Fatalf("canonicalize %s: %v", in, err)
	}
	return string(out)
}

func TestSignJSONMatchesAppendixVectors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"an empty object", `{}`, `{
    "signatures": {
        "domain": {
            "ed25519:1": "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
        }
    }
}`},
		{"an object with data values", `{
    "one": 1,
    "two": "Two"
}`, `{
    "one": 1,
    "signatures": {
        "domain": {
            "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
        }
    },
    "two": "Two"
}`},
	}
	key := specKey(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SignJSON(specServerName, key, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if want := canonical(t, tt.want); string(got) != want {
				t.Fatalf("SignJSON(%s) =\n%s\nwant\n%s", tt.in, got, want)
			}
			if err := VerifyJSON(specServerName, specKeyID, key.Public(), got); err != nil {
				t.Fatalf("VerifyJSON of the signed vector: %v", err)
			}
		})
	}
}

// The event signing vectors: the content hash covers the event without
// "unsigned", "signatures" and "hashes"; the signature covers the redacted
// event (written out by hand in testdata) with its hash.
func TestSignJSONMatchesAppendixEventVectors(t *testing.T) {
	tests := []struct{ name, event, redacted, signed string }{
		{"a minimal event", "event_minimal.json", "", "event_minimal.signed.json"},
		{"an event with redactable content", "event_message.json", "event_message.redacted.json", "event_message.signed.json"},
	}
	key := specKey(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event, signed := readFile(t, tt.event), readFile(t, tt.signed)
			hashed, err := canonicaljson.CanonicalizeWithout(event, "unsigned", "signatures", "hashes")
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(hashed)
			wantSignatures, err := Signatures(signed)
			if err != nil {
				t.Fatal(err)
			}
			var toSign []byte
			if tt.redacted == "" {
				toSign = bytes.Replace(event, []byte(`"hashes": {}`), []byte(`"hashes": {"sha256": "`+b64.Encode(sum[:])+`"}`), 1)
				got, err := SignJSON(specServerName, key, toSign)
				if err != nil {
					t.Fatal(err)
				}
				if want := canonical(t, string(signed)); string(got) != want {
					t.Fatalf("SignJSON =\n%s\nwant\n%s", got, want)
				}
			} else {
				toSign = readFile(t, tt.redacted)
				if !bytes.Contains(toSign, []byte(b64.Encode(sum[:]))) {
					t.Fatalf("content hash %s is not the one in the vector", b64.Encode(sum[:]))
				}
			}
			got, err := SignJSON(specServerName, key, toSign)
			if err != nil {
				t.Fatal(err)
			}
			gotSignatures, err := Signatures(got)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := gotSignatures[specServerName][specKeyID], wantSignatures[specServerName][specKeyID]; g != w {
				t.Fatalf("signature = %s; want %s", g, w)
			}
			if err := VerifyJSON(specServerName, specKeyID, key.Public(), toSign); !errors.Is(err, ErrMissingSignature) {
				t.Fatalf("VerifyJSON of the unsigned event = %v; want ErrMissingSignature", err)
			}
		})
	}
}

func TestSignJSONKeepsOtherSignaturesAndUnsigned(t *testing.T) {
	key := specKey(t)
	other := mustGenerate(t, "ed25519:other")
	in := `{"b":1,"unsigned":{"age":5},"signatures":{"elsewhere":{"ed25519:x":"c2lnbmF0dXJl"}},"a":"<&>"}`
	once, err := SignJSON("other.example", other, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := SignJSON(specServerName, key, once)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Signatures(twice)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["elsewhere"]["ed25519:x"] != "c2lnbmF0dXJl" || got["other.example"]["ed25519:other"] == "" || got[specServerName][specKeyID] == "" {
		t.Fatalf("signatures = %v; want the existing one and both new ones", got)
	}
	for _, check := range []struct {
		name string
		id   KeyID
		pub  ed25519.PublicKey
	}{{"other.example", "ed25519:other", other.Public()}, {specServerName, specKeyID, key.Public()}} {
		if err := VerifyJSON(check.name, check.id, check.pub, twice); err != nil {
			t.Errorf("VerifyJSON(%s) = %v", check.name, err)
		}
	}
	withoutUnsigned, err := canonicaljson.CanonicalizeWithout(twice, "signatures")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"<&>","b":1,"unsigned":{"age":5}}`; string(withoutUnsigned) != want {
		t.Fatalf("signed message less signatures = %s; want %s", withoutUnsigned, want)
	}
}

func TestVerifyJSONRejects(t *testing.T) {
	key := specKey(t)
	signed, err := SignJSON(specServerName, key, []byte(`{"one":1,"two":"Two","unsigned":{"age":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(signed, []byte(`"Two"`), []byte(`"Three"`), 1)
	unsignedChanged := bytes.Replace(signed, []byte(`"age":1`), []byte(`"age":2`), 1)
	otherKey := mustGenerate(t, "ed25519:2")
	tests := []struct {
		name    string
		server  string
		id      KeyID
		public  ed25519.PublicKey
		message []byte
		want    error
	}{
		{"a changed value", specServerName, specKeyID, key.Public(), tampered, ErrBadSignature},
		{"the wrong public key", specServerName, specKeyID, otherKey.Public(), signed, ErrBadSignature},
		{"another server name", "elsewhere", specKeyID, key.Public(), signed, ErrMissingSignature},
		{"another key ID", specServerName, "ed25519:2", key.Public(), signed, ErrMissingSignature},
		{"no signatures at all", specServerName, specKeyID, key.Public(), []byte(`{"one":1}`), ErrMissingSignature},
		{"a signature that is not base64", specServerName, specKeyID, key.Public(), []byte(`{"signatures":{"domain":{"ed25519:1":"!!"}}}`), ErrBadSignature},
		{"a signature of the wrong length", specServerName, specKeyID, key.Public(), []byte(`{"signatures":{"domain":{"ed25519:1":"AAAA"}}}`), ErrBadSignature},
		{"signatures of the wrong shape", specServerName, specKeyID, key.Public(), []byte(`{"signatures":{"domain":"x"}}`), ErrMalformedSignatures},
		{"an unknown algorithm", specServerName, "curve25519:1", key.Public(), signed, ErrUnsupportedAlgorithm},
		{"a short public key", specServerName, specKeyID, key.Public()[:31], signed, ErrInvalidKey},
		{"a message that is not an object", specServerName, specKeyID, key.Public(), []byte(`[]`), canonicaljson.ErrNotObject},
		{"a message with a duplicate key", specServerName, specKeyID, key.Public(), []byte(`{"a":1,"a":1}`), canonicaljson.ErrDuplicateKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyJSON(tt.server, tt.id, tt.public, tt.message); !errors.Is(err, tt.want) {
				t.Fatalf("VerifyJSON = %v; want %v", err, tt.want)
			}
		})
	}
	if err := VerifyJSON(specServerName, specKeyID, key.Public(), unsignedChanged); err != nil {
		t.Fatalf("changing unsigned broke the signature: %v", err)
	}
}

func TestSignJSONRejects(t *testing.T) {
	key := specKey(t)
	tests := []struct {
		name    string
		key     SigningKey
		message string
		want    error
	}{
		{"an array", key, `[]`, canonicaljson.ErrNotObject},
		{"invalid JSON", key, `{`, canonicaljson.ErrInvalidJSON},
		{"malformed signatures", key, `{"signatures":[]}`, ErrMalformedSignatures},
		{"a key without private bytes", SigningKey{ID: specKeyID}, `{}`, ErrInvalidKey},
		{"a key of another algorithm", SigningKey{ID: "rsa:1", Private: key.Private}, `{}`, ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := SignJSON(specServerName, tt.key, []byte(tt.message)); !errors.Is(err, tt.want) {
				t.Fatalf("SignJSON = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestSignJSONKeepsFloatsAsSynapseDoes(t *testing.T) {
	key := specKey(t)
	got, err := SignJSON(specServerName, key, []byte(`{"f":1e10,"g":0.5}`))
	if err != nil {
		t.Fatal(err)
	}
	rest, err := canonicaljson.CanonicalizeLenientWithout(got, "signatures")
	if want := `{"f":10000000000.0,"g":0.5}`; err != nil || string(rest) != want {
		t.Fatalf("signed body = %s, %v; want %s", rest, err, want)
	}
	_, values, err := canonicaljson.SplitObjectLenient(got, "signatures")
	if err != nil {
		t.Fatal(err)
	}
	respelt := `{"g":0.50,"f":1E10,"signatures":` + string(values[0]) + `}`
	if err := VerifyJSON(specServerName, specKeyID, key.Public(), []byte(respelt)); err != nil {
		t.Fatalf("VerifyJSON(%s) = %v; want the same float values to verify", respelt, err)
	}
}

func mustGenerate(t testing.TB, id KeyID) SigningKey {
	t.Helper()
	key, err := GenerateSigningKey(bytes.NewReader(bytes.Repeat([]byte(id), 32)), id)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
