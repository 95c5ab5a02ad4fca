package pushers_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

const v3 = "/_matrix/client/v3"

func esc(s string) string { return url.PathEscape(s) }

// start runs a server that may reach push gateways on loopback over http,
// as the test gateway is, and retries quickly.
func start(t *testing.T, b testserver.Backend) *testserver.Server {
	t.Helper()
	cfg := testserver.Config(t, b)
	cfg.Push.AllowedGatewayRanges = []string{"127.0.0.0/8", "::1/128"}
	cfg.Push.AllowHTTPGateways = true
	cfg.Push.RetryInitial = 50 * time.Millisecond
	cfg.Push.RetryMax = 200 * time.Millisecond
	return testserver.Start(t, cfg)
}

// notifyBody is what a gateway receives.
type notifyBody struct {
	Notification struct {
		EventID           string         `json:"event_id"`
		RoomID            string         `json:"room_id"`
		Type              string         `json:"type"`
		Sender            string         `json:"sender"`
		SenderDisplayName string         `json:"sender_display_name"`
		RoomName          string         `json:"room_name"`
		Prio              string         `json:"prio"`
		Content           map[string]any `json:"content"`
		Counts            map[string]int `json:"counts"`
		Devices           []struct {
			AppID     string         `json:"app_id"`
			PushKey   string         `json:"pushkey"`
			PushKeyTS int64          `json:"pushkey_ts"`
			Data      map[string]any `json:"data"`
			Tweaks    map[string]any `json:"tweaks"`
		} `json:"devices"`
	} `json:"notification"`
}

// gateway is a push gateway on loopback that records every notify and
// answers what answer says for the request's pushkey.
type gateway struct {
	*httptest.Server
	got    chan notifyBody
	mu     sync.Mutex
	answer func(pushkey string) (status int, rejected []string)
}

func newGateway(t *testing.T) *gateway {
	t.Helper()
	return newGatewayAt(t, "127.0.0.1:0")
}

// newGatewayAt is a gateway listening on addr.
func newGatewayAt(t *testing.T, addr string) *gateway {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening on %s: %v", addr, err)
	}
	g := &gateway{got: make(chan notifyBody, 100)}
	g.answer = func(string) (int, []string) { return http.StatusOK, nil }
	g.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_matrix/push/v1/notify" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var n notifyBody
		if err := json.Unmarshal(data, &n); err != nil {
			t.Errorf("gateway got %s: %v", data, err)
		}
		key := ""
		if len(n.Notification.Devices) > 0 {
			key = n.Notification.Devices[0].PushKey
		}
		g.mu.Lock()
		status, rejected := g.answer(key)
		g.mu.Unlock()
		g.got <- n
		w.WriteHeader(status)
		if rejected == nil {
			rejected = []string{}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"rejected": rejected})
	}))
	g.Listener.Close()
	g.Listener = ln
	g.Start()
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) setAnswer(f func(pushkey string) (int, []string)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answer = f
}

func (g *gateway) notifyURL() string { return g.URL + "/_matrix/push/v1/notify" }

// next waits for the next notify the gateway receives.
func (g *gateway) next(t *testing.T) notifyBody {
	t.Helper()
	select {
	case n := <-g.got:
		return n
	case <-time.After(15 * time.Second):
		t.Fatal("the push gateway received nothing")
		return notifyBody{}
	}
}

func httpPusher(url, pushkey string, data map[string]any) map[string]any {
	if data == nil {
		data = map[string]any{}
	}
	data["url"] = url
	return map[string]any{
		"kind": "http", "app_id": "org.example.app", "pushkey": pushkey,
		"app_display_name": "Example", "device_display_name": "Phone", "lang": "en", "data": data,
	}
}

func pushers(t *testing.T, c *testserver.Client) []map[string]any {
	t.Helper()
	res := c.MustDo(t, http.MethodGet, v3+"/pushers", nil, http.StatusOK)
	list, ok := res["pushers"].([]any)
	if !ok {
		t.Fatalf("GET /pushers = %v", res)
	}
	out := make([]map[string]any, 0, len(list))
	for _, p := range list {
		out = append(out, p.(map[string]any))
	}
	return out
}

func pushkeys(t *testing.T, c *testserver.Client) []string {
	t.Helper()
	var out []string
	for _, p := range pushers(t, c) {
		out = append(out, p["pushkey"].(string))
	}
	return out
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

func send(t *testing.T, c *testserver.Client, roomID, txnID string, content map[string]any) string {
	t.Helper()
	res := c.MustDo(t, http.MethodPut, v3+"/rooms/"+esc(roomID)+"/send/m.room.message/"+esc(txnID), content, http.StatusOK)
	id, _ := res["event_id"].(string)
	if id == "" {
		t.Fatalf("send returned no event_id: %v", res)
	}
	return id
}

func text(body string) map[string]any { return map[string]any{"msgtype": "m.text", "body": body} }

// twoInRoom makes alice and bob members of a room named "Ops".
func twoInRoom(t *testing.T, srv *testserver.Server) (alice, bob *testserver.Client, roomID string) {
	t.Helper()
	alice, bob = srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
	res := alice.MustDo(t, http.MethodPost, v3+"/createRoom", map[string]any{"preset": "public_chat", "name": "Ops"}, http.StatusOK)
	roomID, _ = res["room_id"].(string)
	bob.MustDo(t, http.MethodPost, v3+"/rooms/"+esc(roomID)+"/join", map[string]any{}, http.StatusOK)
	return alice, bob, roomID
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
