package rooms_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestTwoInstancesShareAliasesProfilesAndTransactions(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		instA, instB := testserver.StartTwoInstances(t, b, testserver.Config(t, b))
		alice := instA.NewUser(t, "alice")
		onB := alice.On(instB)

		roomID := createRoom(t, alice, map[string]any{"room_alias_name": "shared", "visibility": "public"})
		if got := onB.MustDo(t, http.MethodGet, v3+"/directory/room/"+esc("#shared:test.ocomms.local"), nil, http.StatusOK)["room_id"]; got != roomID {
			t.Errorf("B resolves the alias to %v, want %s", got, roomID)
		}
		first := sendMessage(t, alice, roomID, "txn-both", "once")
		if again := sendMessage(t, onB, roomID, "txn-both", "once"); again != first {
			t.Errorf("the retry through B made %s, want %s", again, first)
		}
		onB.MustDo(t, http.MethodPut, v3+"/profile/"+esc(alice.UserID)+"/displayname", map[string]any{"displayname": "Via B"}, http.StatusOK)
		if got := stateEvent(t, alice, roomID, "m.room.member", alice.UserID)["displayname"]; got != "Via B" {
			t.Errorf("A reads displayname %v", got)
		}
	})
}
