package clientapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

// via is how a client reaches the API: the version in the path and
// whether the access token goes in the Authorization header or, as older
// clients and bots do, in the access_token query parameter.
type via struct {
	name    string
	version string
	inQuery bool
}

var (
	viaV3Header = via{"v3 with the header", "v3", false}
	viaR0Query  = via{"r0 with ?access_token=", "r0", true}
)

// do sends a request as c on path (relative to /_matrix/client/<version>).
func (v via) do(t *testing.T, c *testserver.Client, method, path string, body any) *testserver.ClientResponse {
	t.Helper()
	path = "/_matrix/client/" + v.version + path
	if !v.inQuery || c.AccessToken == "" {
		return c.Do(t, method, path, body)
	}
	anon := *c
	anon.AccessToken = ""
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return anon.Do(t, method, path+sep+"access_token="+url.QueryEscape(c.AccessToken), body)
}

// must is do, failing unless the answer has the status; it decodes the
// body into out when out is not nil.
func (v via) must(t *testing.T, c *testserver.Client, method, path string, body any, status int, out any) {
	t.Helper()
	resp := v.do(t, c, method, path, body)
	if resp.Status != status {
		t.Fatalf("%s %s via %s: %d %s, want %d", method, path, v.name, resp.Status, resp.Body, status)
	}
	if out != nil {
		resp.JSON(t, out)
	}
}

// coreFlow drives what every chat client does first, reaching the API
// via v, and returns the answers with the room's ID taken out so that
// two runs compare equal.
func coreFlow(t *testing.T, v via, alice, bob *testserver.Client) map[string]any {
	t.Helper()
	got := map[string]any{}
	var who struct {
		UserID   string `json:"user_id"`
		DeviceID string `json:"device_id"`
	}
	v.must(t, alice, http.MethodGet, "/account/whoami", nil, 200, &who)
	got["whoami"] = who.UserID == alice.UserID && who.DeviceID == alice.DeviceID

	var created struct {
		RoomID string `json:"room_id"`
	}
	v.must(t, alice, http.MethodPost, "/createRoom", map[string]any{"name": "Legacy", "preset": "public_chat"}, 200, &created)
	room := "/rooms/" + url.PathEscape(created.RoomID)
	var joined struct {
		RoomID string `json:"room_id"`
	}
	v.must(t, bob, http.MethodPost, "/join/"+url.PathEscape(created.RoomID), map[string]any{}, 200, &joined)
	got["join"] = joined.RoomID == created.RoomID

	var sent, resent struct {
		EventID string `json:"event_id"`
	}
	v.must(t, alice, http.MethodPut, room+"/send/m.room.message/"+v.version, map[string]any{"msgtype": "m.text", "body": "hello"}, 200, &sent)
	v.must(t, alice, http.MethodPut, room+"/send/m.room.message/"+v.version, map[string]any{"msgtype": "m.text", "body": "hello"}, 200, &resent)
	got["send is idempotent"] = sent.EventID != "" && resent.EventID == sent.EventID

	// bob's sync, initial then incremental, until the message arrives.
	type event struct {
		EventID string `json:"event_id"`
	}
	type syncRoom struct {
		Timeline struct {
			Events []event `json:"events"`
		} `json:"timeline"`
	}
	var s struct {
		NextBatch string `json:"next_batch"`
		Rooms     struct {
			Join map[string]syncRoom `json:"join"`
		} `json:"rooms"`
	}
	deadline := time.Now().Add(20 * time.Second)
	q := "/sync?timeout=1000"
	for found := false; !found; {
		if time.Now().After(deadline) {
			t.Fatalf("bob's sync via %s never showed the message", v.name)
		}
		v.must(t, bob, http.MethodGet, q, nil, 200, &s)
		found = slices.Contains(s.Rooms.Join[created.RoomID].Timeline.Events, event{sent.EventID})
		q = "/sync?timeout=1000&since=" + url.QueryEscape(s.NextBatch)
	}
	got["sync"] = true

	var page struct {
		Chunk []struct {
			Type    string         `json:"type"`
			Content map[string]any `json:"content"`
		} `json:"chunk"`
	}
	v.must(t, bob, http.MethodGet, room+"/messages?dir=b&limit=1", nil, 200, &page)
	if len(page.Chunk) == 1 {
		got["messages"] = page.Chunk[0].Content["body"]
	}

	var state []struct {
		Type string `json:"type"`
	}
	v.must(t, bob, http.MethodGet, room+"/state", nil, 200, &state)
	var types []string
	for _, e := range state {
		types = append(types, e.Type)
	}
	slices.Sort(types)
	got["state types"] = slices.Compact(types)
	var name map[string]any
	v.must(t, bob, http.MethodGet, room+"/state/m.room.name/", nil, 200, &name)
	got["state name"] = name["name"]

	var members struct {
		Chunk []struct {
			StateKey string         `json:"state_key"`
			Content  map[string]any `json:"content"`
		} `json:"chunk"`
	}
	v.must(t, bob, http.MethodGet, room+"/members", nil, 200, &members)
	ms := map[string]any{}
	for _, m := range members.Chunk {
		ms[m.StateKey] = m.Content["membership"]
	}
	got["members"] = ms

	var rooms struct {
		JoinedRooms []string `json:"joined_rooms"`
	}
	v.must(t, bob, http.MethodGet, "/joined_rooms", nil, 200, &rooms)
	got["joined_rooms"] = slices.Contains(rooms.JoinedRooms, created.RoomID)

	profile := "/profile/" + url.PathEscape(alice.UserID)
	v.must(t, alice, http.MethodPut, profile+"/displayname", map[string]any{"displayname": "Alice " + v.version}, 200, nil)
	var dn map[string]any
	v.must(t, bob, http.MethodGet, profile+"/displayname", nil, 200, &dn)
	got["displayname"] = strings.TrimSuffix(fmt.Sprint(dn["displayname"]), " "+v.version)
	var full map[string]any
	v.must(t, bob, http.MethodGet, profile, nil, 200, &full)
	got["profile"] = full["displayname"] == dn["displayname"]

	filter := map[string]any{"room": map[string]any{"timeline": map[string]any{"limit": 5}}}
	var made struct {
		FilterID string `json:"filter_id"`
	}
	v.must(t, alice, http.MethodPost, "/user/"+url.PathEscape(alice.UserID)+"/filter", filter, 200, &made)
	var back map[string]any
	v.must(t, alice, http.MethodGet, "/user/"+url.PathEscape(alice.UserID)+"/filter/"+url.PathEscape(made.FilterID), nil, 200, &back)
	got["filter"] = back["room"]
	return got
}

