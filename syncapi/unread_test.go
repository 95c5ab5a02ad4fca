package syncapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func sendContent(t *testing.T, c *testserver.Client, roomID, txnID string, content map[string]any) string {
	t.Helper()
	res := c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/"+esc(txnID), content, http.StatusOK)
	eventID, _ := res["event_id"].(string)
	return eventID
}

const threadedFilter = `{"room":{"timeline":{"unread_thread_notifications":true}}}`

// unreadAfter syncs from token until the room reports the wanted counts,
// and returns the token after.
func unreadAfter(t *testing.T, c *testserver.Client, token, roomID string, want unreadResp) string {
	t.Helper()
	s := syncUntil(t, c, token, "unread counts reach the wanted ones", func(s syncResp) bool {
		r, ok := s.Rooms.Join[roomID]
		return ok && r.UnreadNotifications != nil && *r.UnreadNotifications == want
	})
	return s.NextBatch
}

func threadsEqual(got, want map[string]unreadResp) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// counts reads a room's counts from an initial sync.
func counts(t *testing.T, c *testserver.Client, roomID string, threaded bool) (unreadResp, map[string]unreadResp) {
	t.Helper()
	q := url.Values{}
	if threaded {
		q.Set("filter", threadedFilter)
	}
	r := sync(t, c, q).Rooms.Join[roomID]
	if r.UnreadNotifications == nil {
		t.Fatalf("room %s has no unread_notifications", roomID)
	}
	return *r.UnreadNotifications, r.UnreadThreadNotifications
}

func wantCounts(t *testing.T, c *testserver.Client, roomID string, threaded bool, want unreadResp, wantThreads map[string]unreadResp) {
	t.Helper()
	got, threads := counts(t, c, roomID, threaded)
	if got != want || !threadsEqual(threads, wantThreads) {
		t.Errorf("unread = %+v, threads %+v; want %+v, threads %+v", got, threads, want, wantThreads)
	}
}

func TestUnreadCountsFollowMessagesMentionsAndReceipts(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, roomID, _, _, bobTok := twoInRoom(t, srv)
		wantCounts(t, bob, roomID, false, unreadResp{Notification: 1}, nil)
		// Alice's own message does not count for her.
		wantCounts(t, alice, roomID, false, unreadResp{}, nil)

		second := send(t, alice, roomID, "second", "more")
		bobTok = waitForEvent(t, bob, bobTok, roomID, second)
		wantCounts(t, bob, roomID, false, unreadResp{Notification: 2}, nil)

		mention := sendContent(t, alice, roomID, "mention", map[string]any{
			"msgtype": "m.text", "body": "bob, look", "m.mentions": map[string]any{"user_ids": []string{bob.UserID}},
		})
		bobTok = waitForEvent(t, bob, bobTok, roomID, mention)
		wantCounts(t, bob, roomID, false, unreadResp{Notification: 3, Highlight: 1}, nil)

		// Bob's own message counts for alice only.
		own := send(t, bob, roomID, "own", "reply")
		bobTok = waitForEvent(t, bob, bobTok, roomID, own)
		wantCounts(t, bob, roomID, false, unreadResp{Notification: 3, Highlight: 1}, nil)

		// A receipt resets the counts, and the next incremental sync
		// says so although the room has nothing else new.
		postReceipt(t, bob, roomID, "m.read", mention, nil)
		unreadAfter(t, bob, bobTok, roomID, unreadResp{})
		wantCounts(t, bob, roomID, false, unreadResp{}, nil)
	})
}

func TestUnreadCountsSplitByThread(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, roomID, first, _, bobTok := twoInRoom(t, srv)
		postReceipt(t, bob, roomID, "m.read", first, nil)
		root := send(t, alice, roomID, "root", "thread root")
		reply := sendContent(t, alice, roomID, "reply", map[string]any{
			"msgtype": "m.text", "body": "in the thread",
			"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root},
		})
		bobTok = waitForEvent(t, bob, bobTok, roomID, reply)
		wantCounts(t, bob, roomID, false, unreadResp{Notification: 2}, nil)
		wantCounts(t, bob, roomID, true, unreadResp{Notification: 1}, map[string]unreadResp{root: {Notification: 1}})

		// A threaded receipt resets its thread only.
		postReceipt(t, bob, roomID, "m.read", reply, map[string]any{"thread_id": root})
		bobTok = unreadAfter(t, bob, bobTok, roomID, unreadResp{Notification: 1})
		wantCounts(t, bob, roomID, true, unreadResp{Notification: 1}, nil)

		// A private receipt of the main timeline resets it.
		postReceipt(t, bob, roomID, "m.read.private", root, map[string]any{"thread_id": "main"})
		unreadAfter(t, bob, bobTok, roomID, unreadResp{})
		wantCounts(t, bob, roomID, true, unreadResp{}, nil)
	})
}
