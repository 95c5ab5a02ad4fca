package rooms_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestStateKeysWithSlashesPlusAndPercent(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		for _, stateKey := range []string{"a/b", "/leading", "x+y", "100%", "a/b/c%2F"} {
			t.Run(stateKey, func(t *testing.T) {
				path := v3 + "/rooms/" + esc(roomID) + "/state/m.example/" + esc(stateKey)
				alice.MustDo(t, http.MethodPut, path, map[string]any{"key": stateKey}, http.StatusOK)
				if got := stateEvent(t, alice, roomID, "m.example", stateKey)["key"]; got != stateKey {
					t.Fatalf("state under %q holds %v", stateKey, got)
				}
			})
		}
		t.Run("state keys that differ only by encoding are different", func(t *testing.T) {
			if got := stateEvent(t, alice, roomID, "m.example", "a/b/c%2F")["key"]; got != "a/b/c%2F" {
				t.Fatalf("got %v", got)
			}
			resp := alice.Do(t, http.MethodGet, v3+"/rooms/"+esc(roomID)+"/state/m.example/"+esc("a/b/c/"), nil)
			wantError(t, resp, http.StatusNotFound, "M_NOT_FOUND")
		})
	})
}

func TestTransactionIDWithSlashIsOneTransaction(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		first := sendMessage(t, alice, roomID, "txn/0+%", "hello")
		again := sendMessage(t, alice, roomID, "txn/0+%", "hello")
		if first != again {
			t.Fatalf("resending transaction txn/0+%% made a new event: %s then %s", first, again)
		}
		if other := sendMessage(t, alice, roomID, "txn/0", "hello"); other == first {
			t.Fatalf("transaction txn/0 was taken for txn/0+%%")
		}
	})
}
