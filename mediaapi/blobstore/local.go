package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Local keeps blobs as files under a root directory, fanned out by the
// first two byte pairs of the key (ab/cd/abcd...) so no directory grows
// huge. Files appear by rename (or hard link) of a complete, synced
// temporary file, so a crash never leaves a partial blob under its name.
type Local struct {
	root string
}

// NewLocal opens (creating it if needed) a local store rooted at dir.
func NewLocal(dir string) (*Local, error) {
	for _, d := range []string{dir, filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blobstore: creating %s: %w", d, err)
		}
	}
	return &Local{root: dir}, nil
}

// Name is "local".
func (l *Local) Name() string { return "local" }

// TempDir is where callers stage uploads: on the store's filesystem, so a
// staged file becomes a blob by hard link instead of a copy.
func (l *Local) TempDir() string { return filepath.Join(l.root, "tmp") }

func (l *Local) path(key string) string {
	return filepath.Join(l.root, key[0:2], key[2:4], key)
}

// Put stores the blob. When r is a file (a staged upload) on the same
// filesystem it is hard-linked into place; otherwise it is copied to a
// temporary file that is synced and renamed.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	final := l.path(key)
	if _, err := os.Stat(final); err == nil {
		return nil // same key, same bytes
	}
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	if f, ok := r.(*os.File); ok {
		if err := os.Link(f.Name(), final); err == nil || errors.Is(err, os.ErrExist) {
			return syncDir(dir)
		}
	}
	tmp, err := os.CreateTemp(l.TempDir(), "put-*")
	if err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, contextReader{ctx, r})
	if err == nil && n != size {
		err = fmt.Errorf("blobstore: read %d bytes, want %d", n, size)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("blobstore: writing %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("blobstore: %w", err)
	}
	return syncDir(dir)
}

// Open opens the blob's file.
func (l *Local) Open(_ context.Context, key string) (Blob, error) {
	if !ValidKey(key) {
		return nil, ErrBadKey
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return localBlob{File: f, size: st.Size()}, nil
}

// Delete removes the blob's file.
func (l *Local) Delete(_ context.Context, key string) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	if err := os.Remove(l.path(key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blobstore: %w", err)
	}
	return nil
}

type localBlob struct {
	*os.File
	size int64
}

func (b localBlob) Size() int64 { return b.size }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blobstore: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blobstore: syncing %s: %w", dir, err)
	}
	return nil
}

// contextReader stops a long copy when the request is cancelled.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
