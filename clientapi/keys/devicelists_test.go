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

	// /keys/query shows device names, so a rename is a change too.
	alice.MustDo(t, http.MethodPut, v3+"/devices/"+esc(alice.DeviceID), map[string]any{"display_name": "alice's laptop"}, http.StatusOK)
	s = syncUntil(t, bob, s.NextBatch, "alice's rename in device_lists.changed", func(s syncResp) bool { return contains(s.DeviceLists.Changed, alice.UserID) })

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
		instA, instB := testserver.StartTwoInstances(t, b, testserver.Config(t, b))
		deviceListsScenario(t, instA, instB)
	})
}

func TestDeletingADeviceDeletesTheMessagesWaitingForIt(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		phone := login(t, srv, bob, "bob")
		tok := doSync(t, bob, "", 0).NextBatch
		alice.MustDo(t, http.MethodPut, v3+"/sendToDevice/m.test/t1", map[string]any{"messages": map[string]any{
			bob.UserID: map[string]any{phone.DeviceID: map[string]any{"n": 1}}}}, http.StatusOK)
		phone.MustDo(t, http.MethodPost, v3+"/logout", map[string]any{}, http.StatusOK)
		// Bob hears of his own device going once the sync API has read the
		// deletion, in the transaction that drops the messages.
		syncUntil(t, bob, tok, "bob's deleted device in device_lists.changed", func(s syncResp) bool { return contains(s.DeviceLists.Changed, bob.UserID) })

		// A device logging in again under the ID starts empty.
		res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/login", map[string]any{
			"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": "bob"},
			"password": "password-bob", "device_id": phone.DeviceID,
		}, http.StatusOK)
		again := srv.Anonymous()
		again.UserID, again.DeviceID, again.AccessToken = bob.UserID, phone.DeviceID, res["access_token"].(string)
		if s := doSync(t, again, "", 0); len(s.ToDevice.Events) != 0 {
			t.Errorf("the new device under the old ID got the old device's messages: %+v", s.ToDevice.Events)
		}
	})
}
