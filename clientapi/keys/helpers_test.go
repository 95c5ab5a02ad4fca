package keys_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/signing"
)

const v3 = "/_matrix/client/v3"

func esc(s string) string { return url.PathEscape(s) }

// device is a client device with its own ed25519 identity key, as an E2EE
// client library would hold.
type device struct {
	*testserver.Client
	key signing.SigningKey
}

func newDevice(t *testing.T, c *testserver.Client) *device {
	t.Helper()
	return &device{Client: c, key: newKey(t, "ed25519:"+c.DeviceID)}
}

func newKey(t *testing.T, id string) signing.SigningKey {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed)
	k, err := signing.NewSigningKey(signing.KeyID(id), seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pub(k signing.SigningKey) string { return b64.Encode(k.Public()) }

// sign signs obj as signer with key and returns the signed object.
func sign(t *testing.T, signer string, key signing.SigningKey, obj any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signing.SignJSON(signer, key, raw)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(signed, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// deviceKeys are the device's signed identity keys.
func (d *device) deviceKeys(t *testing.T) map[string]any {
	t.Helper()
	return sign(t, d.UserID, d.key, map[string]any{
		"user_id": d.UserID, "device_id": d.DeviceID,
		"algorithms": []string{"m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"},
		"keys": map[string]string{
			"ed25519:" + d.DeviceID:    pub(d.key),
			"curve25519:" + d.DeviceID: b64.Encode([]byte(fmt.Sprintf("curve-%s-%032d", d.DeviceID, 0))),
		},
	})
}

// oneTimeKeys returns n signed one-time keys with IDs prefix0..prefixN.
func (d *device) oneTimeKeys(t *testing.T, prefix string, n int) map[string]any {
	t.Helper()
	out := map[string]any{}
	for i := range n {
		out[fmt.Sprintf("signed_curve25519:%s%d", prefix, i)] = sign(t, d.UserID, d.key, map[string]any{"key": fmt.Sprintf("%s-%s%d", d.DeviceID, prefix, i)})
	}
	return out
}

func (d *device) upload(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	return d.MustDo(t, http.MethodPost, v3+"/keys/upload", body, http.StatusOK)
}

// login logs in another device of the user.
func login(t *testing.T, srv *testserver.Server, c *testserver.Client, localpart string) *testserver.Client {
	t.Helper()
	res := srv.Anonymous().MustDo(t, http.MethodPost, v3+"/login", map[string]any{
		"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": localpart},
		"password": "password-" + localpart,
	}, http.StatusOK)
	d := srv.Anonymous()
	d.UserID, d.DeviceID, d.AccessToken = c.UserID, res["device_id"].(string), res["access_token"].(string)
	return d
}

func wantError(t *testing.T, resp *testserver.ClientResponse, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Errcode() != code {
		t.Fatalf("got %d %s, want %d %s: %s", resp.Status, resp.Errcode(), status, code, resp.Body)
	}
}

// syncResp is the part of /sync these tests read.
type syncResp struct {
	NextBatch string `json:"next_batch"`
	ToDevice  struct {
		Events []struct {
			Sender  string         `json:"sender"`
			Type    string         `json:"type"`
			Content map[string]any `json:"content"`
		} `json:"events"`
	} `json:"to_device"`
	DeviceLists struct {
		Changed []string `json:"changed"`
		Left    []string `json:"left"`
	} `json:"device_lists"`
	OTKCounts      map[string]int `json:"device_one_time_keys_count"`
	UnusedFallback []string       `json:"device_unused_fallback_key_types"`
}

func doSync(t *testing.T, c *testserver.Client, since string, timeout time.Duration) syncResp {
	t.Helper()
	q := url.Values{"timeout": {fmt.Sprint(timeout.Milliseconds())}}
	if since != "" {
		q.Set("since", since)
	}
	resp := c.Do(t, http.MethodGet, v3+"/sync?"+q.Encode(), nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("sync: %d %s", resp.Status, resp.Body)
	}
	var s syncResp
	resp.JSON(t, &s)
	return s
}

// syncUntil syncs on from token until cond holds for a response, and
// returns it.
func syncUntil(t *testing.T, c *testserver.Client, token, what string, cond func(syncResp) bool) syncResp {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := doSync(t, c, token, time.Second)
		if cond(s) {
			return s
		}
		token = s.NextBatch
		if time.Now().After(deadline) {
			t.Fatalf("sync: %s did not happen in time", what)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func createRoom(t *testing.T, c *testserver.Client, invite ...string) string {
	t.Helper()
	body := map[string]any{"preset": "private_chat", "invite": invite}
	return c.MustDo(t, http.MethodPost, v3+"/createRoom", body, http.StatusOK)["room_id"].(string)
}

func join(t *testing.T, c *testserver.Client, roomID string) {
	t.Helper()
	c.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/join", map[string]any{}, http.StatusOK)
}

func leave(t *testing.T, c *testserver.Client, roomID string) {
	t.Helper()
	c.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/leave", map[string]any{}, http.StatusOK)
}

// twoUsersWithKeys registers alice and bob, each with one device that has
// uploaded its device keys.
func twoUsersWithKeys(t *testing.T, srv *testserver.Server) (alice, bob *device) {
	t.Helper()
	alice = newDevice(t, srv.NewUser(t, "alice"))
	bob = newDevice(t, srv.NewUser(t, "bob"))
	alice.upload(t, map[string]any{"device_keys": alice.deviceKeys(t)})
	bob.upload(t, map[string]any{"device_keys": bob.deviceKeys(t)})
	return alice, bob
}
