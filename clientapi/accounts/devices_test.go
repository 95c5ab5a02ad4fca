package accounts_test

import (
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

func TestDevicesCanBeListedRenamedAndRead(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		phone := login(t, srv, "alice", "password-alice", map[string]any{"initial_device_display_name": "phone"})
		phone.MustDo(t, http.MethodGet, v3+"/account/whoami", nil, http.StatusOK)
		devices := alice.MustDo(t, http.MethodGet, v3+"/devices", nil, http.StatusOK)["devices"].([]any)
		if len(devices) != 2 {
			t.Fatalf("devices %v", devices)
		}
		for _, d := range devices {
			// Both devices made a request, so both were seen.
			if m := d.(map[string]any); m["last_seen_ts"] == nil || m["last_seen_ip"] != "127.0.0.1" {
				t.Errorf("device not seen: %v", m)
			}
		}
		got := alice.MustDo(t, http.MethodGet, v3+"/devices/"+phone.DeviceID, nil, http.StatusOK)
		if got["display_name"] != "phone" || got["device_id"] != phone.DeviceID {
			t.Errorf("device %v", got)
		}
		alice.MustDo(t, http.MethodPut, r0+"/devices/"+phone.DeviceID, map[string]any{"display_name": "old phone"}, http.StatusOK)
		if got := alice.MustDo(t, http.MethodGet, v3+"/devices/"+phone.DeviceID, nil, http.StatusOK); got["display_name"] != "old phone" {
			t.Errorf("renamed device %v", got)
		}
		bob := srv.NewUser(t, "bob")
		tests := []struct {
			name   string
			c      *testserver.Client
			method string
			path   string
			body   any
			status int
			code   string
		}{
			{"another user's device cannot be read", bob, http.MethodGet, "/devices/" + phone.DeviceID, nil, 404, "M_NOT_FOUND"},
			{"another user's device cannot be renamed", bob, http.MethodPut, "/devices/" + phone.DeviceID, map[string]any{"display_name": "x"}, 404, "M_NOT_FOUND"},
			{"a name over 100 characters is refused", alice, http.MethodPut, "/devices/" + phone.DeviceID, map[string]any{"display_name": longName(101)}, 400, "M_INVALID_PARAM"},
			{"a name that is not a string is bad JSON", alice, http.MethodPut, "/devices/" + phone.DeviceID, map[string]any{"display_name": 3}, 400, "M_BAD_JSON"},
			{"delete_devices needs a list", alice, http.MethodPost, "/delete_devices", map[string]any{}, 400, "M_MISSING_PARAM"},
			{"the list needs a token", srv.Anonymous(), http.MethodGet, "/devices", nil, 401, "M_MISSING_TOKEN"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, tt.c.Do(t, tt.method, v3+tt.path, tt.body), tt.status, tt.code)
			})
		}
	})
}

func TestDeletingDevicesNeedsThePasswordAndLogsThemOut(t *testing.T) {
	start(t, nil, func(t *testing.T, srv *testserver.Server, _ config.Config) {
		alice := srv.NewUser(t, "alice")
		phone := login(t, srv, "alice", "password-alice", nil)
		tablet := login(t, srv, "alice", "password-alice", nil)
		laptop := login(t, srv, "alice", "password-alice", nil)

		session, _ := uiaSession(t, alice, http.MethodDelete, v3+"/devices/"+phone.DeviceID, nil)
		alice.MustDo(t, http.MethodDelete, v3+"/devices/"+phone.DeviceID, map[string]any{"auth": passwordAuth("alice", "password-alice", session)}, http.StatusOK)
		wantError(t, phone.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")
		wantError(t, alice.Do(t, http.MethodGet, v3+"/devices/"+phone.DeviceID, nil), 404, "M_NOT_FOUND")

		body := map[string]any{"devices": []string{tablet.DeviceID, laptop.DeviceID, "NOSUCHDEVICE"}}
		session, _ = uiaSession(t, alice, http.MethodPost, v3+"/delete_devices", body)
		body["auth"] = passwordAuth("alice", "password-alice", session)
		alice.MustDo(t, http.MethodPost, v3+"/delete_devices", body, http.StatusOK)
		for _, c := range []*testserver.Client{tablet, laptop} {
			wantError(t, c.Do(t, http.MethodGet, v3+"/account/whoami", nil), 401, "M_UNKNOWN_TOKEN")
		}
		if devices := alice.MustDo(t, http.MethodGet, v3+"/devices", nil, http.StatusOK)["devices"].([]any); len(devices) != 1 {
			t.Errorf("devices left %v", devices)
		}
	})
}
