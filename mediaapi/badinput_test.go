package mediaapi_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/mediaapi/thumbnail/thumbnailtest"
)

func TestBadInputIsRefusedCleanly(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		s := start(t, b, "local", func(cfg *config.Config) {
			cfg.Media.MaxUploadBytes = 64 << 10
			cfg.Media.MaxPendingUploads = 2
		})
		alice := s.srv.NewUser(t, "alice")
		admin := s.srv.NewAdmin(t, "admin")
		download := func(server, id string) *testserver.ClientResponse {
			return raw(t, alice, http.MethodGet, "/_matrix/client/v1/media/download/"+server+"/"+id, nil, nil)
		}

		t.Run("oversize uploads are M_TOO_LARGE, declared or streamed", func(t *testing.T) {
			big := make([]byte, 65<<10)
			wantError(t, uploadResp(t, alice, big, "application/octet-stream", ""), http.StatusRequestEntityTooLarge, "M_TOO_LARGE")
			// Chunked, so the size shows only while reading.
			resp := raw(t, alice, http.MethodPost, "/_matrix/media/v3/upload", io.MultiReader(bytes.NewReader(big)), nil)
			wantError(t, resp, http.StatusRequestEntityTooLarge, "M_TOO_LARGE")
		})

		t.Run("a quota is enforced and shown to admins", func(t *testing.T) {
			quotaPath := "/_synapse/admin/v1/users/" + alice.UserID + "/media_quota"
			wantError(t, alice.Do(t, http.MethodPut, quotaPath, map[string]any{"max_bytes": 1}), http.StatusForbidden, "M_FORBIDDEN")
			admin.MustDo(t, http.MethodPut, quotaPath, map[string]any{"max_bytes": 30000}, http.StatusOK)
			upload(t, alice, make([]byte, 20000), "application/octet-stream", "")
			resp := uploadResp(t, alice, make([]byte, 20000), "application/octet-stream", "")
			wantError(t, resp, http.StatusForbidden, "M_FORBIDDEN")
			if !strings.Contains(resp.Map(t)["error"].(string), "quota") {
				t.Errorf("unclear message: %s", resp.Body)
			}
			got := admin.MustDo(t, http.MethodGet, quotaPath, nil, http.StatusOK)
			if got["used_bytes"].(float64) < 20000 || got["max_bytes"] != float64(30000) || got["custom"] != true {
				t.Errorf("quota %v", got)
			}
			admin.MustDo(t, http.MethodPut, quotaPath, map[string]any{"max_bytes": nil}, http.StatusOK)
			upload(t, alice, make([]byte, 20000), "application/octet-stream", "")
		})

		t.Run("the stored type comes from the bytes, active content is an attachment", func(t *testing.T) {
			random := make([]byte, 4096)
			_, _ = rand.Read(random)
			for _, tc := range []struct {
				name, data, claimed, wantType, wantDisposition string
			}{
				{"HTML claiming to be a PNG", "<!DOCTYPE html><html><script>alert(document.cookie)</script></html>", "image/png", "text/html; charset=utf-8", "attachment"},
				{"SVG claiming to be a PNG", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "image/png", "image/svg+xml", "attachment"},
				{"a PNG claiming to be HTML", string(pngImage(t, 4, 4)), "text/html", "image/png", "inline"},
				{"random bytes claiming to be a PNG", string(random), "image/png", "application/octet-stream", "attachment"},
				{"plain text keeps a harmless text type", "# Notes\n\nplain words", "text/markdown", "text/markdown; charset=utf-8", "attachment"},
			} {
				server, id := upload(t, alice, []byte(tc.data), tc.claimed, "")
				resp := download(server, id)
				if resp.Header.Get("Content-Type") != tc.wantType || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), tc.wantDisposition) {
					t.Errorf("%s: served as %q, %q", tc.name, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
				}
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s: no nosniff", tc.name)
				}
			}
		})

		t.Run("media IDs and server names that could traverse paths are refused", func(t *testing.T) {
			for _, path := range []string{
				"/_matrix/client/v1/media/download/test.ocomms.local/..%2F..%2Fetc%2Fpasswd",
				"/_matrix/client/v1/media/download/test.ocomms.local/abc.def",
				"/_matrix/client/v1/media/download/test.ocomms.local/%2e%2e",
				"/_matrix/client/v1/media/download/..%2Fetc/abcdef",
				"/_matrix/client/v1/media/thumbnail/test.ocomms.local/a%00b?width=32&height=32",
				"/_matrix/media/v3/download/test.ocomms.local/..%5C..%5Cwin.ini",
			} {
				resp := raw(t, alice, http.MethodGet, path, nil, nil)
				if resp.Status != http.StatusBadRequest || resp.Errcode() != "M_INVALID_PARAM" {
					t.Errorf("%s: %d %s", path, resp.Status, resp.Body)
				}
			}
			wantError(t, raw(t, alice, http.MethodGet, "/_matrix/client/v1/media/download/test.ocomms.local/NoSuchMedia", nil, nil), http.StatusNotFound, "M_NOT_FOUND")
		})

		t.Run("media of another server is not found unless cached", func(t *testing.T) {
			wantError(t, download("elsewhere.example.org", "abcdef"), http.StatusNotFound, "M_NOT_FOUND")
		})

		t.Run("decompression bombs are stored but never decoded", func(t *testing.T) {
			server, id := upload(t, alice, thumbnailtest.BombPNG(100000, 100000), "image/png", "bomb.png")
			resp := raw(t, alice, http.MethodGet, "/_matrix/client/v1/media/thumbnail/"+server+"/"+id+"?width=32&height=32&method=crop", nil, nil)
			wantError(t, resp, http.StatusRequestEntityTooLarge, "M_TOO_LARGE")
		})

		t.Run("bad thumbnail parameters", func(t *testing.T) {
			server, id := upload(t, alice, pngImage(t, 64, 64), "image/png", "")
			textServer, textID := upload(t, alice, []byte("just text"), "text/plain", "")
			base := "/_matrix/client/v1/media/thumbnail/"
			for _, tc := range []struct {
				path, code string
				status     int
			}{
				{base + server + "/" + id + "?height=32", "M_MISSING_PARAM", 400},
				{base + server + "/" + id + "?width=-1&height=32", "M_INVALID_PARAM", 400},
				{base + server + "/" + id + "?width=32&height=32&method=stretch", "M_INVALID_PARAM", 400},
				{base + server + "/" + id + "?width=32&height=32&animated=maybe", "M_INVALID_PARAM", 400},
				{base + textServer + "/" + textID + "?width=32&height=32", "M_UNKNOWN", 400},
			} {
				wantError(t, raw(t, alice, http.MethodGet, tc.path, nil, nil), tc.status, tc.code)
			}
		})

		t.Run("pending media IDs are bounded per user", func(t *testing.T) {
			bob := s.srv.NewUser(t, "bob")
			for range 2 {
				bob.MustDo(t, http.MethodPost, "/_matrix/media/v1/create", map[string]any{}, http.StatusOK)
			}
			resp := bob.Do(t, http.MethodPost, "/_matrix/media/v1/create", map[string]any{})
			wantError(t, resp, http.StatusTooManyRequests, "M_LIMIT_EXCEEDED")
			if ms, _ := resp.Map(t)["retry_after_ms"].(float64); ms <= 0 {
				t.Errorf("no retry_after_ms: %s", resp.Body)
			}
		})

		t.Run("uploads to unknown or foreign media IDs are not found", func(t *testing.T) {
			for _, path := range []string{"/_matrix/media/v3/upload/test.ocomms.local/NeverCreated", "/_matrix/media/v3/upload/elsewhere.example.org/abc"} {
				wantError(t, raw(t, alice, http.MethodPut, path, strings.NewReader("x"), nil), http.StatusNotFound, "M_NOT_FOUND")
			}
		})

		t.Run("previews are off by default", func(t *testing.T) {
			wantError(t, alice.Do(t, http.MethodGet, "/_matrix/client/v1/media/preview_url?url=https://example.org", nil), http.StatusNotFound, "M_UNRECOGNIZED")
		})
	})
}