// Older clients and bots call the r0 paths and put the token in the query
// string; they must get the answers v3 clients get.
func TestLegacyPathsWithQueryTokensAnswerAsV3(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		alice, bob := srv.NewUser(t, "alice"), srv.NewUser(t, "bob")
		want := coreFlow(t, viaV3Header, alice, bob)
		for k, v := range want {
			if v == false || v == nil {
				t.Errorf("v3 flow: %s = %v", k, v)
			}
		}
		if ms := want["members"].(map[string]any); ms[alice.UserID] != "join" || ms[bob.UserID] != "join" || len(ms) != 2 {
			t.Errorf("v3 members %v", ms)
		}
		if want["messages"] != "hello" || want["state name"] != "Legacy" || want["displayname"] != "Alice" {
			t.Errorf("v3 flow answered %v", want)
		}
		got := coreFlow(t, viaR0Query, alice, bob)
		for k := range want {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s via r0 and ?access_token= = %v, via v3 = %v", k, got[k], want[k])
			}
		}
	})
}

func TestMissingAndUnknownTokensOnEveryPathAndPlace(t *testing.T) {
	srv := testserver.Start(t, testserver.Config(t, testserver.Backends()[0]))
	alice := srv.NewUser(t, "alice")
	loggedOut := srv.NewUser(t, "bob")
	loggedOut.MustDo(t, http.MethodPost, v3+"/logout", map[string]any{}, http.StatusOK)
	bogus := srv.Anonymous()
	bogus.AccessToken = "ocm_not-a-token"
	endpoints := []struct{ method, path string }{
		{http.MethodGet, "/account/whoami"},
		{http.MethodGet, "/sync"},
		{http.MethodGet, "/joined_rooms"},
		{http.MethodPost, "/createRoom"},
	}
	tests := []struct {
		name   string
		client *testserver.Client
		code   string
	}{
		{"no token", srv.Anonymous(), "M_MISSING_TOKEN"},
		{"a token never issued", bogus, "M_UNKNOWN_TOKEN"},
		{"a logged-out token", loggedOut, "M_UNKNOWN_TOKEN"},
	}
	for _, v := range []via{viaV3Header, viaR0Query, {"r0 with the header", "r0", false}, {"v3 with ?access_token=", "v3", true}} {
		for _, tt := range tests {
			for _, ep := range endpoints {
				t.Run(v.name+" "+tt.name+" "+ep.path, func(t *testing.T) {
					wantError(t, v.do(t, tt.client, ep.method, ep.path, map[string]any{}), 401, tt.code)
				})
			}
		}
		t.Run(v.name+" a valid token", func(t *testing.T) {
			v.must(t, alice, http.MethodGet, "/account/whoami", nil, 200, nil)
		})
	}
	t.Run("an empty access_token is a missing token", func(t *testing.T) {
		wantError(t, srv.Anonymous().Do(t, http.MethodGet, "/_matrix/client/r0/account/whoami?access_token=", nil), 401, "M_MISSING_TOKEN")
	})
}
