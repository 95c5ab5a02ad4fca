// Package blobstore keeps media bytes: blobs named by the SHA-256 of their
// content, on the local filesystem or in S3-compatible object storage,
// behind one interface. It knows nothing of media IDs, users or the
// database; mediaapi records which store holds which blob.
package blobstore

import (
	"context"
	"errors"
	"io"
)

// ErrNotFound is returned by Open for a key the store does not hold.
var ErrNotFound = errors.New("blobstore: no such blob")

// ErrBadKey is returned for a key that is not a lowercase hex SHA-256,
// so that nothing but a content hash ever becomes a file name or object
// key (no traversal through a crafted key).
var ErrBadKey = errors.New("blobstore: key is not a SHA-256 in lowercase hex")

// Store holds blobs. Putting a key again is harmless: a key names one
// content, so the bytes are the same. Implementations are safe for
// concurrent use.
type Store interface {
	// Name is how mediaapi records the store: "local" or "s3".
	Name() string
	// Put stores size bytes read from r under key. A reader put must
	// never be seen half-written: a blob is either absent or complete.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Open returns the blob for reading, with seeking for range requests.
	Open(ctx context.Context, key string) (Blob, error)
	// Delete removes the blob; deleting an absent blob is not an error.
	Delete(ctx context.Context, key string) error
}

// Blob is an open blob. Close releases it.
type Blob interface {
	io.ReadSeekCloser
	Size() int64
}

// ValidKey reports whether key is a lowercase hex SHA-256.
func ValidKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
