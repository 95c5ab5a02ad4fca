package keys_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestToDeviceMessagesAreDeliveredInOrderUntilAcknowledged(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		parent := t
		srv := testserver.Start(t, cfg)
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		bob2 := login(t, srv, bob, "bob")
		tok := doSync(t, bob, "", 0).NextBatch

		send := func(txn string, to map[string]any) {
			t.Helper()
			alice.MustDo(t, http.MethodPut, v3+"/sendToDevice/m.room_key_request/"+txn, map[string]any{"messages": map[string]any{bob.UserID: to}}, http.StatusOK)
		}
		for i := range 3 {
			send(fmt.Sprint("t", i), map[string]any{bob.DeviceID: map[string]any{"n": i}})
		}
		send("t0", map[string]any{bob.DeviceID: map[string]any{"n": 0}}) // a retry
		send("star", map[string]any{"*": map[string]any{"n": "all"}})

		var got []any
		s := syncUntil(t, bob, tok, "four to-device messages", func(s syncResp) bool {
			for _, e := range s.ToDevice.Events {
				if e.Sender != alice.UserID || e.Type != "m.room_key_request" {
					t.Errorf("to-device event %+v", e)
				}
				got = append(got, e.Content["n"])
			}
			return len(got) >= 4
		})
		if fmt.Sprint(got) != "[0 1 2 all]" {
			t.Errorf("delivered %v, want [0 1 2 all] once each, in order", got)
		}
		s2 := syncUntil(t, bob2, "", "the message to every device", func(s syncResp) bool { return len(s.ToDevice.Events) > 0 })
		if len(s2.ToDevice.Events) != 1 || s2.ToDevice.Events[0].Content["n"] != "all" {
			t.Errorf("the second device got %+v", s2.ToDevice.Events)
		}

		t.Run("bad sends answer the spec's errors", func(t *testing.T) {
			tests := []struct {
				name   string
				body   any
				status int
				code   string
			}{
				{"no messages", map[string]any{}, 400, "M_MISSING_PARAM"},
				{"a message that is not an object", map[string]any{"messages": map[string]any{bob.UserID: map[string]any{bob.DeviceID: "x"}}}, 400, "M_BAD_JSON"},
				{"an oversize message", map[string]any{"messages": map[string]any{bob.UserID: map[string]any{bob.DeviceID: map[string]any{"x": strings.Repeat("a", 70000)}}}}, 413, "M_TOO_LARGE"},
				{"a malformed user ID", map[string]any{"messages": map[string]any{"bob": map[string]any{"D": map[string]any{}}}}, 400, "M_INVALID_PARAM"},
			}
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, alice.Do(t, http.MethodPut, v3+"/sendToDevice/m.test/bad"+fmt.Sprint(i), tt.body), tt.status, tt.code)
				})
			}
		})
		t.Run("an unacknowledged message is delivered again, also after a restart", func(t *testing.T) {
			send("late", map[string]any{bob.DeviceID: map[string]any{"n": "late"}})
			first := syncUntil(t, bob, s.NextBatch, "the late message", func(s syncResp) bool { return len(s.ToDevice.Events) > 0 })
			srv.Stop()
			// Started on the parent test, which outlives this subtest.
			srv = testserver.Start(parent, cfg)
			bob.BaseURL = srv.URL
			again := doSync(t, bob, s.NextBatch, 0)
			if len(again.ToDevice.Events) != 1 || again.ToDevice.Events[0].Content["n"] != "late" {
				t.Fatalf("a sync from the old token got %+v", again.ToDevice.Events)
			}
			if acked := doSync(t, bob, first.NextBatch, 0); len(acked.ToDevice.Events) != 0 {
				t.Errorf("an acknowledged message came again: %+v", acked.ToDevice.Events)
			}
		})

	})
}
