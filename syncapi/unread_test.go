package syncapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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

		// Naming bob or @room in the body is no mention since v1.17
		// (MSC4210): only m.mentions highlights.
		second := send(t, alice, roomID, "second", "bob: more for @room")
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
		// The receipt travels its own stream: wait until it counts, or the
		// first message may still be unread below.
		bobTok = unreadAfter(t, bob, bobTok, roomID, unreadResp{})
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

func putPushRule(t *testing.T, c *testserver.Client, kind, ruleID string, body map[string]any) {
	t.Helper()
	c.MustDo(t, http.MethodPut, v3+"/pushrules/global/"+kind+"/"+esc(ruleID), body, http.StatusOK)
}

func TestUnreadCountsFollowTheUsersPushRules(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice, bob, roomID, first, _, bobTok := twoInRoom(t, srv)
		postReceipt(t, bob, roomID, "m.read", first, nil)
		// The receipt travels its own stream: wait until it counts, or the
		// first message may still be unread below.
		bobTok = unreadAfter(t, bob, bobTok, roomID, unreadResp{})

		// A keyword of bob's highlights.
		putPushRule(t, bob, "content", "cake", map[string]any{
			"pattern": "cake", "actions": []any{"notify", map[string]any{"set_tweak": "highlight"}},
		})
		cake := send(t, alice, roomID, "cake", "who wants cake?")
		bobTok = waitForEvent(t, bob, bobTok, roomID, cake)
		wantCounts(t, bob, roomID, false, unreadResp{Notification: 1, Highlight: 1}, nil)

		// A room muted with an override rule notifies nothing more.
		putPushRule(t, bob, "override", roomID, map[string]any{
			"conditions": []any{map[string]any{"kind": "event_match", "key": "room_id", "pattern": roomID}},
			"actions":    []any{},
		})
		muted := send(t, alice, roomID, "muted", "more cake")
		waitForEvent(t, bob, bobTok, roomID, muted)
		wantCounts(t, bob, roomID, false, unreadResp{Notification: 1, Highlight: 1}, nil)
	})
}

func TestPushRulesReachSyncAsAccountData(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		bob := srv.NewUser(t, "bob")
		pushRulesEvent := func(s map[string]any) map[string]any {
			ad, _ := s["account_data"].(map[string]any)
			evs, _ := ad["events"].([]any)
			for _, e := range evs {
				if ev, _ := e.(map[string]any); ev["type"] == "m.push_rules" {
					return ev
				}
			}
			return nil
		}
		initial := bob.MustDo(t, http.MethodGet, v3+"/sync", nil, http.StatusOK)
		ev := pushRulesEvent(initial)
		if ev == nil {
			t.Fatalf("initial sync lacks m.push_rules: %v", initial["account_data"])
		}
		content, _ := ev["content"].(map[string]any)
		global, _ := content["global"].(map[string]any)
		if _, ok := global["override"].([]any); !ok {
			t.Fatalf("m.push_rules content = %v", content)
		}
		token, _ := initial["next_batch"].(string)

		// A parked sync wakes with the changed rules.
		got := make(chan map[string]any, 1)
		go func() {
			got <- bob.MustDo(t, http.MethodGet, v3+"/sync?"+since(token, 30*time.Second).Encode(), nil, http.StatusOK)
		}()
		putPushRule(t, bob, "content", "cake", map[string]any{"pattern": "cake", "actions": []any{"notify"}})
		select {
		case s := <-got:
			ev := pushRulesEvent(s)
			if ev == nil || !strings.Contains(mustJSON(t, ev), `"rule_id":"cake"`) {
				t.Errorf("woken sync's m.push_rules = %v, want the cake rule", ev)
			}
			token, _ = s["next_batch"].(string)
		case <-time.After(20 * time.Second):
			t.Fatal("a parked sync did not wake for a push rule change")
		}
		// The next sync does not repeat it.
		again := bob.MustDo(t, http.MethodGet, v3+"/sync?"+since(token, 0).Encode(), nil, http.StatusOK)
		if pushRulesEvent(again) != nil {
			t.Error("an incremental sync repeated unchanged push rules")
		}
		filtered := bob.MustDo(t, http.MethodGet, v3+"/sync?filter="+url.QueryEscape(`{"account_data":{"not_types":["m.push_rules"]}}`), nil, http.StatusOK)
		if pushRulesEvent(filtered) != nil {
			t.Error("the account_data filter did not leave m.push_rules out")
		}
	})
}
