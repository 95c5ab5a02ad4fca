package mediaapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

// roomQuotaRoom is a room of the test, its members and its admin API.
type roomQuotaRoom struct {
	roomID string
	alice  *testserver.Client
	admin  *testserver.Client
	txn    atomic.Int64
}

func (r *roomQuotaRoom) quotaPath() string {
	return "/_ocomms/admin/v1/rooms/" + url.PathEscape(r.roomID) + "/media_quota"
}

// send sends an event of type evType from alice and returns the answer.
func (r *roomQuotaRoom) send(t *testing.T, evType string, content map[string]any) *testserver.ClientResponse {
	t.Helper()
	path := fmt.Sprintf("/_matrix/client/v3/rooms/%s/send/%s/t%d", url.PathEscape(r.roomID), evType, r.txn.Add(1))
	return r.alice.Do(t, http.MethodPut, path, content)
}

func (r *roomQuotaRoom) mustSend(t *testing.T, content map[string]any) string {
	t.Helper()
	resp := r.send(t, "m.room.message", content)
	if resp.Status != http.StatusOK {
		t.Fatalf("send %v: %d %s", content, resp.Status, resp.Body)
	}
	return resp.Map(t)["event_id"].(string)
}

// waitUsage waits until the admin API reports the room's usage: it is
// counted from the roomserver's output stream, after the send answered.
func (r *roomQuotaRoom) waitUsage(t *testing.T, bytes, count int) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.admin.MustDo(t, http.MethodGet, r.quotaPath(), nil, http.StatusOK)
		if got["used_bytes"] == float64(bytes) && got["media_count"] == float64(count) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("room usage %v, want %d bytes in %d media", got, bytes, count)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func file(uri string) map[string]any {
	return map[string]any{"msgtype": "m.file", "body": "a file", "url": uri}
}

