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
	"github.com/ocomms/ocomms/mediaapi/blobstore/s3test"
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

// retentionSetup is the component alone on one database, with uploads
// going to store ("local" or "s3", a real S3-protocol server).
type retentionSetup struct {
	m   *MediaAPI
	db  *storage.DB
	cfg config.Config
}

func newRetentionSetup(t *testing.T, db *storage.DB, store string, retention config.MediaRetention) retentionSetup {
	t.Helper()
	cfg := config.Defaults()
	cfg.ServerName, cfg.DataDir = "test.local", t.TempDir()
	cfg.Media.Store = store
	if store == "s3" {
		cfg.Media.S3 = s3test.Start(t)
	}
	cfg.Media.Retention = retention
	m, err := New(db, bustest.Embedded(t)(t), cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context(), m.Name(), m.Migrations()); err != nil {
		t.Fatal(err)
	}
	return retentionSetup{m: m, db: db, cfg: cfg}
}

func (s retentionSetup) upload(t *testing.T, body string) mediaKey {
	t.Helper()
	k := mediaKey{Origin: "test.local", MediaID: newMediaID()}
	in := uploadInput{userID: "@alice:test.local", r: httptest.NewRequest("POST", "/", strings.NewReader(body))}
	if err := s.m.storeUpload(t.Context(), k, in, false); err != nil {
		t.Fatal(err)
	}
	return k
}

func (s retentionSetup) exists(t *testing.T, k mediaKey) bool {
	t.Helper()
	_, found, err := getMedia(t.Context(), s.db, k)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// stored lists what is left in the store of uploads.
func (s retentionSetup) stored(t *testing.T) []string {
	t.Helper()
	return StoredBlobs(t, s.cfg, s.cfg.Media.Store)
}

// StoredBlobs lists the blobs in a store: files on disk (not staged
// uploads) or objects in the bucket. Exported for the HTTP tests.
func StoredBlobs(t *testing.T, cfg config.Config, store string) []string {
	t.Helper()
	if store == "s3" {
		return s3test.Objects(t, cfg.Media.S3, "blobs/")
	}
	root := cfg.Path(cfg.Media.Local.Path)
	var files []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		// Relative to the root: the root itself may well be under /tmp.
		rel, _ := filepath.Rel(root, p)
		if err == nil && !d.IsDir() && !strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) {
			files = append(files, p)
		}
		return nil
	})
	return files
}

func (s retentionSetup) sweep(t *testing.T, at time.Time) {
	t.Helper()
	if err := s.m.sweep(t.Context(), at); err != nil {
		t.Fatal(err)
	}
}

// forEachStore runs fn on both databases, each with both stores.
func forEachStore(t *testing.T, fn func(t *testing.T, db *storage.DB, store string)) {
	t.Helper()
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		for _, store := range []string{"local", "s3"} {
			t.Run(store, func(t *testing.T) { fn(t, db, store) })
		}
	})
}

func TestRetentionSweepDeletesExpiredMediaFromTheStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *storage.DB, store string) {
		ctx := t.Context()
		s := newRetentionSetup(t, db, store, config.MediaRetention{LocalMaxAge: 30 * 24 * time.Hour, RemoteMaxIdle: 24 * time.Hour})
		s.m.SetRemote(originServer{"remote.example/abc": "cached from afar"})

		local := s.upload(t, "uploaded here")
		remote, err := s.m.resolve(ctx, mediaKey{Origin: "remote.example", MediaID: "abc"}, lookup{allowRemote: true})
		if err != nil || remote.Size != int64(len("cached from afar")) {
			t.Fatalf("remote media: %+v %v", remote, err)
		}
		if _, err := s.m.resolve(ctx, mediaKey{Origin: "remote.example", MediaID: "missing"}, lookup{allowRemote: true}); err == nil {
			t.Fatal("media the origin does not have was served")
		}
		if n := len(s.stored(t)); n != 2 {
			t.Fatalf("%d blobs in the %s store, want the local and the remote one", n, store)
		}

		// A day and a half later the remote copy is idle, the local one
		// still young.
		s.sweep(t, time.Now().Add(36*time.Hour))
		if s.exists(t, remote.mediaKey) {
			t.Error("idle remote media survived")
		}
		if !s.exists(t, local) {
			t.Fatal("young local media was deleted")
		}
		if n := len(s.stored(t)); n != 1 {
			t.Errorf("%d blobs in the %s store after the remote one expired, want 1", n, store)
		}
		s.sweep(t, time.Now().Add(31*24*time.Hour))
		if s.exists(t, local) {
			t.Error("local media past its age survived")
		}
		var blobs int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM mediaapi_blobs`).Scan(&blobs); err != nil || blobs != 0 {
			t.Errorf("%d blob rows left (%v)", blobs, err)
		}
		if left := s.stored(t); len(left) != 0 {
			t.Errorf("left in the %s store: %v", store, left)
		}
		info, err := s.m.quota(ctx, db, "@alice:test.local")
		if err != nil || info.UsedBytes != 0 || info.MediaCount != 0 {
			t.Errorf("usage after retention: %+v %v", info, err)
		}
	})
}

func TestRetentionDeletesLocalMediaIdleForTooLong(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *storage.DB, store string) {
		ctx := t.Context()
		s := newRetentionSetup(t, db, store, config.MediaRetention{LocalMaxIdle: 7 * 24 * time.Hour})
		read, unread := s.upload(t, "read again today"), s.upload(t, "nobody reads this")
		// Both were uploaded and last read eight days ago.
		old := time.Now().Add(-8 * 24 * time.Hour).UnixMilli()
		if _, err := db.Exec(ctx, `UPDATE mediaapi_media SET created_ts = $1, last_access_ts = $1`, old); err != nil {
			t.Fatal(err)
		}
		// A download today records the access (as the download and
		// thumbnail handlers do), which keeps that media.
		md, err := s.m.resolve(ctx, read, lookup{})
		if err != nil {
			t.Fatal(err)
		}
		s.m.touch(ctx, md)

		s.sweep(t, time.Now())
		if !s.exists(t, read) {
			t.Error("media read today was deleted as idle")
		}
		if s.exists(t, unread) {
			t.Error("media idle for eight days survived a seven-day limit")
		}
		if n := len(s.stored(t)); n != 1 {
			t.Errorf("%d blobs in the %s store, want only the one still read", n, store)
		}
		// Age alone deletes nothing when only idleness is limited.
		s.sweep(t, time.Now().Add(6*24*time.Hour))
		if !s.exists(t, read) {
			t.Error("media read within the idle limit was deleted")
		}
		s.sweep(t, time.Now().Add(8*24*time.Hour))
		if s.exists(t, read) || len(s.stored(t)) != 0 {
			t.Error("media idle past the limit survived")
		}
	})
}
