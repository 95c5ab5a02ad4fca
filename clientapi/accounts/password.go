package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2Params are the cost of a password hash. They are written into every
// hash (PHC string format), so raising them later only affects new hashes,
// and a login rehashes a password stored with older ones.
type argon2Params struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
	keyLen    uint32
}

// currentParams follow the OWASP recommendation for argon2id (19 MiB,
// 2 passes, 1 lane): a login stays well under 100 ms on a small machine.
var currentParams = argon2Params{memoryKiB: 19 * 1024, time: 2, threads: 1, keyLen: 32}

const saltLen = 16

// errBadHash means a stored hash cannot be read: a corrupt row, never a
// wrong password.
var errBadHash = errors.New("stored password hash is not an argon2id PHC string")

// hasher bounds how many hashes run at once, since each takes memoryKiB of
// memory: a burst of logins must not exhaust the process.
type hasher struct {
	slots chan struct{}
}

func newHasher(concurrency int) *hasher {
	return &hasher{slots: make(chan struct{}, max(concurrency, 1))}
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to hash a password: %w", ctx.Err())
	}
}

func (h *hasher) release() { <-h.slots }

// hash returns the PHC string of password:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generating salt: %w", err)
	}
	p := currentParams
	key := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, p.keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memoryKiB, p.time, p.threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// verify reports whether password matches the PHC string encoded, and
// whether encoded uses other parameters than the current ones (so the
// caller may store a fresh hash). An empty encoded never matches: it marks
// an account without a password.
func (h *hasher) verify(ctx context.Context, encoded, password string) (ok, outdated bool, err error) {
	if encoded == "" {
		return false, false, nil
	}
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, p != currentParams, nil
}

// burn spends the time of one verification, so a login for an unknown user
// takes as long as one with a wrong password and does not reveal which
// user names exist.
func (h *hasher) burn(ctx context.Context) {
	if err := h.acquire(ctx); err != nil {
		return
	}
	defer h.release()
	p := currentParams
	_ = argon2.IDKey([]byte("unknown user"), make([]byte, saltLen), p.time, p.memoryKiB, p.threads, p.keyLen)
}

func parsePHC(encoded string) (argon2Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=...,t=...,p=...", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argon2Params{}, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return argon2Params{}, nil, nil, fmt.Errorf("%w: version %q", errBadHash, parts[2])
	}
	var p argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memoryKiB, &p.time, &p.threads); err != nil {
		return argon2Params{}, nil, nil, fmt.Errorf("%w: parameters %q", errBadHash, parts[3])
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return argon2Params{}, nil, nil, fmt.Errorf("%w: salt", errBadHash)
	}
	key, err := enc.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return argon2Params{}, nil, nil, fmt.Errorf("%w: key", errBadHash)
	}
	p.keyLen = uint32(len(key))
	return p, salt, key, nil
}
