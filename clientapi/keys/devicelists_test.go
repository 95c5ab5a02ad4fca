package keys_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// deviceListsScenario: bob shares a room with alice and sees her new
// device keys in device_lists.changed, and her in left once they no longer
// share a room; carol, who shares none, never sees alice. aliceSrv and
// bobSrv may be different instances.
func deviceListsScenario(t *testing.T, aliceSrv, bobSrv *testserver.Server) {
	alice := newDevice(t, aliceSrv.NewUser(t, "alice"))
	bob := bobSrv.NewUser(t, "bob")
	carol := bobSrv.NewUser(t, "carol")
	roomID := createRoom(t, alice.Client, bob.UserID)
	join(t, bob, roomID)

	bobTok := doSync(t, bob, "", 0).NextBatch
	carolTok := doSync(t, carol, "", 0).NextBatch
	alice.upload(t, map[string]any{"device_keys": alice.deviceKeys(t)})

	s := syncUntil(t, bob, bobTok, "alice in device_lists.changed", func(s syncResp) bool { return contains(s.DeviceLists.Changed, alice.UserID) })
	changes := bob.MustDo(t, http.MethodGet, v3+"/keys/changes?from="+bobTok+"&to="+s.NextBatch, nil, http.StatusOK)
	if c, _ := changes["changed"].([]any); len(c) != 1 || c[0] != alice.UserID {
		t.Errorf("/keys/changes = %v", changes)
	}
	if c := doSync(t, carol, carolTok, 0); contains(c.DeviceLists.Changed, alice.UserID) {
		t.Errorf("carol, who shares no room with alice, was told: %v", c.DeviceLists)
	}

	leave(t, alice.Client, roomID)
	syncUntil(t, bob, s.NextBatch, "alice in device_lists.left", func(s syncResp) bool { return contains(s.DeviceLists.Left, alice.UserID) })
}

func TestDeviceListChangesReachUsersSharingARoom(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		deviceListsScenario(t, srv, srv)
	})
}

func TestDeviceListChangesReachUsersOnAnotherInstance(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		if b.Name == "sqlite+embedded" {
			t.Skip("two instances share PostgreSQL and an external NATS")
		}
		cfg := testserver.Config(t, b)
		deviceListsScenario(t, testserver.Start(t, cfg), testserver.Start(t, cfg))
	})
}
