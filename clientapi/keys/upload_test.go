package keys_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestUploadQueryAndClaimKeys(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := newDevice(t, srv.NewUser(t, "alice"))
		bob := newDevice(t, srv.NewUser(t, "bob"))

		res := alice.upload(t, map[string]any{
			"device_keys":   alice.deviceKeys(t),
			"one_time_keys": alice.oneTimeKeys(t, "A", 3),
			"fallback_keys": map[string]any{"signed_curve25519:F1": func() map[string]any {
				return sign(t, alice.UserID, alice.key, map[string]any{"key": "fallback", "fallback": true})
			}()},
		})
		if got := res["one_time_key_counts"].(map[string]any)["signed_curve25519"]; got != 3.0 {
			t.Fatalf("one_time_key_counts = %v, want 3", res)
		}

		t.Run("the same upload again is accepted and changes nothing", func(t *testing.T) {
			again := alice.upload(t, map[string]any{"device_keys": alice.deviceKeys(t), "one_time_keys": alice.oneTimeKeys(t, "A", 3)})
			if got := again["one_time_key_counts"].(map[string]any)["signed_curve25519"]; got != 3.0 {
				t.Errorf("counts after a repeated upload: %v", again)
			}
		})

		t.Run("query returns the device keys with the display name", func(t *testing.T) {
			q := bob.MustDo(t, http.MethodPost, v3+"/keys/query", map[string]any{"device_keys": map[string]any{alice.UserID: []string{}, "@x:remote.example": []string{}}}, http.StatusOK)
			dk := q["device_keys"].(map[string]any)[alice.UserID].(map[string]any)[alice.DeviceID].(map[string]any)
			if dk["keys"].(map[string]any)["ed25519:"+alice.DeviceID] != pub(alice.key) {
				t.Errorf("queried keys %v", dk)
			}
			if _, ok := dk["unsigned"]; !ok {
				t.Errorf("no unsigned in %v", dk)
			}
			if _, ok := q["failures"].(map[string]any)["remote.example"]; !ok {
				t.Errorf("failures %v lack the remote server", q["failures"])
			}
		})

		t.Run("claims hand out each one-time key once, then the fallback key", func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]bool{}
			var wg sync.WaitGroup
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := bob.Do(t, http.MethodPost, v3+"/keys/claim", map[string]any{"one_time_keys": map[string]any{alice.UserID: map[string]string{alice.DeviceID: "signed_curve25519"}}})
					var r struct {
						OneTimeKeys map[string]map[string]map[string]any `json:"one_time_keys"`
					}
					c.JSON(t, &r)
					mu.Lock()
					defer mu.Unlock()
					for id := range r.OneTimeKeys[alice.UserID][alice.DeviceID] {
						if seen[id] {
							t.Errorf("key %s handed out twice", id)
						}
						seen[id] = true
					}
				}()
			}
			wg.Wait()
			if len(seen) != 3 {
				t.Fatalf("claimed %v, want 3 distinct keys", seen)
			}
			for range 2 {
				c := bob.MustDo(t, http.MethodPost, v3+"/keys/claim", map[string]any{"one_time_keys": map[string]any{alice.UserID: map[string]string{alice.DeviceID: "signed_curve25519"}}}, http.StatusOK)
				keys := c["one_time_keys"].(map[string]any)[alice.UserID].(map[string]any)[alice.DeviceID].(map[string]any)
				if _, ok := keys["signed_curve25519:F1"]; !ok {
					t.Errorf("claim without one-time keys left gave %v, want the fallback key", keys)
				}
			}
			s := doSync(t, alice.Client, "", 0)
			if s.OTKCounts["signed_curve25519"] != 0 || len(s.UnusedFallback) != 0 {
				t.Errorf("sync reports counts %v and unused fallback keys %v", s.OTKCounts, s.UnusedFallback)
			}
		})

		t.Run("bad uploads and claims answer the spec's errors", func(t *testing.T) {
			other := alice.deviceKeys(t)
			other["user_id"] = bob.UserID
			forged := alice.deviceKeys(t)
			forged["algorithms"] = []string{"m.megolm.v1.aes-sha2"}
			wrongDevice := alice.deviceKeys(t)
			wrongDevice["device_id"] = "ELSEWHERE"
			alice.upload(t, map[string]any{"one_time_keys": alice.oneTimeKeys(t, "R", 1)})
			tests := []struct {
				name   string
				path   string
				body   any
				status int
				code   string
			}{
				{"device keys of another user", "/keys/upload", map[string]any{"device_keys": other}, 400, "M_INVALID_PARAM"},
				{"device keys of another device", "/keys/upload", map[string]any{"device_keys": wrongDevice}, 400, "M_INVALID_PARAM"},
				{"device keys changed after signing", "/keys/upload", map[string]any{"device_keys": forged}, 400, "M_INVALID_SIGNATURE"},
				{"a one-time key signed by another key", "/keys/upload", map[string]any{"one_time_keys": map[string]any{"signed_curve25519:X": sign(t, alice.UserID, newKey(t, "ed25519:"+alice.DeviceID), map[string]any{"key": "k"})}}, 400, "M_INVALID_SIGNATURE"},
				{"a one-time key of an unknown algorithm", "/keys/upload", map[string]any{"one_time_keys": map[string]any{"rot13:X": "k"}}, 400, "M_INVALID_PARAM"},
				{"a one-time key ID reused for another key", "/keys/upload", map[string]any{"one_time_keys": map[string]any{"signed_curve25519:R0": sign(t, alice.UserID, alice.key, map[string]any{"key": "other"})}}, 400, "M_INVALID_PARAM"},
				{"a claim of an unknown algorithm", "/keys/claim", map[string]any{"one_time_keys": map[string]any{alice.UserID: map[string]string{alice.DeviceID: "rot13"}}}, 400, "M_INVALID_PARAM"},
				{"a claim without one_time_keys", "/keys/claim", map[string]any{}, 400, "M_MISSING_PARAM"},
				{"a query without device_keys", "/keys/query", map[string]any{}, 400, "M_MISSING_PARAM"},
				{"a query of a malformed user ID", "/keys/query", map[string]any{"device_keys": map[string]any{"nobody": []string{}}}, 400, "M_INVALID_PARAM"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, alice.Do(t, http.MethodPost, v3+tt.path, tt.body), tt.status, tt.code)
				})
			}
		})

		t.Run("deleting a device deletes its keys", func(t *testing.T) {
			second := newDevice(t, login(t, srv, alice.Client, "alice"))
			second.upload(t, map[string]any{"device_keys": second.deviceKeys(t), "one_time_keys": second.oneTimeKeys(t, "S", 1)})
			auth := map[string]any{"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": "alice"}, "password": "password-alice"}
			first := alice.Do(t, http.MethodDelete, v3+"/devices/"+second.DeviceID, map[string]any{})
			var ch struct {
				Session string `json:"session"`
			}
			first.JSON(t, &ch)
			auth["session"] = ch.Session
			alice.MustDo(t, http.MethodDelete, v3+"/devices/"+second.DeviceID, map[string]any{"auth": auth}, http.StatusOK)
			q := bob.MustDo(t, http.MethodPost, v3+"/keys/query", map[string]any{"device_keys": map[string]any{alice.UserID: []string{}}}, http.StatusOK)
			if _, ok := q["device_keys"].(map[string]any)[alice.UserID].(map[string]any)[second.DeviceID]; ok {
				t.Errorf("the deleted device's keys are still served: %v", q)
			}
			c := bob.MustDo(t, http.MethodPost, v3+"/keys/claim", map[string]any{"one_time_keys": map[string]any{alice.UserID: map[string]string{second.DeviceID: "signed_curve25519"}}}, http.StatusOK)
			if len(c["one_time_keys"].(map[string]any)) != 0 {
				t.Errorf("claimed a key of a deleted device: %v", c)
			}
		})
	})
}
