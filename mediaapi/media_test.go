package mediaapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/mediaapi/blobstore/s3test"
)

func TestUploadDownloadAndThumbnailOnEveryBackendAndStore(t *testing.T) {
	forEachSetup(t, nil, func(t *testing.T, s setup) {
		alice := s.srv.NewUser(t, "alice")
		bob := s.srv.NewUser(t, "bob")
		anon := s.srv.Anonymous()
		photo := pngImage(t, 1000, 800)
		server, id := upload(t, alice, photo, "image/png", "holiday photo.png")
		if server != "test.ocomms.local" || len(id) < 20 {
			t.Fatalf("mxc://%s/%s", server, id)
		}
		authed := "/_matrix/client/v1/media/download/" + server + "/" + id
		legacy := "/_matrix/media/v3/download/" + server + "/" + id

		t.Run("downloads answer the bytes with the spec's headers", func(t *testing.T) {
			for _, tc := range []struct {
				name, path, disposition string
				client                  bool
			}{
				{"authenticated", authed, `inline; filename="holiday photo.png"`, true},
				{"authenticated with a file name", authed + "/other.png", `inline; filename="other.png"`, true},
				{"legacy v3", legacy, `inline; filename="holiday photo.png"`, false},
				{"legacy r0", "/_matrix/media/r0/download/" + server + "/" + id, `inline; filename="holiday photo.png"`, false},
			} {
				c := anon
				if tc.client {
					c = bob
				}
				resp := raw(t, c, http.MethodGet, tc.path, nil, nil)
				if resp.Status != http.StatusOK || !bytes.Equal(resp.Body, photo) {
					t.Fatalf("%s: %d, %d bytes", tc.name, resp.Status, len(resp.Body))
				}
				h := resp.Header
				if h.Get("Content-Type") != "image/png" || h.Get("Content-Disposition") != tc.disposition ||
					!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox;") || h.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
					t.Errorf("%s: headers %v", tc.name, h)
				}
			}
		})

		t.Run("the authenticated endpoint needs a token", func(t *testing.T) {
			wantError(t, raw(t, anon, http.MethodGet, authed, nil, nil), http.StatusUnauthorized, "M_MISSING_TOKEN")
		})

		t.Run("ranges are served", func(t *testing.T) {
			resp := raw(t, bob, http.MethodGet, authed, nil, map[string]string{"Range": "bytes=8-15"})
			if resp.Status != http.StatusPartialContent || !bytes.Equal(resp.Body, photo[8:16]) {
				t.Fatalf("range: %d %q", resp.Status, resp.Body)
			}
		})

		t.Run("thumbnails are at least the asked size and never upscaled", func(t *testing.T) {
			for _, tc := range []struct {
				query        string
				wantW, wantH int
			}{
				{"width=96&height=96&method=crop", 96, 96},         // pre-generated
				{"width=320&height=240&method=scale", 320, 240},    // pre-generated (300x240)
				{"width=50&height=50&method=scale", 50, 50},        // the smallest stored one large enough
				{"width=500&height=500&method=scale", 500, 500},    // made on demand (500x400)
				{"width=2000&height=2000&method=scale", 1000, 800}, // the original
				{"width=100&height=40&method=crop", 100, 40},       // made on demand
			} {
				for _, prefix := range []string{"/_matrix/client/v1/media/thumbnail/", "/_matrix/media/v3/thumbnail/"} {
					c := bob
					if strings.HasPrefix(prefix, "/_matrix/media") {
						c = anon
					}
					resp := raw(t, c, http.MethodGet, prefix+server+"/"+id+"?"+tc.query, nil, nil)
					if resp.Status != http.StatusOK {
						t.Fatalf("%s: %d %s", tc.query, resp.Status, resp.Body)
					}
					cfg := decodeConfig(t, resp.Body)
					if cfg.Width < min(tc.wantW, 1000) && cfg.Height < min(tc.wantH, 800) {
						t.Errorf("%s: %dx%d is smaller than asked", tc.query, cfg.Width, cfg.Height)
					}
					if cfg.Width > 1000 || cfg.Height > 800 {
						t.Errorf("%s: %dx%d is upscaled", tc.query, cfg.Width, cfg.Height)
					}
					if ct := resp.Header.Get("Content-Type"); ct != "image/png" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") {
						t.Errorf("%s: %s, %s", tc.query, ct, resp.Header.Get("Content-Disposition"))
					}
				}
			}
		})

		t.Run("the config endpoint tells the upload limit", func(t *testing.T) {
			for _, path := range []string{"/_matrix/client/v1/media/config", "/_matrix/media/v3/config"} {
				got := bob.MustDo(t, http.MethodGet, path, nil, http.StatusOK)
				if got["m.upload.size"] != float64(s.cfg.Media.MaxUploadBytes) {
					t.Errorf("%s: %v", path, got)
				}
			}
		})

		t.Run("create then upload, with a download waiting for it", func(t *testing.T) {
			created := alice.MustDo(t, http.MethodPost, "/_matrix/media/v1/create", map[string]any{}, http.StatusOK)
			uri, _ := created["content_uri"].(string)
			if exp, _ := created["unused_expires_at"].(float64); int64(exp) <= time.Now().UnixMilli() {
				t.Fatalf("unused_expires_at %v", created["unused_expires_at"])
			}
			srv, mid := splitMXC(t, uri)
			got := make(chan []byte, 1)
			go func() {
				resp := raw(t, bob, http.MethodGet, "/_matrix/client/v1/media/download/"+srv+"/"+mid+"?timeout_ms=20000", nil, nil)
				got <- resp.Body
			}()
			put := raw(t, bob, http.MethodPut, "/_matrix/media/v3/upload/"+srv+"/"+mid, strings.NewReader("late"), map[string]string{"Content-Type": "text/plain"})
			wantError(t, put, http.StatusForbidden, "M_FORBIDDEN")
			put = raw(t, alice, http.MethodPut, "/_matrix/media/v3/upload/"+srv+"/"+mid+"?filename=notes.txt", strings.NewReader("late but here"), map[string]string{"Content-Type": "text/plain"})
			if put.Status != http.StatusOK {
				t.Fatalf("put: %d %s", put.Status, put.Body)
			}
			select {
			case body := <-got:
				if string(body) != "late but here" {
					t.Fatalf("waiting download got %q", body)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the waiting download did not get the upload")
			}
			again := raw(t, alice, http.MethodPut, "/_matrix/media/v3/upload/"+srv+"/"+mid, strings.NewReader("again"), nil)
			wantError(t, again, http.StatusConflict, "M_CANNOT_OVERWRITE_MEDIA")
		})

		t.Run("a created media ID without upload times out", func(t *testing.T) {
			created := alice.MustDo(t, http.MethodPost, "/_matrix/media/v1/create", map[string]any{}, http.StatusOK)
			srv, mid := splitMXC(t, created["content_uri"].(string))
			resp := raw(t, bob, http.MethodGet, "/_matrix/client/v1/media/download/"+srv+"/"+mid+"?timeout_ms=100", nil, nil)
			wantError(t, resp, http.StatusGatewayTimeout, "M_NOT_YET_UPLOADED")
		})

		if s.store == "s3" {
			t.Run("the bytes are in the bucket, named by their hash", func(t *testing.T) {
				if objs := s3test.Objects(t, s.s3, "blobs/"); len(objs) < 5 {
					t.Fatalf("objects in the bucket: %v", objs)
				}
			})
		}
	})
}
