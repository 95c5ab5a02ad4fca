package mediaapi_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
	"github.com/ocomms/ocomms/mediaapi/blobstore/s3test"
)

// setup is one test server with its store.
type setup struct {
	srv   *testserver.Server
	cfg   config.Config
	store string
	s3    config.MediaS3
}

// forEachSetup runs fn on every database and bus backend, each with the
// local store and with the S3 store (a real S3-protocol server on
// loopback).
func forEachSetup(t *testing.T, configure func(*config.Config), fn func(t *testing.T, s setup)) {
	t.Helper()
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		for _, store := range []string{"local", "s3"} {
			t.Run(store, func(t *testing.T) {
				fn(t, start(t, b, store, configure))
			})
		}
	})
}

func start(t *testing.T, b testserver.Backend, store string, configure func(*config.Config)) setup {
	t.Helper()
	cfg := testserver.Config(t, b)
	s := setup{store: store}
	cfg.Media.Store = store
	if store == "s3" {
		s.s3 = s3test.Start(t)
		cfg.Media.S3 = s.s3
	}
	cfg.Media.UploadRateLimit = config.RateLimit{PerSecond: 1000, Burst: 1000}
	// Media of the test is older than the freeze for the legacy endpoints
	// unless a test says otherwise.
	cfg.Media.UnauthenticatedBefore = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if configure != nil {
		configure(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s.cfg = cfg
	s.srv = testserver.Start(t, cfg)
	return s
}

// raw sends a request with a raw body and headers, as a client uploading
// or downloading media does.
func raw(t *testing.T, c *testserver.Client, method, path string, body io.Reader, header map[string]string) *testserver.ClientResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, c.BaseURL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if c.AccessToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &testserver.ClientResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// upload posts data and returns its mxc URI's server name and media ID.
func upload(t *testing.T, c *testserver.Client, data []byte, contentType, filename string) (string, string) {
	t.Helper()
	resp := uploadResp(t, c, data, contentType, filename)
	if resp.Status != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.Status, resp.Body)
	}
	var body struct {
		ContentURI string `json:"content_uri"`
	}
	resp.JSON(t, &body)
	return splitMXC(t, body.ContentURI)
}

func uploadResp(t *testing.T, c *testserver.Client, data []byte, contentType, filename string) *testserver.ClientResponse {
	t.Helper()
	path := "/_matrix/media/v3/upload"
	if filename != "" {
		path += "?filename=" + url.QueryEscape(filename)
	}
	return raw(t, c, http.MethodPost, path, bytes.NewReader(data), map[string]string{"Content-Type": contentType})
}

func splitMXC(t *testing.T, uri string) (string, string) {
	t.Helper()
	rest, ok := strings.CutPrefix(uri, "mxc://")
	server, id, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || server == "" || id == "" {
		t.Fatalf("not an mxc URI: %q", uri)
	}
	return server, id
}

func wantError(t *testing.T, resp *testserver.ClientResponse, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Errcode() != code {
		t.Fatalf("got %d %s, want %d %s: %s", resp.Status, resp.Errcode(), status, code, resp.Body)
	}
}

// pngImage is a w x h opaque PNG with a gradient (so it does not
// compress to nothing).
func pngImage(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 7), uint8(y * 3), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeConfig(t *testing.T, data []byte) image.Config {
	t.Helper()
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an image (%v): %q", err, data[:min(len(data), 100)])
	}
	return cfg
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
