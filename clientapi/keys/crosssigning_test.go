package keys_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/spec/signing"
)

// crossSigning is a user's three cross-signing keys.
type crossSigning struct {
	master, self, user signing.SigningKey
}

func newCrossSigning(t *testing.T) crossSigning {
	t.Helper()
	m, s, u := newKey(t, "ed25519:m"), newKey(t, "ed25519:s"), newKey(t, "ed25519:u")
	// A cross-signing key's ID is its public key.
	m.ID, s.ID, u.ID = signing.KeyID("ed25519:"+pub(m)), signing.KeyID("ed25519:"+pub(s)), signing.KeyID("ed25519:"+pub(u))
	return crossSigning{master: m, self: s, user: u}
}

func csKey(userID, usage string, k signing.SigningKey) map[string]any {
	return map[string]any{"user_id": userID, "usage": []string{usage}, "keys": map[string]string{string(k.ID): pub(k)}}
}

// upload is the body of /keys/device_signing/upload.
func (cs crossSigning) upload(t *testing.T, userID string) map[string]any {
	return map[string]any{
		"master_key":       csKey(userID, "master", cs.master),
		"self_signing_key": sign(t, userID, cs.master, csKey(userID, "self_signing", cs.self)),
		"user_signing_key": sign(t, userID, cs.master, csKey(userID, "user_signing", cs.user)),
	}
}

func TestCrossSigning(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice, bob := twoUsersWithKeys(t, srv)
		acs, bcs := newCrossSigning(t), newCrossSigning(t)
		path := v3 + "/keys/device_signing/upload"

		t.Run("bad keys are refused", func(t *testing.T) {
			unsigned := acs.upload(t, alice.UserID)
			unsigned["self_signing_key"] = csKey(alice.UserID, "self_signing", acs.self)
			other := acs.upload(t, alice.UserID)
			other["master_key"] = csKey(bob.UserID, "master", acs.master)
			noMaster := map[string]any{"self_signing_key": sign(t, alice.UserID, acs.master, csKey(alice.UserID, "self_signing", acs.self))}
			wantError(t, alice.Do(t, http.MethodPost, path, unsigned), 400, "M_INVALID_SIGNATURE")
			wantError(t, alice.Do(t, http.MethodPost, path, other), 400, "M_INVALID_PARAM")
			wantError(t, alice.Do(t, http.MethodPost, path, noMaster), 400, "M_MISSING_PARAM")
		})

		alice.MustDo(t, http.MethodPost, path, acs.upload(t, alice.UserID), http.StatusOK)
		bob.MustDo(t, http.MethodPost, path, bcs.upload(t, bob.UserID), http.StatusOK)

		t.Run("the same keys again need no authentication, new ones do", func(t *testing.T) {
			alice.MustDo(t, http.MethodPost, path, acs.upload(t, alice.UserID), http.StatusOK)
			replaced := newCrossSigning(t)
			resp := alice.Do(t, http.MethodPost, path, replaced.upload(t, alice.UserID))
			if resp.Status != http.StatusUnauthorized || resp.Map(t)["flows"] == nil {
				t.Fatalf("replacing the keys without UIA: %d %s", resp.Status, resp.Body)
			}
		})

		t.Run("signatures are checked and shown in /keys/query", func(t *testing.T) {
			dk := sign(t, alice.UserID, acs.self, alice.deviceKeys(t))
			bobMaster := sign(t, alice.UserID, acs.user, csKey(bob.UserID, "master", bcs.master))
			forged := sign(t, alice.UserID, newKey(t, string(acs.self.ID)), alice.deviceKeys(t))
			res := alice.MustDo(t, http.MethodPost, v3+"/keys/signatures/upload", map[string]any{
				alice.UserID: map[string]any{alice.DeviceID: dk},
				bob.UserID:   map[string]any{pub(bcs.master): bobMaster, "NOPE": bobMaster},
			}, http.StatusOK)
			failures := res["failures"].(map[string]any)
			if len(failures) != 1 || failures[bob.UserID].(map[string]any)["NOPE"] == nil {
				t.Errorf("failures %v, want only bob's unknown key", failures)
			}
			res = alice.MustDo(t, http.MethodPost, v3+"/keys/signatures/upload", map[string]any{alice.UserID: map[string]any{alice.DeviceID: forged}}, http.StatusOK)
			if f := res["failures"].(map[string]any)[alice.UserID].(map[string]any)[alice.DeviceID].(map[string]any); f["errcode"] != "M_INVALID_SIGNATURE" {
				t.Errorf("a forged signature gave %v", res)
			}

			q := func(c *device) map[string]any {
				return c.MustDo(t, http.MethodPost, v3+"/keys/query", map[string]any{"device_keys": map[string]any{alice.UserID: []string{}, bob.UserID: []string{}}}, http.StatusOK)
			}
			byBob := q(bob)
			sigs := byBob["device_keys"].(map[string]any)[alice.UserID].(map[string]any)[alice.DeviceID].(map[string]any)["signatures"].(map[string]any)[alice.UserID].(map[string]any)
			if sigs[string(acs.self.ID)] == nil {
				t.Errorf("alice's device is not shown signed by her self-signing key: %v", sigs)
			}
			if byBob["master_keys"].(map[string]any)[alice.UserID] == nil || byBob["self_signing_keys"].(map[string]any)[alice.UserID] == nil {
				t.Errorf("cross-signing keys missing: %v", byBob)
			}
			if _, ok := byBob["user_signing_keys"].(map[string]any)[alice.UserID]; ok {
				t.Error("bob sees alice's user-signing key")
			}
			if m := byBob["master_keys"].(map[string]any)[bob.UserID].(map[string]any); m["signatures"] != nil && m["signatures"].(map[string]any)[alice.UserID] != nil {
				t.Error("bob sees alice's signature of his master key")
			}
			byAlice := q(alice)
			if _, ok := byAlice["user_signing_keys"].(map[string]any)[alice.UserID]; !ok {
				t.Error("alice does not see her own user-signing key")
			}
			if byAlice["master_keys"].(map[string]any)[bob.UserID].(map[string]any)["signatures"].(map[string]any)[alice.UserID] == nil {
				t.Error("alice does not see her signature of bob's master key")
			}
		})
	})
}
