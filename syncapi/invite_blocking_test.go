package syncapi_test

import (
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

// Invites that reached a user before they blocked invites are not served
// while the block lasts (v1.18, MSC4380), by /sync nor by sliding sync.
func TestSyncHidesStoredInvitesWhileInvitesAreBlocked(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, carol := srv.NewUser(t, "alice"), srv.NewUser(t, "carol")
		roomID := createRoom(t, carol, nil)
		invite(t, carol, roomID, alice.UserID)
		got := syncUntil(t, alice, "", "carol's invite arrives", func(s syncResp) bool {
			_, ok := s.Rooms.Invite[roomID]
			return ok
		})

		putGlobal(t, alice, "m.invite_permission_config", map[string]any{"default_action": "block"})
		accountDataUntil(t, alice, got.NextBatch, "the block arrives", func(s accountDataResp) bool {
			return s.AccountData.content("m.invite_permission_config") != nil
		})
		if _, ok := sync(t, alice, nil).Rooms.Invite[roomID]; ok {
			t.Error("an initial sync has the blocked invite")
		}
		if _, ok := slidingSync(t, alice, "", 0, allRooms(10, 1)).Rooms[roomID]; ok {
			t.Error("sliding sync lists the blocked invite")
		}

		putGlobal(t, alice, "m.invite_permission_config", map[string]any{})
		initialSyncUntil(t, alice, nil, "the invite comes back once the block is lifted", func(s syncResp) bool {
			_, ok := s.Rooms.Invite[roomID]
			return ok
		})
	})
}
