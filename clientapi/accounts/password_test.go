package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPasswordHashesVerifyOnlyTheirPassword(t *testing.T) {
	h := newHasher(1)
	ctx := context.Background()
	hash, err := h.hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not a PHC string with the current parameters", hash)
	}
	again, _ := h.hash(ctx, "correct horse")
	if again == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"the password matches", "correct horse", true},
		{"another password does not", "correct horsf", false},
		{"an empty password does not", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, outdated, err := h.verify(ctx, hash, tt.password)
			if err != nil || ok != tt.want || outdated {
				t.Errorf("verify = %v, %v, %v", ok, outdated, err)
			}
		})
	}
}

func TestHashesWithOlderParametersVerifyAndAreReportedOutdated(t *testing.T) {
	h := newHasher(1)
	// m=8192,t=1,p=1 of "pw" with the salt "saltsaltsaltsalt".
	old := "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$HAO5Zos1OTxHR9X0pIcUX6TY52m+/mcdXFq/5p/y0zE"
	ok, outdated, err := h.verify(context.Background(), old, "pw")
	if err != nil || !ok || !outdated {
		t.Errorf("verify = %v, %v, %v", ok, outdated, err)
	}
}

func TestUnreadableHashesAreErrorsNotWrongPasswords(t *testing.T) {
	h := newHasher(1)
	for _, bad := range []string{"plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=16$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5", "$argon2id$v=19$m=1,t=1,p=1$!!$a2V5"} {
		if _, _, err := h.verify(context.Background(), bad, "pw"); !errors.Is(err, errBadHash) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
	if ok, _, err := h.verify(context.Background(), "", "pw"); ok || err != nil {
		t.Error("an account without a password accepted one")
	}
}
