//go:build goolm

package e2etest

import (
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

// verify has u sign other's master key with u's user-signing key, as
// after an interactive verification, and checks that u's Olm machine then
// trusts other's device through cross-signing.
func (u *user) verify(t *testing.T, other *user) {
	t.Helper()
	ctx := t.Context()
	// Fetching stores other's keys and the signatures the server serves;
	// the library's trust checks read only that store.
	if _, err := u.mach.FetchKeys(ctx, []id.UserID{other.cli.UserID}, true); err != nil {
		t.Fatalf("%s fetching %s's keys: %v", u.cli.UserID, other.cli.UserID, err)
	}
	theirs, err := u.mach.GetCrossSigningPublicKeys(ctx, other.cli.UserID)
	if err != nil || theirs == nil {
		t.Fatalf("%s reading %s's cross-signing keys: %v", u.cli.UserID, other.cli.UserID, err)
	}
	if err := u.mach.SignUser(ctx, other.cli.UserID, theirs.MasterKey); err != nil {
		t.Fatalf("%s signing %s: %v", u.cli.UserID, other.cli.UserID, err)
	}
	u.assertTrusts(t, other)
}

// assertTrusts fetches other's keys afresh from the server and checks that
// u trusts other's master key and device.
func (u *user) assertTrusts(t *testing.T, other *user) {
	t.Helper()
	ctx := t.Context()
	devices, err := u.mach.FetchKeys(ctx, []id.UserID{other.cli.UserID}, true)
	if err != nil {
		t.Fatalf("%s fetching %s's keys: %v", u.cli.UserID, other.cli.UserID, err)
	}
	if trusted, err := u.mach.IsUserTrusted(ctx, other.cli.UserID); err != nil || !trusted {
		t.Fatalf("%s does not trust %s's master key (err %v)", u.cli.UserID, other.cli.UserID, err)
	}
	dev := devices[other.cli.UserID][other.cli.DeviceID]
	if dev == nil {
		t.Fatalf("%s's device %s is not among the keys %s fetched", other.cli.UserID, other.cli.DeviceID, u.cli.UserID)
	}
	if trust, err := u.mach.ResolveTrustContext(ctx, dev); err != nil || trust != id.TrustStateCrossSignedVerified {
		t.Fatalf("%s's trust in %s's device %s is %s, want %s (err %v)", u.cli.UserID, other.cli.UserID, dev.DeviceID, trust, id.TrustStateCrossSignedVerified, err)
	}
}

// adoptCrossSigning gives u the private cross-signing keys of the user's
// other device, standing in for secret sharing, and cross-signs u's
// device with them: u's own identity becomes trusted.
func (u *user) adoptCrossSigning(t *testing.T, from *user) {
	t.Helper()
	ctx := t.Context()
	u.mach.CrossSigningKeys = from.mach.CrossSigningKeys
	if err := u.mach.SignOwnDevice(ctx, u.mach.OwnIdentity()); err != nil {
		t.Fatalf("signing the new device: %v", err)
	}
	if err := u.mach.SignOwnMasterKey(ctx); err != nil {
		t.Fatalf("signing the master key with the new device: %v", err)
	}
}

// awaitTrustedDevice syncs until u's Olm machine, told by /sync's
// device_lists that the user's devices changed, has fetched dev and trusts
// it through cross-signing.
func (u *user) awaitTrustedDevice(t *testing.T, dev *user) {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		u.sync(t, "")
		known, err := u.mach.CryptoStore.GetDevice(ctx, dev.cli.UserID, dev.cli.DeviceID)
		if err != nil {
			t.Fatal(err)
		}
		if known == nil {
			continue
		}
		trust, err := u.mach.ResolveTrustContext(ctx, known)
		if err != nil {
			t.Fatal(err)
		}
		if trust == id.TrustStateCrossSignedVerified {
			return
		}
		t.Logf("%s's trust in %s's device %s is %s so far", u.cli.UserID, dev.cli.UserID, dev.cli.DeviceID, trust)
	}
	t.Fatalf("%s never trusted %s's device %s", u.cli.UserID, dev.cli.UserID, dev.cli.DeviceID)
}
