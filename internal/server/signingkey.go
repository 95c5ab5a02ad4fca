package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ocomms/ocomms/internal/fileutil"
	"github.com/ocomms/ocomms/spec/signing"
)

// loadOrCreateSigningKey returns the server's current signing key, creating
// it on first start. The file is written atomically so a crash never leaves
// a half-written key behind.
func loadOrCreateSigningKey(path string) (key signing.SigningKey, created bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		keys, err := signing.ParseSigningKeys(data)
		if err != nil {
			return signing.SigningKey{}, false, fmt.Errorf("signing key %s: %w", path, err)
		}
		if len(keys) == 0 {
			return signing.SigningKey{}, false, fmt.Errorf("signing key %s: the file holds no key", path)
		}
		return keys[0], false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return signing.SigningKey{}, false, fmt.Errorf("reading signing key: %w", err)
	}

	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return signing.SigningKey{}, false, fmt.Errorf("generating signing key ID: %w", err)
	}
	keyID := signing.KeyID(fmt.Sprintf("ed25519:a_%x", suffix[:]))
	key, err = signing.GenerateSigningKey(rand.Reader, keyID)
	if err != nil {
		return signing.SigningKey{}, false, fmt.Errorf("generating signing key: %w", err)
	}
	if err := fileutil.WriteAtomic(path, signing.FormatSigningKeys([]signing.SigningKey{key}), 0o600); err != nil {
		return signing.SigningKey{}, false, fmt.Errorf("writing signing key: %w", err)
	}
	return key, true, nil
}
