package keys_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/testserver"
)

func backupKey(fmi, fc int, verified bool, data string) map[string]any {
	return map[string]any{"first_message_index": fmi, "forwarded_count": fc, "is_verified": verified, "session_data": map[string]any{"ciphertext": data}}
}

func TestKeyBackup(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice := srv.NewUser(t, "alice")
		bob := srv.NewUser(t, "bob")
		wantError(t, alice.Do(t, http.MethodGet, v3+"/room_keys/version", nil), 404, "M_NOT_FOUND")

		create := map[string]any{"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": map[string]any{"public_key": "pk"}}
		first := alice.MustDo(t, http.MethodPost, v3+"/room_keys/version", create, http.StatusOK)["version"].(string)
		version := alice.MustDo(t, http.MethodPost, v3+"/room_keys/version", create, http.StatusOK)["version"].(string)
		keys := v3 + "/room_keys/keys"
		room := keys + "/" + esc("!r:test.ocomms.local")
		session := room + "/s1"

		res := alice.MustDo(t, http.MethodPut, session+"?version="+version, backupKey(5, 1, false, "a"), http.StatusOK)
		if res["count"] != 1.0 {
			t.Fatalf("after one key: %v", res)
		}
		etag := res["etag"]

		t.Run("a session key is replaced only by a better one", func(t *testing.T) {
			tests := []struct {
				name string
				key  map[string]any
				want string
			}{
				{"a later first message index loses", backupKey(6, 0, false, "b"), "a"},
				{"a more forwarded key loses", backupKey(5, 2, false, "c"), "a"},
				{"a lower first message index wins", backupKey(3, 3, false, "d"), "d"},
				{"a verified key wins over a lower index", backupKey(9, 9, true, "e"), "e"},
				{"an unverified key never replaces a verified one", backupKey(0, 0, false, "f"), "e"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					alice.MustDo(t, http.MethodPut, session+"?version="+version, tt.key, http.StatusOK)
					got := alice.MustDo(t, http.MethodGet, session+"?version="+version, nil, http.StatusOK)
					if got["session_data"].(map[string]any)["ciphertext"] != tt.want {
						t.Errorf("stored %v, want ciphertext %s", got, tt.want)
					}
				})
			}
		})

		t.Run("all keys, a room's and the version's count and etag", func(t *testing.T) {
			alice.MustDo(t, http.MethodPut, keys+"?version="+version, map[string]any{"rooms": map[string]any{
				"!other:test.ocomms.local": map[string]any{"sessions": map[string]any{"s2": backupKey(0, 0, true, "x")}},
			}}, http.StatusOK)
			all := alice.MustDo(t, http.MethodGet, keys+"?version="+version, nil, http.StatusOK)
			if len(all["rooms"].(map[string]any)) != 2 {
				t.Errorf("all keys: %v", all)
			}
			r := alice.MustDo(t, http.MethodGet, room+"?version="+version, nil, http.StatusOK)
			if len(r["sessions"].(map[string]any)) != 1 {
				t.Errorf("room keys: %v", r)
			}
			info := alice.MustDo(t, http.MethodGet, v3+"/room_keys/version", nil, http.StatusOK)
			if info["version"] != version || info["count"] != 2.0 || info["etag"] == etag {
				t.Errorf("current version %v (first etag %v)", info, etag)
			}
			del := alice.MustDo(t, http.MethodDelete, room+"?version="+version, nil, http.StatusOK)
			if del["count"] != 1.0 {
				t.Errorf("after deleting a room: %v", del)
			}
		})

		t.Run("versions are updated and deleted with the spec's checks", func(t *testing.T) {
			update := map[string]any{"algorithm": create["algorithm"], "auth_data": map[string]any{"public_key": "pk2"}, "version": version}
			alice.MustDo(t, http.MethodPut, v3+"/room_keys/version/"+version, update, http.StatusOK)
			if got := alice.MustDo(t, http.MethodGet, v3+"/room_keys/version/"+version, nil, http.StatusOK)["auth_data"].(map[string]any)["public_key"]; got != "pk2" {
				t.Errorf("auth_data after the update: %v", got)
			}
			wantError(t, alice.Do(t, http.MethodPut, v3+"/room_keys/version/"+version, map[string]any{"algorithm": "other", "auth_data": map[string]any{}}), 400, "M_INVALID_PARAM")
			wantError(t, alice.Do(t, http.MethodPut, v3+"/room_keys/version/"+version, map[string]any{"algorithm": create["algorithm"], "auth_data": map[string]any{}, "version": first}), 400, "M_INVALID_PARAM")
			wantError(t, bob.Do(t, http.MethodGet, v3+"/room_keys/version/"+version, nil), 404, "M_NOT_FOUND")
		})

		t.Run("keys for another than the current version are refused", func(t *testing.T) {
			resp := alice.Do(t, http.MethodPut, session+"?version="+first, backupKey(0, 0, true, "old"))
			wantError(t, resp, 403, "M_WRONG_ROOM_KEYS_VERSION")
			if resp.Map(t)["current_version"] != version {
				t.Errorf("current_version in %s", resp.Body)
			}
			wantError(t, alice.Do(t, http.MethodPut, session, backupKey(0, 0, true, "x")), 400, "M_MISSING_PARAM")
			wantError(t, alice.Do(t, http.MethodPut, session+"?version=999999", backupKey(0, 0, true, "x")), 404, "M_NOT_FOUND")
			wantError(t, alice.Do(t, http.MethodPut, session+"?version="+version, map[string]any{"session_data": map[string]any{}}), 400, "M_MISSING_PARAM")
		})

		t.Run("a deleted version is gone with its keys", func(t *testing.T) {
			alice.MustDo(t, http.MethodDelete, v3+"/room_keys/version/"+version, nil, http.StatusOK)
			wantError(t, alice.Do(t, http.MethodGet, keys+"?version="+version, nil), 404, "M_NOT_FOUND")
			if got := alice.MustDo(t, http.MethodGet, v3+"/room_keys/version", nil, http.StatusOK)["version"]; got != first {
				t.Errorf("current version after deleting the latest: %v, want %s", got, first)
			}
		})
	})
}