func TestUploadsAreRateLimited(t *testing.T) {
	s := start(t, testserver.Backends()[0], "local", func(cfg *config.Config) {
		cfg.Media.UploadRateLimit = config.RateLimit{PerSecond: 0.01, Burst: 2}
	})
	alice := s.srv.NewUser(t, "alice")
	for range 2 {
		upload(t, alice, []byte("x"), "text/plain", "")
	}
	resp := uploadResp(t, alice, []byte("x"), "text/plain", "")
	wantError(t, resp, http.StatusTooManyRequests, "M_LIMIT_EXCEEDED")
	if ms, _ := resp.Map(t)["retry_after_ms"].(float64); ms <= 0 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("no retry hint: %v %s", resp.Header, resp.Body)
	}
}

func TestLegacyEndpointsAreFrozenForNewMedia(t *testing.T) {
	s := start(t, testserver.Backends()[0], "local", func(cfg *config.Config) { cfg.Media.UnauthenticatedBefore = "" })
	alice := s.srv.NewUser(t, "alice")
	server, id := upload(t, alice, pngImage(t, 8, 8), "image/png", "")
	anon := s.srv.Anonymous()
	for _, path := range []string{"/_matrix/media/v3/download/" + server + "/" + id, "/_matrix/media/r0/thumbnail/" + server + "/" + id + "?width=4&height=4"} {
		wantError(t, raw(t, anon, http.MethodGet, path, nil, nil), http.StatusNotFound, "M_NOT_FOUND")
		wantError(t, raw(t, alice, http.MethodGet, path, nil, nil), http.StatusNotFound, "M_NOT_FOUND")
	}
	if resp := raw(t, alice, http.MethodGet, "/_matrix/client/v1/media/download/"+server+"/"+id, nil, nil); resp.Status != http.StatusOK {
		t.Fatalf("authenticated download: %d", resp.Status)
	}
}
