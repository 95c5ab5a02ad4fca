package mediaapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/mediaapi"
	"github.com/ocomms/ocomms/mediaapi/blobstore/s3test"
)

func TestAdminQuarantinesAndDeletesFromTheStore(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		s := start(t, b, "s3", nil)
		alice := s.srv.NewUser(t, "alice")
		admin := s.srv.NewAdmin(t, "admin")
		data := []byte("the same bytes, twice")
		server, first := upload(t, alice, data, "text/plain", "")
		_, second := upload(t, alice, data, "text/plain", "")
		if objs := s3test.Objects(t, s.s3, "blobs/"); len(objs) != 1 {
			t.Fatalf("identical uploads are not stored once: %v", objs)
		}
		dl := func(id string) *testserver.ClientResponse {
			return raw(t, alice, http.MethodGet, "/_matrix/client/v1/media/download/"+server+"/"+id, nil, nil)
		}
		mediaPath := "/_synapse/admin/v1/media/" + server + "/"

		wantError(t, alice.Do(t, http.MethodPost, "/_synapse/admin/v1/media/quarantine/"+server+"/"+first, map[string]any{}), http.StatusForbidden, "M_FORBIDDEN")
		admin.MustDo(t, http.MethodPost, "/_synapse/admin/v1/media/quarantine/"+server+"/"+first, map[string]any{}, http.StatusOK)
		wantError(t, dl(first), http.StatusNotFound, "M_NOT_FOUND")
		if dl(second).Status != http.StatusOK {
			t.Fatal("quarantine spread to other media of the same bytes")
		}
		info := admin.MustDo(t, http.MethodGet, mediaPath+first, nil, http.StatusOK)["media_info"].(map[string]any)
		if info["quarantined"] != true || info["user_id"] != alice.UserID || info["store"] != "s3" {
			t.Errorf("media info %v", info)
		}
		admin.MustDo(t, http.MethodPost, "/_synapse/admin/v1/media/unquarantine/"+server+"/"+first, map[string]any{}, http.StatusOK)
		if dl(first).Status != http.StatusOK {
			t.Fatal("unquarantined media is not served")
		}

		admin.MustDo(t, http.MethodDelete, mediaPath+first, nil, http.StatusOK)
		wantError(t, dl(first), http.StatusNotFound, "M_NOT_FOUND")
		if objs := s3test.Objects(t, s.s3, "blobs/"); len(objs) != 1 {
			t.Fatalf("bytes still used by other media were deleted: %v", objs)
		}
		got := admin.MustDo(t, http.MethodPost, "/_synapse/admin/v1/media/delete?before_ts="+nowMs(), map[string]any{}, http.StatusOK)
		if got["total"] != float64(1) {
			t.Fatalf("delete before now: %v", got)
		}
		if objs := s3test.Objects(t, s.s3, "blobs/"); len(objs) != 0 {
			t.Fatalf("deleted media left bytes in the bucket: %v", objs)
		}
		wantError(t, admin.Do(t, http.MethodDelete, mediaPath+second, nil), http.StatusNotFound, "M_NOT_FOUND")
		quota := admin.MustDo(t, http.MethodGet, "/_synapse/admin/v1/users/"+alice.UserID+"/media_quota", nil, http.StatusOK)
		if quota["used_bytes"] != float64(0) || quota["media_count"] != float64(0) {
			t.Errorf("usage after deleting everything: %v", quota)
		}
		purged := admin.MustDo(t, http.MethodPost, "/_synapse/admin/v1/purge_media_cache?before_ts="+nowMs(), map[string]any{}, http.StatusOK)
		if purged["deleted"] != float64(0) {
			t.Errorf("purged local media as remote: %v", purged)
		}
	})
}

// nowMs is a second from now, in milliseconds, for before_ts.
func nowMs() string { return strconv.FormatInt(time.Now().Add(time.Second).UnixMilli(), 10) }

// Media moves between the stores in both directions while downloads keep
// working, and leaves nothing behind in the store it left.
func TestMediaMovesBetweenStoresWhileServed(t *testing.T) {
	for _, tc := range []struct{ from, to string }{{"local", "s3"}, {"s3", "local"}} {
		t.Run(tc.from+" to "+tc.to, func(t *testing.T) { testMoveWhileServed(t, tc.from, tc.to) })
	}
}

func testMoveWhileServed(t *testing.T, from, to string) {
	t.Helper()
	b := testserver.Backends()[0]
	s := start(t, b, from, func(cfg *config.Config) {
		if cfg.Media.S3.Endpoint == "" {
			cfg.Media.S3 = s3test.Start(t)
		}
	})
	alice := s.srv.NewUser(t, "alice")
	photo := pngImage(t, 200, 100)
	server, id := upload(t, alice, photo, "image/png", "")
	_, text := upload(t, alice, []byte("a note"), "text/plain", "")
	s.srv.Stop()

	cfg := s.cfg
	cfg.Media.Store = to
	srv := testserver.Start(t, cfg)
	alice.BaseURL = srv.URL
	admin := srv.NewAdmin(t, "admin")
	_, later := upload(t, alice, []byte("uploaded after the switch"), "text/plain", "")
	status := admin.MustDo(t, http.MethodGet, "/_ocomms/admin/v1/media/move", nil, http.StatusOK)
	if status["target"] != to || status["remaining"].(float64) < 2 {
		t.Fatalf("before the move: %v", status)
	}
	admin.MustDo(t, http.MethodPost, "/_ocomms/admin/v1/media/move", map[string]any{}, http.StatusAccepted)
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Downloads keep working during the move.
		for _, mid := range []string{id, text, later} {
			if resp := raw(t, alice, http.MethodGet, "/_matrix/client/v1/media/download/"+server+"/"+mid, nil, nil); resp.Status != http.StatusOK {
				t.Fatalf("download of %s during the move: %d %s", mid, resp.Status, resp.Body)
			}
		}
		status = admin.MustDo(t, http.MethodGet, "/_ocomms/admin/v1/media/move", nil, http.StatusOK)
		if status["running"] == false && status["remaining"] == float64(0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("move did not finish: %v", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status["failed"] != float64(0) || status["moved"].(float64) < 2 {
		t.Errorf("move status %v", status)
	}
	if left := mediaapi.StoredBlobs(t, cfg, from); len(left) != 0 {
		t.Errorf("blobs left in the %s store after the move: %v", from, left)
	}
	if len(mediaapi.StoredBlobs(t, cfg, to)) < 2 {
		t.Errorf("the %s store holds too few blobs after the move", to)
	}
	resp := raw(t, alice, http.MethodGet, "/_matrix/client/v1/media/thumbnail/"+server+"/"+id+"?width=32&height=32&method=crop", nil, nil)
	if resp.Status != http.StatusOK || decodeConfig(t, resp.Body).Width != 32 {
		t.Fatalf("thumbnail after the move: %d", resp.Status)
	}
}
