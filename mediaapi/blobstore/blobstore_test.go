package blobstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms/mediaapi/blobstore"
	"github.com/ocomms/ocomms/mediaapi/blobstore/s3test"
)

func stores(t *testing.T) map[string]blobstore.Store {
	t.Helper()
	local, err := blobstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s3, err := blobstore.NewS3(s3test.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	return map[string]blobstore.Store{"local": local, "s3": s3}
}

func key(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestStoresKeepReadSeekAndDeleteBlobs(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			data := bytes.Repeat([]byte("0123456789"), 1000)
			k := key(data)
			if _, err := st.Open(ctx, k); !errors.Is(err, blobstore.ErrNotFound) {
				t.Fatalf("open before put: %v, want ErrNotFound", err)
			}
			for range 2 { // a second put of the same key is harmless
				if err := st.Put(ctx, k, bytes.NewReader(data), int64(len(data))); err != nil {
					t.Fatalf("put: %v", err)
				}
			}
			b, err := st.Open(ctx, k)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if b.Size() != int64(len(data)) {
				t.Errorf("size %d, want %d", b.Size(), len(data))
			}
			if _, err := b.Seek(9990, io.SeekStart); err != nil {
				t.Fatalf("seek: %v", err)
			}
			tail, err := io.ReadAll(b)
			if err != nil || string(tail) != "0123456789" {
				t.Errorf("read after seek %q, %v", tail, err)
			}
			b.Close()
			if err := st.Delete(ctx, k); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if err := st.Delete(ctx, k); err != nil {
				t.Fatalf("second delete: %v", err)
			}
			if _, err := st.Open(ctx, k); !errors.Is(err, blobstore.ErrNotFound) {
				t.Fatalf("open after delete: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestStoresRefuseKeysThatAreNotHashes(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"", "../../../etc/passwd", "ABCDEF" + key(nil)[6:], key(nil)[:63] + "/", key(nil) + "0"} {
				if err := st.Put(t.Context(), k, bytes.NewReader(nil), 0); !errors.Is(err, blobstore.ErrBadKey) {
					t.Errorf("put %q: %v, want ErrBadKey", k, err)
				}
				if _, err := st.Open(t.Context(), k); !errors.Is(err, blobstore.ErrBadKey) {
					t.Errorf("open %q: %v, want ErrBadKey", k, err)
				}
			}
		})
	}
}

func TestLocalStoreLinksStagedFilesInsteadOfCopying(t *testing.T) {
	st, err := blobstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("staged upload")
	f, err := os.CreateTemp(st.TempDir(), "upload-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	k := key(data)
	if err := st.Put(t.Context(), k, f, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	os.Remove(f.Name()) // the upload cleans up its staging file
	b, err := st.Open(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, _ := io.ReadAll(b)
	if !bytes.Equal(got, data) {
		t.Fatalf("read %q", got)
	}
	staged, _ := filepath.Glob(filepath.Join(st.TempDir(), "*"))
	if len(staged) != 0 {
		t.Errorf("temporary files left behind: %v", staged)
	}
}
