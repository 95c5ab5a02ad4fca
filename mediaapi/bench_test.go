package mediaapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/mediaapi/blobstore/s3test"
	"github.com/ocomms/ocomms/storage"
)

// oneDevice authenticates every request as the same device.
type oneDevice struct{}

func (oneDevice) Authenticate(context.Context, string, *http.Request) (*httpapi.Device, error) {
	return &httpapi.Device{UserID: "@alice:bench", DeviceID: "BENCH"}, nil
}

// benchServer runs the component alone on SQLite and the embedded bus,
// behind the same middleware as the real listener.
func benchServer(b *testing.B, store string) string {
	ctx := b.Context()
	log := slog.New(slog.DiscardHandler)
	dir := b.TempDir()
	db, err := storage.Open(ctx, storage.Config{Backend: storage.BackendSQLite, SQLitePath: filepath.Join(dir, "bench.db")}, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	bs, err := bus.Open(ctx, bus.Config{DataDir: filepath.Join(dir, "nats"), Prefix: "bench"}, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bs.Close(context.Background()) })
	cfg := config.Defaults()
	cfg.ServerName, cfg.DataDir = "bench", dir
	cfg.Media.Store = store
	cfg.Media.MaxUploadBytes = 64 << 20
	cfg.Media.UploadRateLimit = config.RateLimit{PerSecond: 1e6, Burst: 1e6}
	if store == "s3" {
		cfg.Media.S3 = s3test.Start(b)
	}
	m, err := New(db, bs, cfg, oneDevice{}, log)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Migrate(ctx, m.Name(), m.Migrations()); err != nil {
		b.Fatal(err)
	}
	if err := bs.EnsureStreams(ctx, m.Streams()...); err != nil {
		b.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Stop(context.Background()) })
	r := httpapi.NewRouter()
	m.Register(httpapi.Routes{Client: r})
	srv := httptest.NewServer(httpapi.Outer(r, log, 1<<20, nil))
	b.Cleanup(srv.Close)
	return srv.URL
}

func benchDo(b *testing.B, method, url string, body io.Reader, contentType string) []byte {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer bench")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s %s: %d %v %.200s", method, url, resp.StatusCode, err, data)
	}
	return data
}

func benchUpload(b *testing.B, base string, data []byte, contentType string) string {
	var res struct {
		ContentURI string `json:"content_uri"`
	}
	if err := json.Unmarshal(benchDo(b, http.MethodPost, base+"/_matrix/media/v3/upload", bytes.NewReader(data), contentType), &res); err != nil {
		b.Fatal(err)
	}
	return strings.TrimPrefix(res.ContentURI, "mxc://")
}

func photo(b *testing.B, w, h int) []byte {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkUpload measures uploads of 1 MiB of incompressible bytes (a
// new blob every time): staging, hashing, fsync, store, one transaction.
func BenchmarkUpload(b *testing.B) {
	for _, store := range []string{"local", "s3"} {
		b.Run(store, func(b *testing.B) {
			base := benchServer(b, store)
			data := make([]byte, 1<<20)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				_, _ = rand.Read(data[:64])
				benchUpload(b, base, data, "application/octet-stream")
			}
		})
	}
}

// BenchmarkDownload measures authenticated downloads of a 4 MiB file.
func BenchmarkDownload(b *testing.B) {
	for _, store := range []string{"local", "s3"} {
		b.Run(store, func(b *testing.B) {
			base := benchServer(b, store)
			data := make([]byte, 4<<20)
			_, _ = rand.Read(data)
			key := benchUpload(b, base, data, "application/octet-stream")
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				benchDo(b, http.MethodGet, base+"/_matrix/client/v1/media/download/"+key, nil, "")
			}
		})
	}
}

// BenchmarkThumbnail measures thumbnails of a 1920x1080 JPEG: serving a
// stored one, and making one on demand (a size never asked before).
func BenchmarkThumbnail(b *testing.B) {
	base := benchServer(b, "local")
	key := benchUpload(b, base, photo(b, 1920, 1080), "image/jpeg")
	b.Run("stored", func(b *testing.B) {
		for b.Loop() {
			benchDo(b, http.MethodGet, base+"/_matrix/client/v1/media/thumbnail/"+key+"?width=320&height=240&method=scale", nil, "")
		}
	})
	b.Run("on_demand", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			benchDo(b, http.MethodGet, fmt.Sprintf("%s/_matrix/client/v1/media/thumbnail/%s?width=%d&height=%d&method=crop", base, key, 100+i%500, 100), nil, "")
		}
	})
}

// BenchmarkUploadImage measures the upload of a 1920x1080 JPEG with its
// five standard thumbnails made on the way.
func BenchmarkUploadImage(b *testing.B) {
	base := benchServer(b, "local")
	data := photo(b, 1920, 1080)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		data[len(data)-3]++ // a new blob each time, still a valid JPEG
		benchUpload(b, base, data, "image/jpeg")
	}
}
