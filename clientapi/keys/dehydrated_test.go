package keys_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

const msc3814 = "/_matrix/client/unstable/org.matrix.msc3814.v1"

// dehydrate puts up a dehydrated device with its keys and one one-time key.
func dehydrate(t *testing.T, owner *testserver.Client, deviceID string) *device {
	t.Helper()
	shadow := *owner
	shadow.DeviceID = deviceID
	d := newDevice(t, &shadow)
	keys := d.deviceKeys(t)
	delete(keys, "signatures")
	keys["dehydrated"] = true
	keys = sign(t, d.UserID, d.key, keys)
	got := owner.MustDo(t, http.MethodPut, msc3814+"/dehydrated_device", map[string]any{
		"device_id": deviceID, "device_data": map[string]any{"algorithm": "m.dehydration.v1.olm", "device_pickle": "opaque-" + deviceID},
		"initial_device_display_name": "Dehydrated device", "device_keys": keys, "one_time_keys": d.oneTimeKeys(t, "k", 1),
	}, http.StatusOK)
	if got["device_id"] != deviceID {
		t.Fatalf("PUT dehydrated_device answered %v", got)
	}
	return d
}

func TestDehydratedDeviceReceivesToDeviceMessagesAndIsReplaced(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		wantError(t, alice.Do(t, http.MethodGet, msc3814+"/dehydrated_device", nil), http.StatusNotFound, "M_NOT_FOUND")
		dehydrate(t, alice, "DEHYDRATED1")

		got := alice.MustDo(t, http.MethodGet, msc3814+"/dehydrated_device", nil, http.StatusOK)
		if got["device_id"] != "DEHYDRATED1" || got["device_data"].(map[string]any)["device_pickle"] != "opaque-DEHYDRATED1" {
			t.Errorf("GET dehydrated_device: %v", got)
		}
		// Others see it as one of alice's devices and can claim its keys.
		q := bob.MustDo(t, http.MethodPost, v3+"/keys/query", map[string]any{"device_keys": map[string]any{alice.UserID: []string{}}}, http.StatusOK)
		if dk, _ := q["device_keys"].(map[string]any)[alice.UserID].(map[string]any)["DEHYDRATED1"].(map[string]any); dk["dehydrated"] != true {
			t.Errorf("/keys/query does not show the dehydrated device: %v", q["device_keys"])
		}
		c := bob.MustDo(t, http.MethodPost, v3+"/keys/claim", map[string]any{"one_time_keys": map[string]any{alice.UserID: map[string]string{"DEHYDRATED1": "signed_curve25519"}}}, http.StatusOK)
		if len(c["one_time_keys"].(map[string]any)) != 1 {
			t.Errorf("claiming the dehydrated device's key: %v", c)
		}

		// Messages to the device and to every device of alice's reach it,
		// in batches acknowledged by next_batch.
		for i := range 3 {
			bob.MustDo(t, http.MethodPut, v3+"/sendToDevice/m.room.encrypted/d"+fmt.Sprint(i), map[string]any{"messages": map[string]any{
				alice.UserID: map[string]any{"DEHYDRATED1": map[string]any{"n": i}}}}, http.StatusOK)
		}
		bob.MustDo(t, http.MethodPut, v3+"/sendToDevice/m.room.encrypted/star", map[string]any{"messages": map[string]any{
			alice.UserID: map[string]any{"*": map[string]any{"n": "all"}}}}, http.StatusOK)
		events := dehydratedEventsUntil(t, alice, "DEHYDRATED1", 4)
		if fmt.Sprint(events) != "[0 1 2 all]" {
			t.Errorf("the dehydrated device got %v, want [0 1 2 all]", events)
		}

		t.Run("GET /devices does not list the dehydrated device", func(t *testing.T) {
			got := alice.MustDo(t, http.MethodGet, v3+"/devices", nil, http.StatusOK)
			var ids []string
			for _, d := range got["devices"].([]any) {
				ids = append(ids, d.(map[string]any)["device_id"].(string))
			}
			if fmt.Sprint(ids) != fmt.Sprint([]string{alice.DeviceID}) {
				t.Errorf("GET /devices lists %v, want only %s", ids, alice.DeviceID)
			}
		})

		t.Run("bad requests answer the spec's errors", func(t *testing.T) {
			tests := []struct {
				name, method, path string
				body               any
				status             int
				code               string
			}{
				{"events of another device", http.MethodPost, "/dehydrated_device/" + alice.DeviceID + "/events", map[string]any{}, 403, "M_FORBIDDEN"},
				{"a malformed next_batch", http.MethodPost, "/dehydrated_device/DEHYDRATED1/events", map[string]any{"next_batch": "x"}, 400, "M_INVALID_PARAM"},
				{"no device_id", http.MethodPut, "/dehydrated_device", map[string]any{"device_data": map[string]any{"algorithm": "a"}}, 400, "M_MISSING_PARAM"},
				{"no device_data", http.MethodPut, "/dehydrated_device", map[string]any{"device_id": "D2"}, 400, "M_MISSING_PARAM"},
				{"device_data without algorithm", http.MethodPut, "/dehydrated_device", map[string]any{"device_id": "D2", "device_data": map[string]any{}}, 400, "M_MISSING_PARAM"},
				{"the ID of a live device", http.MethodPut, "/dehydrated_device", map[string]any{"device_id": alice.DeviceID, "device_data": map[string]any{"algorithm": "a"}}, 400, "M_INVALID_PARAM"},
				{"keys of another device", http.MethodPut, "/dehydrated_device", map[string]any{"device_id": "D2", "device_data": map[string]any{"algorithm": "a"},
					"device_keys": newDevice(t, alice).deviceKeys(t)}, 400, "M_INVALID_PARAM"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantError(t, alice.Do(t, tt.method, msc3814+tt.path, tt.body), tt.status, tt.code)
				})
			}
			// A refused replacement left the old device in place.
			if got := alice.MustDo(t, http.MethodGet, msc3814+"/dehydrated_device", nil, http.StatusOK); got["device_id"] != "DEHYDRATED1" {
				t.Errorf("after refused replacements the dehydrated device is %v", got)
			}
		})

		t.Run("a new dehydrated device replaces the old one and its keys", func(t *testing.T) {
			dehydrate(t, alice, "DEHYDRATED2")
			q := bob.MustDo(t, http.MethodPost, v3+"/keys/query", map[string]any{"device_keys": map[string]any{alice.UserID: []string{}}}, http.StatusOK)
			devs := q["device_keys"].(map[string]any)[alice.UserID].(map[string]any)
			if _, old := devs["DEHYDRATED1"]; old || devs["DEHYDRATED2"] == nil {
				t.Errorf("after the replacement /keys/query shows %v", devs)
			}
			wantError(t, alice.Do(t, http.MethodPost, msc3814+"/dehydrated_device/DEHYDRATED1/events", map[string]any{}), 403, "M_FORBIDDEN")
			alice.MustDo(t, http.MethodGet, v3+"/devices/DEHYDRATED2", nil, http.StatusOK)
			wantError(t, alice.Do(t, http.MethodGet, v3+"/devices/DEHYDRATED1", nil), 404, "M_NOT_FOUND")

			del := alice.MustDo(t, http.MethodDelete, msc3814+"/dehydrated_device", nil, http.StatusOK)
			if del["device_id"] != "DEHYDRATED2" {
				t.Errorf("DELETE answered %v", del)
			}
			wantError(t, alice.Do(t, http.MethodGet, msc3814+"/dehydrated_device", nil), http.StatusNotFound, "M_NOT_FOUND")
			wantError(t, alice.Do(t, http.MethodDelete, msc3814+"/dehydrated_device", nil), http.StatusNotFound, "M_NOT_FOUND")
		})
	})
}

// dehydratedEventsUntil fetches the dehydrated device's messages batch by
// batch, acknowledging each, until n came, and returns their "n" fields.
func dehydratedEventsUntil(t *testing.T, c *testserver.Client, deviceID string, n int) []any {
	t.Helper()
	var got []any
	body := map[string]any{}
	waitFor(t, fmt.Sprintf("%d messages for the dehydrated device", n), func() bool {
		res := c.MustDo(t, http.MethodPost, msc3814+"/dehydrated_device/"+deviceID+"/events", body, http.StatusOK)
		for _, e := range res["events"].([]any) {
			got = append(got, e.(map[string]any)["content"].(map[string]any)["n"])
		}
		body = map[string]any{"next_batch": res["next_batch"]}
		return len(got) >= n
	})
	// Acknowledged: a further call from the last token is empty.
	if res := c.MustDo(t, http.MethodPost, msc3814+"/dehydrated_device/"+deviceID+"/events", body, http.StatusOK); len(res["events"].([]any)) != 0 {
		t.Errorf("acknowledged messages came again: %v", res["events"])
	}
	return got
}

// waitFor polls cond until it holds, failing after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen in time", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
