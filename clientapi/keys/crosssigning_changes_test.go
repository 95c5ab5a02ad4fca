package keys_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

const deviceSigningUpload = v3 + "/keys/device_signing/upload"

// settledToken syncs c until a response carries no device list change, so
// a change made before it cannot be taken for one made after.
func settledToken(t *testing.T, c *testserver.Client) string {
	t.Helper()
	token := doSync(t, c, "", 0).NextBatch
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := doSync(t, c, token, 300*time.Millisecond)
		if len(s.DeviceLists.Changed) == 0 && len(s.DeviceLists.Left) == 0 {
			return s.NextBatch
		}
		token = s.NextBatch
		if time.Now().After(deadline) {
			t.Fatal("device list changes kept coming")
		}
	}
}

// wantChangeSeen waits for subject in observer's device_lists.changed after
// token, and checks that /keys/changes over the same range lists them.
func wantChangeSeen(t *testing.T, observer *testserver.Client, token, subject string) {
	t.Helper()
	s := syncUntil(t, observer, token, subject+" in device_lists.changed", func(s syncResp) bool { return contains(s.DeviceLists.Changed, subject) })
	changes := observer.MustDo(t, http.MethodGet, v3+"/keys/changes?from="+token+"&to="+s.NextBatch, nil, http.StatusOK)
	changed, _ := changes["changed"].([]any)
	for _, u := range changed {
		if u == subject {
			return
		}
	}
	t.Errorf("/keys/changes from %s to %s = %v, want %s in changed", token, s.NextBatch, changes, subject)
}

func TestCrossSigningChangesReachUsersSharingARoom(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := newDevice(t, srv.NewUser(t, "alice"))
		bob := newDevice(t, srv.NewUser(t, "bob"))
		roomID := createRoom(t, alice.Client, bob.UserID)
		join(t, bob.Client, roomID)
		alice.upload(t, map[string]any{"device_keys": alice.deviceKeys(t)})
		bcs := newCrossSigning(t)
		bob.MustDo(t, http.MethodPost, deviceSigningUpload, bcs.upload(t, bob.UserID), http.StatusOK)
		acs := newCrossSigning(t)

		steps := []struct {
			name              string
			observer, subject *device
			do                func(t *testing.T)
		}{
			{"uploading cross-signing keys", bob, alice, func(t *testing.T) {
				alice.MustDo(t, http.MethodPost, deviceSigningUpload, acs.upload(t, alice.UserID), http.StatusOK)
			}},
			{"signing a device with the self-signing key", bob, alice, func(t *testing.T) {
				signed := sign(t, alice.UserID, acs.self, alice.deviceKeys(t))
				wantNoFailures(t, alice.MustDo(t, http.MethodPost, v3+"/keys/signatures/upload", map[string]any{
					alice.UserID: map[string]any{alice.DeviceID: signed},
				}, http.StatusOK))
			}},
			{"signing the master key with a device", bob, alice, func(t *testing.T) {
				signed := sign(t, alice.UserID, alice.key, csKey(alice.UserID, "master", acs.master))
				wantNoFailures(t, alice.MustDo(t, http.MethodPost, v3+"/keys/signatures/upload", map[string]any{
					alice.UserID: map[string]any{pub(acs.master): signed},
				}, http.StatusOK))
			}},
			{"signing another user's master key tells the signer", alice, bob, func(t *testing.T) {
				signed := sign(t, alice.UserID, acs.user, csKey(bob.UserID, "master", bcs.master))
				wantNoFailures(t, alice.MustDo(t, http.MethodPost, v3+"/keys/signatures/upload", map[string]any{
					bob.UserID: map[string]any{pub(bcs.master): signed},
				}, http.StatusOK))
			}},
			{"replacing cross-signing keys", bob, alice, func(t *testing.T) {
				resp := uploadWithPassword(t, alice, "alice", "password-alice", newCrossSigning(t).upload(t, alice.UserID))
				if resp.Status != http.StatusOK {
					t.Fatalf("replacing the keys: %d %s", resp.Status, resp.Body)
				}
			}},
		}
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				token := settledToken(t, step.observer.Client)
				step.do(t)
				wantChangeSeen(t, step.observer.Client, token, step.subject.UserID)
			})
		}
	})
}

func wantNoFailures(t *testing.T, res map[string]any) {
	t.Helper()
	if f, _ := res["failures"].(map[string]any); len(f) != 0 {
		t.Fatalf("signature upload failures: %v", f)
	}
}
