package pushers_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestPushReachesTheGatewayInBothFormats(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		g := newGateway(t)
		alice, bob, roomID := twoInRoom(t, srv)
		bob.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(g.notifyURL(), "full", map[string]any{"custom": "x"}), http.StatusOK)
		bob.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(g.notifyURL(), "ids", map[string]any{"format": "event_id_only"}), http.StatusOK)

		first := send(t, alice, roomID, "t1", text("hello bob"))
		byKey := map[string]notifyBody{}
		for range 2 {
			n := g.next(t)
			byKey[n.Notification.Devices[0].PushKey] = n
		}
		full, ids := byKey["full"].Notification, byKey["ids"].Notification
		if full.EventID != first || full.RoomID != roomID || full.Type != "m.room.message" || full.Sender != alice.UserID ||
			full.RoomName != "Ops" || full.SenderDisplayName != "alice" || full.Prio != "high" ||
			full.Content["body"] != "hello bob" || full.Counts["unread"] != 1 {
			t.Errorf("full notification = %+v", full)
		}
		d := full.Devices[0]
		if d.AppID != "org.example.app" || d.PushKeyTS == 0 || d.Data["custom"] != "x" || d.Data["url"] != nil || d.Tweaks["sound"] != "default" {
			t.Errorf("full notification's device = %+v", d)
		}
		if ids.EventID != first || ids.RoomID != roomID || ids.Content != nil || ids.Sender != "" || ids.Type != "" ||
			ids.Prio != "high" || ids.Counts["unread"] != 1 || ids.Devices[0].Data["format"] != "event_id_only" {
			t.Errorf("event_id_only notification = %+v", ids)
		}

		// Bob's own message pushes nothing to bob (alice has no pusher):
		// the next pushes the gateway sees are of alice's next message,
		// with two unread.
		send(t, bob, roomID, "own", text("my own"))
		second := send(t, alice, roomID, "t2", text("again"))
		for range 2 {
			n := g.next(t).Notification
			if n.EventID != second || n.Counts["unread"] != 2 {
				t.Errorf("after bob's own message the gateway got %+v, want %s with 2 unread", n, second)
			}
		}
	})
}

func TestPushIsRetriedWhenTheGatewayFails(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		g := newGateway(t)
		fails := 2
		g.setAnswer(func(string) (int, []string) {
			if fails > 0 {
				fails--
				return http.StatusInternalServerError, nil
			}
			return http.StatusOK, nil
		})
		alice, bob, roomID := twoInRoom(t, srv)
		bob.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(g.notifyURL(), "key", nil), http.StatusOK)
		ev := send(t, alice, roomID, "t1", text("hello"))
		for attempt := 1; attempt <= 3; attempt++ {
			if n := g.next(t).Notification; n.EventID != ev {
				t.Fatalf("attempt %d notified %s, want %s", attempt, n.EventID, ev)
			}
		}
		// Delivered on the third attempt: the next push is the next event.
		next := send(t, alice, roomID, "t2", text("next"))
		if n := g.next(t).Notification; n.EventID != next {
			t.Fatalf("after the successful retry the gateway got %s, want %s", n.EventID, next)
		}
	})
}

func TestPushRemovesRejectedPushkeys(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		g := newGateway(t)
		g.setAnswer(func(key string) (int, []string) {
			if key == "expired" {
				return http.StatusOK, []string{"expired"}
			}
			return http.StatusOK, nil
		})
		alice, bob, roomID := twoInRoom(t, srv)
		bob.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(g.notifyURL(), "expired", nil), http.StatusOK)
		bob.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(g.notifyURL(), "valid", nil), http.StatusOK)
		send(t, alice, roomID, "t1", text("hello"))
		g.next(t)
		g.next(t)
		eventually(t, "the rejected pusher is removed", func() bool {
			keys := pushkeys(t, bob)
			return len(keys) == 1 && keys[0] == "valid"
		})
	})
}

func TestPushToAnInternalGatewayIsRefusedUnlessAllowed(t *testing.T) {
	b := testserver.Backends()[0]
	cfg := testserver.Config(t, b)
	cfg.Push.AllowHTTPGateways = true
	// Only 127.0.0.2 is allowed; the rest of loopback stays refused.
	cfg.Push.AllowedGatewayRanges = []string{"127.0.0.2/32"}
	srv := testserver.Start(t, cfg)
	refused, allowed := newGateway(t), newGatewayAt(t, "127.0.0.2:0")
	alice, bob, roomID := twoInRoom(t, srv)
	// A user's pushers are called in pushkey order, so once the allowed
	// gateway has its push the refused one has been tried.
	bob.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(refused.notifyURL(), "a-refused", nil), http.StatusOK)
	bob.MustDo(t, http.MethodPost, v3+"/pushers/set", httpPusher(allowed.notifyURL(), "b-allowed", nil), http.StatusOK)
	ev := send(t, alice, roomID, "t1", text("hello"))
	if n := allowed.next(t).Notification; n.EventID != ev {
		t.Fatalf("the allowed gateway got %+v", n)
	}
	select {
	case n := <-refused.got:
		t.Fatalf("a gateway on a refused loopback address was called: %+v", n)
	default:
	}
}
