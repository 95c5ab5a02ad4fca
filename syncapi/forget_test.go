package syncapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestSyncHidesForgottenRoomsUntilMembershipChanges(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		other := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		join(t, bob, other)
		afterJoin := sync(t, bob, url.Values{}).NextBatch
		archive := url.Values{"filter": {`{"room":{"include_leave":true}}`}}
		leftBoth := func(s syncResp) bool {
			_, a := s.Rooms.Leave[roomID]
			_, o := s.Rooms.Leave[other]
			return a && o
		}

		leave(t, bob, roomID)
		leave(t, bob, other)
		initialSyncUntil(t, bob, archive, "bob's leaves arrive", leftBoth)
		bob.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/forget", map[string]any{}, http.StatusOK)

		t.Run("an incremental sync over the leave leaves the forgotten room out", func(t *testing.T) {
			s := sync(t, bob, since(afterJoin, 0))
			if _, ok := s.Rooms.Leave[roomID]; ok {
				t.Errorf("forgotten room %s is in rooms.leave", roomID)
			}
			if _, ok := s.Rooms.Leave[other]; !ok {
				t.Errorf("room %s left but not forgotten is missing from rooms.leave", other)
			}
		})
		t.Run("an initial sync with include_leave leaves the forgotten room out", func(t *testing.T) {
			s := sync(t, bob, archive)
			if _, ok := s.Rooms.Leave[roomID]; ok {
				t.Errorf("forgotten room %s is in the archive", roomID)
			}
			if _, ok := s.Rooms.Leave[other]; !ok {
				t.Errorf("room %s left but not forgotten is missing from the archive", other)
			}
		})
		t.Run("an invite brings the room back", func(t *testing.T) {
			token := sync(t, bob, url.Values{}).NextBatch
			invite(t, alice, roomID, bob.UserID)
			syncUntil(t, bob, token, "the invite arrives", func(s syncResp) bool {
				_, ok := s.Rooms.Invite[roomID]
				return ok
			})
		})
		t.Run("leaving again after rejoining shows the room in rooms.leave again", func(t *testing.T) {
			join(t, bob, roomID)
			token := sync(t, bob, url.Values{}).NextBatch
			leave(t, bob, roomID)
			syncUntil(t, bob, token, "the new leave arrives", func(s syncResp) bool {
				_, ok := s.Rooms.Leave[roomID]
				return ok
			})
			if _, ok := sync(t, bob, archive).Rooms.Leave[roomID]; !ok {
				t.Errorf("room %s left again is missing from the archive", roomID)
			}
		})
	})
}