func TestRoomMediaQuotaCountsMessagesAndRefusesSendsPastIt(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		s := start(t, b, "local", nil)
		r := &roomQuotaRoom{alice: s.srv.NewUser(t, "alice"), admin: s.srv.NewAdmin(t, "admin")}
		r.roomID = r.alice.MustDo(t, http.MethodPost, "/_matrix/client/v3/createRoom", map[string]any{}, http.StatusOK)["room_id"].(string)
		mxc := func(size int) string {
			server, id := upload(t, r.alice, bytes.Repeat([]byte{'x'}, size), "text/plain", "")
			return "mxc://" + server + "/" + id
		}
		a, bigger, small := mxc(1000), mxc(1000), mxc(400)

		got := r.admin.MustDo(t, http.MethodGet, r.quotaPath(), nil, http.StatusOK)
		if got["max_bytes"] != float64(0) || got["custom"] != false || got["used_bytes"] != float64(0) || got["room_id"] != r.roomID {
			t.Fatalf("quota of a new room: %v", got)
		}
		r.mustSend(t, file(a))
		// The same media again, and media of another server, add nothing.
		r.mustSend(t, map[string]any{"msgtype": "m.image", "body": "again", "url": a, "info": map[string]any{"thumbnail_url": a}})
		r.mustSend(t, file("mxc://elsewhere.example/abcdef"))
		r.waitUsage(t, 1000, 1)

		got = r.admin.MustDo(t, http.MethodPut, r.quotaPath(), map[string]any{"max_bytes": 1500}, http.StatusOK)
		if got["max_bytes"] != float64(1500) || got["custom"] != true || got["used_bytes"] != float64(1000) {
			t.Fatalf("after setting the quota: %v", got)
		}

		t.Run("sends past the quota are refused before they are stored", func(t *testing.T) {
			resp := r.send(t, "m.room.message", file(bigger))
			wantError(t, resp, http.StatusForbidden, "M_FORBIDDEN")
			if !strings.Contains(resp.Map(t)["error"].(string), "quota") {
				t.Errorf("unclear refusal: %s", resp.Body)
			}
			// An encrypted attachment's thumbnail is media too.
			enc := map[string]any{"msgtype": "m.image", "body": "photo",
				"file": map[string]any{"url": a}, "info": map[string]any{"thumbnail_file": map[string]any{"url": bigger}}}
			wantError(t, r.send(t, "m.room.message", enc), http.StatusForbidden, "M_FORBIDDEN")
			wantError(t, r.send(t, "m.sticker", map[string]any{"body": "sticker", "url": bigger}), http.StatusForbidden, "M_FORBIDDEN")
			avatar := r.alice.Do(t, http.MethodPut, "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state/m.room.avatar/", map[string]any{"url": bigger})
			wantError(t, avatar, http.StatusForbidden, "M_FORBIDDEN")
			edit := map[string]any{"msgtype": "m.file", "body": "* edit", "m.new_content": file(bigger)}
			wantError(t, r.send(t, "m.room.message", edit), http.StatusForbidden, "M_FORBIDDEN")
			// Text, and media the room already holds, still go through.
			r.mustSend(t, map[string]any{"msgtype": "m.text", "body": "the room is full"})
			r.mustSend(t, file(a))
			r.waitUsage(t, 1000, 1)
		})

		t.Run("media that fits is counted, redacting it frees it", func(t *testing.T) {
			eventID := r.mustSend(t, map[string]any{"msgtype": "m.image", "body": "small",
				"file": map[string]any{"url": small}})
			r.waitUsage(t, 1400, 2)
			r.alice.MustDo(t, http.MethodPut, "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/redact/"+url.PathEscape(eventID)+"/r1",
				map[string]any{}, http.StatusOK)
			r.waitUsage(t, 1000, 1)
		})

		t.Run("the room avatar is counted", func(t *testing.T) {
			r.admin.MustDo(t, http.MethodPut, r.quotaPath(), map[string]any{"max_bytes": 0}, http.StatusOK)
			r.alice.MustDo(t, http.MethodPut, "/_matrix/client/v3/rooms/"+url.PathEscape(r.roomID)+"/state/m.room.avatar/",
				map[string]any{"url": bigger}, http.StatusOK)
			got := r.waitUsage(t, 2000, 2)
			if got["max_bytes"] != float64(0) || got["custom"] != true {
				t.Errorf("unlimited quota: %v", got)
			}
			got = r.admin.MustDo(t, http.MethodPut, r.quotaPath(), map[string]any{"max_bytes": nil}, http.StatusOK)
			if got["max_bytes"] != float64(0) || got["custom"] != false {
				t.Errorf("back to the default: %v", got)
			}
		})

		t.Run("server admins only", func(t *testing.T) {
			wantError(t, r.alice.Do(t, http.MethodGet, r.quotaPath(), nil), http.StatusForbidden, "M_FORBIDDEN")
			wantError(t, r.alice.Do(t, http.MethodPut, r.quotaPath(), map[string]any{"max_bytes": 1 << 40}), http.StatusForbidden, "M_FORBIDDEN")
			wantError(t, s.srv.Anonymous().Do(t, http.MethodGet, r.quotaPath(), nil), http.StatusUnauthorized, "M_MISSING_TOKEN")
		})

		t.Run("bad input", func(t *testing.T) {
			for _, tc := range []struct {
				name, method, path string
				body               any
				status             int
				code               string
			}{
				{"not a room ID", http.MethodGet, "/_ocomms/admin/v1/rooms/%40alice%3Atest/media_quota", nil, http.StatusBadRequest, "M_INVALID_PARAM"},
				{"not a room ID on PUT", http.MethodPut, "/_ocomms/admin/v1/rooms/nothing/media_quota", map[string]any{"max_bytes": 1}, http.StatusBadRequest, "M_INVALID_PARAM"},
				{"negative", http.MethodPut, r.quotaPath(), map[string]any{"max_bytes": -1}, http.StatusBadRequest, "M_INVALID_PARAM"},
				{"fraction", http.MethodPut, r.quotaPath(), map[string]any{"max_bytes": 1.5}, http.StatusBadRequest, "M_INVALID_PARAM"},
				{"string", http.MethodPut, r.quotaPath(), map[string]any{"max_bytes": "1000"}, http.StatusBadRequest, "M_INVALID_PARAM"},
				{"missing", http.MethodPut, r.quotaPath(), map[string]any{}, http.StatusBadRequest, "M_MISSING_PARAM"},
				{"not JSON", http.MethodPut, r.quotaPath(), "{max_bytes", http.StatusBadRequest, "M_NOT_JSON"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					wantError(t, r.admin.Do(t, tc.method, tc.path, tc.body), tc.status, tc.code)
				})
			}
			if got := r.admin.MustDo(t, http.MethodGet, r.quotaPath(), nil, http.StatusOK); got["custom"] != false {
				t.Errorf("refused input changed the quota: %v", got)
			}
		})
	})
}

func TestRoomMediaQuotaDefaultFromConfig(t *testing.T) {
	s := start(t, testserver.Backends()[0], "local", func(cfg *config.Config) { cfg.Media.DefaultRoomQuotaBytes = 1500 })
	r := &roomQuotaRoom{alice: s.srv.NewUser(t, "alice"), admin: s.srv.NewAdmin(t, "admin")}
	r.roomID = r.alice.MustDo(t, http.MethodPost, "/_matrix/client/v3/createRoom", map[string]any{}, http.StatusOK)["room_id"].(string)
	server, first := upload(t, r.alice, bytes.Repeat([]byte{'x'}, 1000), "text/plain", "")
	_, second := upload(t, r.alice, bytes.Repeat([]byte{'y'}, 1000), "text/plain", "")
	r.mustSend(t, file("mxc://"+server+"/"+first))
	got := r.waitUsage(t, 1000, 1)
	if got["max_bytes"] != float64(1500) || got["custom"] != false {
		t.Fatalf("default quota: %v", got)
	}
	wantError(t, r.send(t, "m.room.message", file("mxc://"+server+"/"+second)), http.StatusForbidden, "M_FORBIDDEN")
	// A non-member learns nothing about the room's quota.
	bob := s.srv.NewUser(t, "bob")
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(r.roomID) + "/send/m.room.message/b1"
	resp := bob.Do(t, http.MethodPut, path, file("mxc://"+server+"/"+second))
	wantError(t, resp, http.StatusForbidden, "M_FORBIDDEN")
	if strings.Contains(string(resp.Body), "quota") {
		t.Errorf("a non-member was told about the room's quota: %s", resp.Body)
	}
}
