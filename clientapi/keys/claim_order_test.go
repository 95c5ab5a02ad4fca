package keys_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// One-time keys go out in the order they were uploaded (Matrix v1.13,
// MSC4225): keys of an earlier /keys/upload before those of a later one,
// in any order within one upload.
func TestClaimHandsOutOneTimeKeysInUploadOrder(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := newDevice(t, srv.NewUser(t, "alice"))
		bob := newDevice(t, srv.NewUser(t, "bob"))

		// Later uploads carry key IDs that sort before the earlier ones,
		// so an order by key ID would fail this test.
		batches := []string{"Z", "M", "A"}
		for _, prefix := range batches {
			alice.upload(t, map[string]any{"one_time_keys": alice.oneTimeKeys(t, prefix, 2)})
		}
		for i := range 2 * len(batches) {
			res := bob.MustDo(t, http.MethodPost, v3+"/keys/claim", map[string]any{
				"one_time_keys": map[string]any{alice.UserID: map[string]string{alice.DeviceID: "signed_curve25519"}},
			}, http.StatusOK)
			keys, _ := res["one_time_keys"].(map[string]any)[alice.UserID].(map[string]any)[alice.DeviceID].(map[string]any)
			if len(keys) != 1 {
				t.Fatalf("claim %d: %v", i, res)
			}
			want := batches[i/2]
			for keyID := range keys {
				if !strings.HasPrefix(keyID, "signed_curve25519:"+want) {
					t.Fatalf("claim %d handed out %s, want a key of upload %d (%s...)", i, keyID, i/2, want)
				}
			}
		}
	})
}
