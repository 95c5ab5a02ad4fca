package signing

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ocomms/ocomms/spec/b64"
)

// Errors about keys and key files.
var (
	ErrInvalidKey     = errors.New("signing: invalid ed25519 key")
	ErrInvalidKeyFile = errors.New("signing: invalid signing key file")
)

// SigningKey is a server's ed25519 private key with the ID it publishes it
// under.
type SigningKey struct {
	ID      KeyID
	Private ed25519.PrivateKey
}

// Public returns the verify key that other servers check signatures with,
// or nil if Private is not an ed25519 private key.
func (k SigningKey) Public() ed25519.PublicKey {
	if len(k.Private) != ed25519.PrivateKeySize {
		return nil
	}
	return ed25519.PublicKey(bytes.Clone(k.Private[ed25519.SeedSize:]))
}

// NewSigningKey derives the key for a 32-byte ed25519 seed, the form in
// which keys are stored and exchanged.
func NewSigningKey(id KeyID, seed []byte) (SigningKey, error) {
	if len(seed) != ed25519.SeedSize {
		return SigningKey{}, fmt.Errorf("%w: seed is %d bytes, want %d", ErrInvalidKey, len(seed), ed25519.SeedSize)
	}
	return SigningKey{ID: id, Private: ed25519.NewKeyFromSeed(seed)}, nil
}

// GenerateSigningKey makes a new key from 32 bytes of rand, which should be
// crypto/rand.Reader outside tests.
func GenerateSigningKey(rand io.Reader, id KeyID) (SigningKey, error) {
	if _, err := ParseKeyID(string(id)); err != nil {
		return SigningKey{}, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return SigningKey{}, fmt.Errorf("signing: read random seed: %w", err)
	}
	return NewSigningKey(id, seed)
}

// ParseSigningKeys reads a signing key file in Synapse's format, so that a
// server moved from Synapse keeps its identity: one key per line as
// "<algorithm> <version> <unpadded base64 seed>". Blank lines are skipped;
// a file with none gives no keys and no error.
func ParseSigningKeys(data []byte) ([]SigningKey, error) {
	var keys []SigningKey
	for n, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%w: line %d has %d fields, want 3", ErrInvalidKeyFile, n+1, len(fields))
		}
		if fields[0] != AlgorithmEd25519 {
			return nil, fmt.Errorf("%w: line %d: unsupported algorithm %q", ErrInvalidKeyFile, n+1, fields[0])
		}
		id, err := NewKeyID(fields[0], fields[1])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrInvalidKeyFile, n+1, err)
		}
		seed, err := b64.Decode(fields[2])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrInvalidKeyFile, n+1, err)
		}
		key, err := NewSigningKey(id, seed)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrInvalidKeyFile, n+1, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// FormatSigningKeys writes keys in the format [ParseSigningKeys] reads.
// A key whose Private is not an ed25519 private key has no seed to write
// and is left out.
func FormatSigningKeys(keys []SigningKey) []byte {
	var out []byte
	for _, k := range keys {
		if len(k.Private) != ed25519.PrivateKeySize {
			continue
		}
		out = fmt.Appendf(out, "%s %s %s\n", k.ID.Algorithm(), k.ID.Version(), b64.Encode(k.Private.Seed()))
	}
	return out
}
