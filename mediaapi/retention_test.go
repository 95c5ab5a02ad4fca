package mediaapi

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus/bustest"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// originServer stands in for another homeserver's media API, which the
// federation component will provide.
type originServer map[string]string

func (o originServer) FetchMedia(_ context.Context, origin, mediaID string) (RemoteMedia, error) {
	body, ok := o[origin+"/"+mediaID]
	if !ok {
		return RemoteMedia{}, ErrRemoteNotFound
	}
	return RemoteMedia{Body: io.NopCloser(strings.NewReader(body)), ContentType: "text/plain"}, nil
}

func TestRetentionSweepDeletesExpiredMediaFromTheStore(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		cfg := config.Defaults()
		cfg.ServerName, cfg.DataDir = "test.local", t.TempDir()
		cfg.Media.Retention.LocalMaxAge = 30 * 24 * time.Hour
		cfg.Media.Retention.RemoteMaxIdle = 24 * time.Hour
		m, err := New(db, bustest.Embedded(t)(t), cfg, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, m.Name(), m.Migrations()); err != nil {
			t.Fatal(err)
		}
		m.SetRemote(originServer{"remote.example/abc": "cached from afar"})

		local := mediaKey{Origin: "test.local", MediaID: newMediaID()}
		in := uploadInput{userID: "@alice:test.local", r: httptest.NewRequest("POST", "/", strings.NewReader("uploaded here"))}
		if err := m.storeUpload(ctx, local, in, false); err != nil {
			t.Fatal(err)
		}
		remote, err := m.resolve(ctx, mediaKey{Origin: "remote.example", MediaID: "abc"}, lookup{allowRemote: true})
		if err != nil || remote.Size != int64(len("cached from afar")) {
			t.Fatalf("remote media: %+v %v", remote, err)
		}
		if _, err := m.resolve(ctx, mediaKey{Origin: "remote.example", MediaID: "missing"}, lookup{allowRemote: true}); err == nil {
			t.Fatal("media the origin does not have was served")
		}

		// A day and a half later the remote copy is idle, the local one
		// still young.
		if err := m.sweep(ctx, time.Now().Add(36*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := getMedia(ctx, db, remote.mediaKey); found {
			t.Error("idle remote media survived")
		}
		if _, found, _ := getMedia(ctx, db, local); !found {
			t.Fatal("young local media was deleted")
		}
		if err := m.sweep(ctx, time.Now().Add(31*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := getMedia(ctx, db, local); found {
			t.Error("local media past its age survived")
		}
		var blobs int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM mediaapi_blobs`).Scan(&blobs); err != nil || blobs != 0 {
			t.Errorf("%d blob rows left (%v)", blobs, err)
		}
		var files []string
		_ = filepath.WalkDir(cfg.Path(cfg.Media.Local.Path), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if len(files) != 0 {
			t.Errorf("files left in the store: %v", files)
		}
		info, err := m.quota(ctx, db, "@alice:test.local")
		if err != nil || info.UsedBytes != 0 || info.MediaCount != 0 {
			t.Errorf("usage after retention: %+v %v", info, err)
		}
	})
}
