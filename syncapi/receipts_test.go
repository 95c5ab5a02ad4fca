package syncapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

func postReceipt(t *testing.T, c *testserver.Client, roomID, receiptType, eventID string, body map[string]any) {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	c.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/receipt/"+receiptType+"/"+esc(eventID), body, http.StatusOK)
}

// receiptOf finds userID's receipt of the type for eventID in a room's
// ephemeral events.
func receiptOf(r roomResp, eventID, receiptType, userID string) (map[string]any, bool) {
	for _, e := range r.Ephemeral.Events {
		if e.Type != "m.receipt" {
			continue
		}
		byType, _ := e.Content[eventID].(map[string]any)
		byUser, _ := byType[receiptType].(map[string]any)
		if rc, ok := byUser[userID].(map[string]any); ok {
			return rc, true
		}
	}
	return nil, false
}

// twoInRoom creates a room of alice with bob joined and a message of
// alice's that both have seen; it returns the room, the message and each
// user's sync token after it.
func twoInRoom(t *testing.T, srv *testserver.Server) (alice, bob *testserver.Client, roomID, eventID, aliceTok, bobTok string) {
	t.Helper()
	alice, bob = srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
	roomID = createRoom(t, alice, map[string]any{"preset": "public_chat"})
	join(t, bob, roomID)
	eventID = send(t, alice, roomID, "first", "hello")
	aliceTok = waitForEvent(t, alice, "", roomID, eventID)
	bobTok = waitForEvent(t, bob, "", roomID, eventID)
	return
}

func TestReceiptsReachSyncInTheSpecFormat(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, roomID, eventID, aliceTok, bobTok := twoInRoom(t, srv)

		postReceipt(t, bob, roomID, "m.read", eventID, nil)
		s := syncUntil(t, alice, aliceTok, "bob's receipt", func(s syncResp) bool {
			_, ok := receiptOf(s.Rooms.Join[roomID], eventID, "m.read", bob.UserID)
			return ok
		})
		rc, _ := receiptOf(s.Rooms.Join[roomID], eventID, "m.read", bob.UserID)
		if ts, _ := rc["ts"].(float64); ts < float64(time.Now().Add(-time.Minute).UnixMilli()) {
			t.Errorf("receipt ts = %v, want the server's time", rc["ts"])
		}
		if _, ok := rc["thread_id"]; ok {
			t.Errorf("an unthreaded receipt carries thread_id: %v", rc)
		}
		aliceTok = s.NextBatch

		// A threaded receipt says its thread; a private one reaches its
		// owner only.
		postReceipt(t, bob, roomID, "m.read", eventID, map[string]any{"thread_id": "main"})
		postReceipt(t, bob, roomID, "m.read.private", eventID, nil)
		s = syncUntil(t, bob, bobTok, "bob's private receipt", func(s syncResp) bool {
			_, ok := receiptOf(s.Rooms.Join[roomID], eventID, "m.read.private", bob.UserID)
			return ok
		})
		s = syncUntil(t, alice, aliceTok, "bob's threaded receipt", func(s syncResp) bool {
			rc, ok := receiptOf(s.Rooms.Join[roomID], eventID, "m.read", bob.UserID)
			return ok && rc["thread_id"] == "main"
		})
		if _, ok := receiptOf(s.Rooms.Join[roomID], eventID, "m.read.private", bob.UserID); ok {
			t.Error("alice received bob's private receipt")
		}

		// An initial sync carries every current receipt of the room.
		initial := sync(t, alice, url.Values{})
		for _, want := range []string{"m.read"} {
			if _, ok := receiptOf(initial.Rooms.Join[roomID], eventID, want, bob.UserID); !ok {
				t.Errorf("initial sync lacks bob's %s receipt: %+v", want, initial.Rooms.Join[roomID].Ephemeral)
			}
		}
		if _, ok := receiptOf(initial.Rooms.Join[roomID], eventID, "m.read.private", bob.UserID); ok {
			t.Error("alice's initial sync has bob's private receipt")
		}
		own := sync(t, bob, url.Values{})
		if _, ok := receiptOf(own.Rooms.Join[roomID], eventID, "m.read.private", bob.UserID); !ok {
			t.Error("bob's initial sync lacks his private receipt")
		}

		// The ephemeral filter can leave receipts out.
		filtered := sync(t, alice, url.Values{"filter": {`{"room":{"ephemeral":{"not_types":["m.receipt"]}}}`}})
		if n := len(filtered.Rooms.Join[roomID].Ephemeral.Events); n != 0 {
			t.Errorf("ephemeral filter excluding m.receipt left %d events", n)
		}
	})
}

func TestReceiptsOnlyMoveForward(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, roomID, first, aliceTok, _ := twoInRoom(t, srv)
		second := send(t, alice, roomID, "second", "again")
		aliceTok = waitForEvent(t, alice, aliceTok, roomID, second)

		postReceipt(t, bob, roomID, "m.read", second, nil)
		aliceTok = syncUntil(t, alice, aliceTok, "receipt on the second message", func(s syncResp) bool {
			_, ok := receiptOf(s.Rooms.Join[roomID], second, "m.read", bob.UserID)
			return ok
		}).NextBatch
		// An older receipt is accepted and ignored; a later one on the
		// second message shows no receipt on the first.
		postReceipt(t, bob, roomID, "m.read", first, nil)
		postReceipt(t, bob, roomID, "m.read", second, map[string]any{"thread_id": "main"})
		s := syncUntil(t, alice, aliceTok, "the threaded receipt", func(s syncResp) bool {
			rc, ok := receiptOf(s.Rooms.Join[roomID], second, "m.read", bob.UserID)
			return ok && rc["thread_id"] == "main"
		})
		if _, ok := receiptOf(s.Rooms.Join[roomID], first, "m.read", bob.UserID); ok {
			t.Error("a receipt for an older event moved bob's receipt back")
		}
		initial := sync(t, alice, url.Values{})
		if _, ok := receiptOf(initial.Rooms.Join[roomID], first, "m.read", bob.UserID); ok {
			t.Error("initial sync shows bob's receipt moved back to the first message")
		}
	})
}

func TestReceiptWakesParkedSync(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, roomID, eventID, aliceTok, _ := twoInRoom(t, srv)
		parkedSyncWakesForReceipt(t, alice, aliceTok, bob, roomID, eventID)
	})
}

func TestReceiptOnOneInstanceWakesSyncParkedOnAnother(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		instA, instB := testserver.StartTwoInstances(t, b, testserver.Config(t, b))
		alice, bob, roomID, eventID, aliceTok, _ := twoInRoom(t, instA)
		onB := alice.On(instB)
		parkedSyncWakesForReceipt(t, onB, aliceTok, bob, roomID, eventID)
	})
}

// parkedSyncWakesForReceipt parks a sync of syncer, has sender post a
// receipt and checks that the sync answers with it.
func parkedSyncWakesForReceipt(t *testing.T, syncer *testserver.Client, token string, sender *testserver.Client, roomID, eventID string) {
	t.Helper()
	got := make(chan syncResp, 1)
	go func() { got <- sync(t, syncer, since(token, 30*time.Second)) }()
	postReceipt(t, sender, roomID, "m.read", eventID, nil)
	select {
	case s := <-got:
		if _, ok := receiptOf(s.Rooms.Join[roomID], eventID, "m.read", sender.UserID); !ok {
			t.Errorf("the woken sync lacks the receipt: %+v", s.Rooms.Join[roomID])
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a parked sync did not wake for a receipt")
	}
}
