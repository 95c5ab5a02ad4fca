package roomserver_test

import (
	"sync"
	"testing"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage/storagetest"
)

func TestTransactionReturnsTheFirstEventAlsoAfterARestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		rs := newRoomserver(t, be)
		roomID := createRoom(t, rs, roomversion.Default)
		txn := &api.Transaction{UserID: alice, DeviceID: "PHONE", TxnID: "m1"}
		send := func(rs api.API, txn *api.Transaction, body string) api.SubmitResponse {
			req := message(roomID, alice, body)
			req.Transaction = txn
			return submitOne(t, rs, req)
		}

		first := send(rs, txn, "once")
		if first.Duplicate {
			t.Fatalf("first send reported as a duplicate")
		}
		again := send(rs, txn, "once")
		if !again.Duplicate || again.EventID != first.EventID || again.RoomID != roomID {
			t.Errorf("retry = %+v, want duplicate of %s", again, first.EventID)
		}
		otherDevice := send(rs, &api.Transaction{UserID: alice, DeviceID: "LAPTOP", TxnID: "m1"}, "other device")
		if otherDevice.Duplicate || otherDevice.EventID == first.EventID {
			t.Errorf("the same txn ID from another device = %+v, want a new event", otherDevice)
		}

		// A new process on the same database still knows the transaction.
		restarted := newRoomserverOn(t, storagetest.Open(t, be.cfg), be.newBus(t))
		afterRestart := send(restarted, txn, "once")
		if !afterRestart.Duplicate || afterRestart.EventID != first.EventID {
			t.Errorf("retry after restart = %+v, want duplicate of %s", afterRestart, first.EventID)
		}

		var n int
		if err := be.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM roomserver_events WHERE type = 'm.room.message'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("%d messages stored, want 2", n)
		}
	})
}

func TestConcurrentRetriesOfOneTransactionCreateOneEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backend) {
		instances := []api.API{newRoomserver(t, be), newRoomserverOn(t, storagetest.Open(t, be.cfg), be.newBus(t))}
		roomID := createRoom(t, instances[0], roomversion.Default)
		req := message(roomID, alice, "retried in a hurry")
		req.Transaction = &api.Transaction{UserID: alice, DeviceID: "PHONE", TxnID: "burst"}

		const retries = 6
		ids := make([]string, retries)
		var wg sync.WaitGroup
		for i := range retries {
			wg.Go(func() {
				resps, err := instances[i%2].Submit(t.Context(), req)
				if err != nil {
					t.Errorf("retry %d: %v", i, err)
					return
				}
				ids[i] = resps[0].EventID
			})
		}
		wg.Wait()
		for i, id := range ids {
			if id != ids[0] {
				t.Errorf("retry %d created %s, retry 0 %s", i, id, ids[0])
			}
		}
	})
}
