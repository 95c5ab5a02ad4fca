package rooms_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

func TestSendIsIdempotentPerTransactionAlsoAcrossRestarts(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		srv := testserver.Start(t, cfg)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)

		first := sendMessage(t, alice, roomID, "txn-1", "hello")
		if again := sendMessage(t, alice, roomID, "txn-1", "hello"); again != first {
			t.Errorf("retried send made %s, want %s", again, first)
		}
		if other := sendMessage(t, alice, roomID, "txn-2", "hello"); other == first {
			t.Error("a new transaction returned the old event")
		}

		srv.Stop()
		srv = testserver.Start(t, cfg)
		alice.BaseURL = srv.URL
		if again := sendMessage(t, alice, roomID, "txn-1", "hello"); again != first {
			t.Errorf("send retried after a restart made %s, want %s", again, first)
		}
	})
}

func TestSendAndRedact(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := start(t, b)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		carol := srv.NewUser(t, "carol")
		roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
		join(t, bob, roomID)
		room := v3 + "/rooms/" + esc(roomID)

		t.Run("a sender redacts their own message idempotently", func(t *testing.T) {
			eventID := sendMessage(t, bob, roomID, "m1", "oops")
			path := room + "/redact/" + esc(eventID) + "/r1"
			res := bob.MustDo(t, http.MethodPut, path, map[string]any{"reason": "typo"}, http.StatusOK)
			again := bob.MustDo(t, http.MethodPut, path, map[string]any{"reason": "typo"}, http.StatusOK)
			if res["event_id"] == nil || res["event_id"] != again["event_id"] {
				t.Errorf("redactions %v and %v", res, again)
			}
		})

		t.Run("a member without the redact level cannot redact others", func(t *testing.T) {
			eventID := sendMessage(t, alice, roomID, "m2", "mine")
			resp := bob.Do(t, http.MethodPut, room+"/redact/"+esc(eventID)+"/r2", map[string]any{})
			wantError(t, resp, 403, "M_FORBIDDEN")
		})

		t.Run("send answers the spec's errors", func(t *testing.T) {
			send := room + "/send/m.room.message/"
			tests := []struct {
				name   string
				client *testserver.Client
				path   string
				body   any
				status int
				code   string
			}{
				{"a non-member is M_FORBIDDEN", carol, send + "e1", map[string]any{"body": "x"}, 403, "M_FORBIDDEN"},
				{"an unknown room is M_FORBIDDEN", alice, v3 + "/rooms/" + esc("!nowhere:test.ocomms.local") + "/send/m.room.message/e2", map[string]any{"body": "x"}, 403, "M_FORBIDDEN"},
				{"a body that is not JSON is M_NOT_JSON", alice, send + "e3", "{", 400, "M_NOT_JSON"},
				{"a body that is not an object is M_BAD_JSON", alice, send + "e4", []byte(`[1]`), 400, "M_BAD_JSON"},
				{"an event over 64 KiB is M_TOO_LARGE", alice, send + "e5", map[string]any{"body": strings.Repeat("x", 70000)}, 413, "M_TOO_LARGE"},
				{"a send without a token is M_MISSING_TOKEN", srv.Anonymous(), send + "e6", map[string]any{}, 401, "M_MISSING_TOKEN"},
				{"a send with a bad token is M_UNKNOWN_TOKEN", &testserver.Client{BaseURL: srv.URL, AccessToken: "nope", HTTP: http.DefaultClient}, send + "e7", map[string]any{}, 401, "M_UNKNOWN_TOKEN"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, tt.client.Do(t, http.MethodPut, tt.path, tt.body), tt.status, tt.code)
				})
			}
		})
	})
}

func TestSendIsRateLimitedPerUser(t *testing.T) {
	b := testserver.Backends()[0]
	cfg := testserver.Config(t, b)
	cfg.RateLimits.Send = config.RateLimit{PerSecond: 0.001, Burst: 3}
	srv := testserver.Start(t, cfg)
	alice := srv.NewUser(t, "alice")
	bob := srv.NewUser(t, "bob")
	roomID := createRoom(t, alice, map[string]any{"preset": "public_chat"})
	join(t, bob, roomID)
	for i := range 3 {
		sendMessage(t, alice, roomID, "burst-"+string(rune('a'+i)), "hi")
	}
	resp := alice.Do(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/over", map[string]any{"body": "too many"})
	wantError(t, resp, http.StatusTooManyRequests, "M_LIMIT_EXCEEDED")
	if ms, _ := resp.Map(t)["retry_after_ms"].(float64); ms <= 0 {
		t.Errorf("retry_after_ms %v", resp.Map(t)["retry_after_ms"])
	}
	sendMessage(t, bob, roomID, "bob-1", "another user has a bucket of their own")
}

func TestConcurrentSendsCannotExceedTheBurst(t *testing.T) {
	const burst = 3
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		cfg.RateLimits.Send = config.RateLimit{PerSecond: 0.001, Burst: burst}
		srv := testserver.Start(t, cfg)
		alice := srv.NewUser(t, "alice")
		roomID := createRoom(t, alice, nil)
		resps := testserver.Concurrently(t, 40, func(i int) *testserver.ClientResponse {
			return alice.Do(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/c"+strconv.Itoa(i),
				map[string]any{"msgtype": "m.text", "body": "flood"})
		})
		testserver.RequireRateLimited(t, resps, burst)
	})
}

func TestSendRateCountsOnlyNewEvents(t *testing.T) {
	const burst = 3
	tests := []struct {
		name    string
		counted int // sends the case takes from the bucket
		sends   func(t *testing.T, alice *testserver.Client, roomID, elsewhere string)
	}{
		{"a retried transaction is free", 1, func(t *testing.T, alice *testserver.Client, roomID, _ string) {
			first := sendMessage(t, alice, roomID, "again", "hi")
			for range burst {
				if id := sendMessage(t, alice, roomID, "again", "hi"); id != first {
					t.Fatalf("retry made %s, want %s", id, first)
				}
			}
		}},
		{"a refused send is free", 0, func(t *testing.T, alice *testserver.Client, _, elsewhere string) {
			for i := range burst {
				resp := alice.Do(t, http.MethodPut, v3+"/rooms/"+esc(elsewhere)+"/send/m.room.message/no"+strconv.Itoa(i), map[string]any{"body": "x"})
				wantError(t, resp, http.StatusForbidden, "M_FORBIDDEN")
			}
		}},
	}
	b := testserver.Backends()[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testserver.Config(t, b)
			cfg.RateLimits.Send = config.RateLimit{PerSecond: 0.001, Burst: burst}
			srv := testserver.Start(t, cfg)
			alice := srv.NewUser(t, "alice")
			roomID := createRoom(t, alice, nil)
			elsewhere := createRoom(t, srv.NewUser(t, "bob"), nil) // alice is not in it
			tt.sends(t, alice, roomID, elsewhere)
			for i := range burst - tt.counted {
				sendMessage(t, alice, roomID, "after-"+strconv.Itoa(i), "still allowed")
			}
			resp := alice.Do(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/over", map[string]any{"body": "x"})
			wantError(t, resp, http.StatusTooManyRequests, "M_LIMIT_EXCEEDED")
		})
	}
}
