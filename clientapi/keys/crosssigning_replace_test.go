package keys_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// passwordAuth is the m.login.password stage of a user made by NewUser.
func passwordAuth(localpart, password, session string) map[string]any {
	return map[string]any{
		"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": localpart},
		"password": password, "session": session,
	}
}

// uploadWithPassword uploads cross-signing keys through user-interactive
// authentication with the password and returns the final response.
func uploadWithPassword(t *testing.T, d *device, localpart, password string, body map[string]any) *testserver.ClientResponse {
	t.Helper()
	first := d.Do(t, http.MethodPost, deviceSigningUpload, body)
	var ch struct {
		Session string `json:"session"`
	}
	first.JSON(t, &ch)
	if first.Status != http.StatusUnauthorized || ch.Session == "" {
		t.Fatalf("replacing cross-signing keys started with %d %s, want a 401 challenge", first.Status, first.Body)
	}
	body["auth"] = passwordAuth(localpart, password, ch.Session)
	return d.Do(t, http.MethodPost, deviceSigningUpload, body)
}

// signedBy is who signed a key in a /keys/query answer: signer user ID to
// their key IDs.
func signedBy(t *testing.T, key any) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	obj, _ := key.(map[string]any)
	sigs, _ := obj["signatures"].(map[string]any)
	for user, byKey := range sigs {
		out[user] = map[string]bool{}
		for keyID := range byKey.(map[string]any) {
			out[user][keyID] = true
		}
	}
	return out
}

// keyPub is the public key of a cross-signing key in a /keys/query answer.
func keyPub(key any) string {
	obj, _ := key.(map[string]any)
	keys, _ := obj["keys"].(map[string]any)
	for _, v := range keys {
		s, _ := v.(string)
		return s
	}
	return ""
}

func TestReplacingCrossSigningKeysDropsOldSignatures(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice, bob := twoUsersWithKeys(t, srv)
		acs, bcs := newCrossSigning(t), newCrossSigning(t)
		alice.MustDo(t, http.MethodPost, deviceSigningUpload, acs.upload(t, alice.UserID), http.StatusOK)
		bob.MustDo(t, http.MethodPost, deviceSigningUpload, bcs.upload(t, bob.UserID), http.StatusOK)
		sigUpload := v3 + "/keys/signatures/upload"
		wantNoFailures(t, alice.MustDo(t, http.MethodPost, sigUpload, map[string]any{
			alice.UserID: map[string]any{
				alice.DeviceID:  sign(t, alice.UserID, acs.self, alice.deviceKeys(t)),
				pub(acs.master): sign(t, alice.UserID, alice.key, csKey(alice.UserID, "master", acs.master)),
			},
			bob.UserID: map[string]any{pub(bcs.master): sign(t, alice.UserID, acs.user, csKey(bob.UserID, "master", bcs.master))},
		}, http.StatusOK))
		wantNoFailures(t, bob.MustDo(t, http.MethodPost, sigUpload, map[string]any{
			alice.UserID: map[string]any{pub(acs.master): sign(t, bob.UserID, bcs.user, csKey(alice.UserID, "master", acs.master))},
		}, http.StatusOK))

		query := func(t *testing.T, c *device) map[string]any {
			t.Helper()
			return c.MustDo(t, http.MethodPost, v3+"/keys/query", map[string]any{
				"device_keys": map[string]any{alice.UserID: []string{}, bob.UserID: []string{}},
			}, http.StatusOK)
		}
		// What alice's old keys signed, and what signed them: each must be
		// there before the replacement and gone after. A signature by a
		// user-signing key is shown only to its signer.
		masterOf := func(user string) func(q map[string]any) any {
			return func(q map[string]any) any { return q["master_keys"].(map[string]any)[user] }
		}
		oldSignatures := []struct {
			name             string
			viewer           *device
			key              func(q map[string]any) any
			signer, signerID string
		}{
			{"her device by her self-signing key", bob, func(q map[string]any) any {
				return q["device_keys"].(map[string]any)[alice.UserID].(map[string]any)[alice.DeviceID]
			}, alice.UserID, string(acs.self.ID)},
			{"her master key by her device", bob, masterOf(alice.UserID), alice.UserID, "ed25519:" + alice.DeviceID},
			{"her master key by bob's user-signing key", bob, masterOf(alice.UserID), bob.UserID, string(bcs.user.ID)},
			{"bob's master key by her user-signing key", alice, masterOf(bob.UserID), alice.UserID, string(acs.user.ID)},
		}
		for _, sig := range oldSignatures {
			if key := sig.key(query(t, sig.viewer)); !signedBy(t, key)[sig.signer][sig.signerID] {
				t.Fatalf("before the replacement, %s is missing: %v", sig.name, key)
			}
		}

		ncs := newCrossSigning(t)
		t.Run("a wrong password replaces nothing", func(t *testing.T) {
			resp := uploadWithPassword(t, alice, "alice", "not-her-password", ncs.upload(t, alice.UserID))
			wantError(t, resp, http.StatusUnauthorized, "M_FORBIDDEN")
			if got := keyPub(query(t, bob)["master_keys"].(map[string]any)[alice.UserID]); got != pub(acs.master) {
				t.Errorf("master key %s after a failed authentication, want the old %s", got, pub(acs.master))
			}
		})

		resp := uploadWithPassword(t, alice, "alice", "password-alice", ncs.upload(t, alice.UserID))
		if resp.Status != http.StatusOK {
			t.Fatalf("replacing the keys with the password: %d %s", resp.Status, resp.Body)
		}

		t.Run("the new keys are served", func(t *testing.T) {
			for _, c := range []*device{alice, bob} {
				q := query(t, c)
				for field, want := range map[string]string{"master_keys": pub(ncs.master), "self_signing_keys": pub(ncs.self)} {
					if got := keyPub(q[field].(map[string]any)[alice.UserID]); got != want {
						t.Errorf("%s sees %s %s, want %s", c.UserID, field, got, want)
					}
				}
			}
			if got := keyPub(query(t, alice)["user_signing_keys"].(map[string]any)[alice.UserID]); got != pub(ncs.user) {
				t.Errorf("alice sees user-signing key %s, want %s", got, pub(ncs.user))
			}
		})
		wantDropped := func(t *testing.T) {
			t.Helper()
			for _, sig := range oldSignatures {
				if key := sig.key(query(t, sig.viewer)); signedBy(t, key)[sig.signer][sig.signerID] {
					t.Errorf("the signature of %s is still served: %v", sig.name, key)
				}
			}
		}
		t.Run("the old keys' signatures are dropped", wantDropped)
		// A signature of the old master key is only looked up under its
		// public key, so it shows again if that key comes back unless it
		// was deleted.
		t.Run("restoring the old keys does not bring back their signatures", func(t *testing.T) {
			resp := uploadWithPassword(t, alice, "alice", "password-alice", acs.upload(t, alice.UserID))
			if resp.Status != http.StatusOK {
				t.Fatalf("restoring the keys: %d %s", resp.Status, resp.Body)
			}
			if got := keyPub(query(t, bob)["master_keys"].(map[string]any)[alice.UserID]); got != pub(acs.master) {
				t.Fatalf("master key %s after restoring, want %s", got, pub(acs.master))
			}
			wantDropped(t)
		})
		t.Run("the device's own signature stays", func(t *testing.T) {
			dk := query(t, bob)["device_keys"].(map[string]any)[alice.UserID].(map[string]any)[alice.DeviceID]
			if !signedBy(t, dk)[alice.UserID]["ed25519:"+alice.DeviceID] {
				t.Errorf("device keys lost their self-signature: %v", dk)
			}
		})
	})
}
