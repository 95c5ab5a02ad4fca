package signing

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/spec/b64"
)

func TestParseKeyID(t *testing.T) {
	tests := []struct {
		name, in, algorithm, version string
		valid                        bool
	}{
		{"a Synapse key ID", "ed25519:a_AbCd", "ed25519", "a_AbCd", true},
		{"the spec's example", "ed25519:abc123", "ed25519", "abc123", true},
		{"an old key", "ed25519:0ldK3y", "ed25519", "0ldK3y", true},
		{"a policy server key", "ed25519:policy_server", "ed25519", "policy_server", true},
		{"no colon", "ed25519", "", "", false},
		{"an empty version", "ed25519:", "", "", false},
		{"an empty algorithm", ":abc", "", "", false},
		{"a dash in the version", "ed25519:a-b", "", "", false},
		{"a second colon", "ed25519:a:b", "", "", false},
		{"base64 in the version", "ed25519:ab+/", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ParseKeyID(tt.in)
			if !tt.valid {
				if !errors.Is(err, ErrInvalidKeyID) {
					t.Fatalf("ParseKeyID(%q) = %q, %v; want ErrInvalidKeyID", tt.in, id, err)
				}
				return
			}
			if err != nil || id.Algorithm() != tt.algorithm || id.Version() != tt.version {
				t.Fatalf("ParseKeyID(%q) = %q (%q, %q), %v", tt.in, id, id.Algorithm(), id.Version(), err)
			}
		})
	}
}

func TestKeyIDOfADeviceKeySplitsAtTheFirstColon(t *testing.T) {
	id := KeyID("ed25519:JLAFKJWSCS")
	if id.Algorithm() != "ed25519" || id.Version() != "JLAFKJWSCS" {
		t.Fatalf("got %q, %q", id.Algorithm(), id.Version())
	}
	crossSigning := KeyID("ed25519:nqOvzeuGWT/sRx3h7+MHoInYj3Uk2LD/unI9kDYcHwk")
	if crossSigning.Version() != "nqOvzeuGWT/sRx3h7+MHoInYj3Uk2LD/unI9kDYcHwk" {
		t.Fatalf("Version() = %q", crossSigning.Version())
	}
}

func TestSigningKeyFileRoundTrip(t *testing.T) {
	data := readFile(t, "signing.key")
	keys, err := ParseSigningKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != specKeyID {
		t.Fatalf("ParseSigningKeys = %v", keys)
	}
	if !bytes.Equal(keys[0].Private, specKey(t).Private) {
		t.Fatal("the key file does not hold the spec's seed")
	}
	// The spec's seed has non-zero bits after its last byte; written
	// back, they are zero.
	if got, want := FormatSigningKeys(keys), "ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0\n"; string(got) != want {
		t.Fatalf("FormatSigningKeys = %q; want %q", got, want)
	}
	second := mustGenerate(t, "ed25519:a_XyZw")
	both := FormatSigningKeys([]SigningKey{keys[0], second, {ID: "ed25519:broken"}})
	again, err := ParseSigningKeys(both)
	if err != nil || len(again) != 2 || again[1].ID != second.ID || !bytes.Equal(again[1].Private, second.Private) {
		t.Fatalf("round trip of two keys = %v, %v", again, err)
	}
}

func TestParseSigningKeysAcceptsLooseWhitespace(t *testing.T) {
	keys, err := ParseSigningKeys([]byte("\r\n  ed25519   1\t" + specSeed + "=\r\n\n"))
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].Private, specKey(t).Private) {
		t.Fatalf("ParseSigningKeys = %v, %v", keys, err)
	}
	if keys, err := ParseSigningKeys(nil); err != nil || len(keys) != 0 {
		t.Fatalf("ParseSigningKeys(empty) = %v, %v; want no keys", keys, err)
	}
}

func TestParseSigningKeysRejects(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"two fields", "ed25519 " + specSeed},
		{"four fields", "ed25519 1 " + specSeed + " extra"},
		{"another algorithm", "rsa 1 " + specSeed},
		{"a bad version", "ed25519 a-b " + specSeed},
		{"a seed that is not base64", "ed25519 1 !!!!"},
		{"a short seed", "ed25519 1 " + b64.Encode(make([]byte, 31))},
		{"a bad second line", "ed25519 1 " + specSeed + "\nnonsense"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if keys, err := ParseSigningKeys([]byte(tt.in)); !errors.Is(err, ErrInvalidKeyFile) {
				t.Fatalf("ParseSigningKeys(%q) = %v, %v; want ErrInvalidKeyFile", tt.in, keys, err)
			}
		})
	}
}

func TestGenerateSigningKey(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	key, err := GenerateSigningKey(bytes.NewReader(seed), "ed25519:k")
	if err != nil || !bytes.Equal(key.Private.Seed(), seed) || len(key.Public()) != 32 {
		t.Fatalf("GenerateSigningKey = %v, %v", key, err)
	}
	if _, err := GenerateSigningKey(strings.NewReader("short"), "ed25519:k"); err == nil {
		t.Fatal("GenerateSigningKey from 5 random bytes succeeded")
	}
	if _, err := GenerateSigningKey(bytes.NewReader(seed), "bad"); !errors.Is(err, ErrInvalidKeyID) {
		t.Fatalf("GenerateSigningKey with a bad ID = %v; want ErrInvalidKeyID", err)
	}
	if pub := (SigningKey{}).Public(); pub != nil {
		t.Fatalf("Public() of an empty key = %x; want nil", pub)
	}
}
