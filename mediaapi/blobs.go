package mediaapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ocomms/ocomms/mediaapi/blobstore"
	"github.com/ocomms/ocomms/storage"
)

// How a blob is written without racing its deletion:
//
//  1. pin: a transaction creates the blob's row or adds a pin to it. A
//     pinned blob is never garbage-collected.
//  2. put: unless the row says the bytes are present, they are written
//     to the primary store (idempotent: same key, same bytes).
//  3. record: one transaction marks the blob present, drops the pin and
//     inserts the rows referring to it (media, thumbnail).
//
// Garbage collection deletes a blob's row only when nothing refers to it
// and it is not pinned, at SERIALIZABLE isolation so it cannot interleave
// with step 3, and deletes the bytes before it commits. If a pin ever
// expired during a very slow put and the row was collected, step 3 finds
// no row, recreates it and writes the bytes again before committing.

// pinDuration bounds how long a crashed upload's pin keeps a blob alive.
const pinDuration = 15 * time.Minute

// stagedBlob is content about to become a blob: its hash, size, and a
// way to read it (again) from the start.
type stagedBlob struct {
	sha  string
	size int64
	open func() (io.Reader, error)
}

// storeBlobs makes every blob durable and runs record in the transaction
// that marks them present, so rows never refer to missing bytes.
func (m *MediaAPI) storeBlobs(ctx context.Context, blobs []stagedBlob, record func(ctx context.Context, tx *storage.Tx) error) error {
	present := make([]bool, len(blobs))
	err := m.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		now := nowMs()
		for i, b := range blobs {
			err := tx.QueryRow(ctx, `INSERT INTO mediaapi_blobs (sha256, size, store, present, pins, pinned_until, created_ts)
				VALUES ($1, $2, $3, FALSE, 1, $4, $5)
				ON CONFLICT (sha256) DO UPDATE SET pins = mediaapi_blobs.pins + 1,
					pinned_until = CASE WHEN mediaapi_blobs.pinned_until > excluded.pinned_until
						THEN mediaapi_blobs.pinned_until ELSE excluded.pinned_until END
				RETURNING present`, b.sha, b.size, m.stores.primary.Name(), now+pinDuration.Milliseconds(), now).Scan(&present[i])
			if err != nil {
				return fmt.Errorf("pinning blob: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, b := range blobs {
		if present[i] {
			continue
		}
		if err := m.putBlob(ctx, b); err != nil {
			m.unpin(blobs)
			return err
		}
	}
	return m.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		for i, b := range blobs {
			res, err := tx.Exec(ctx, `UPDATE mediaapi_blobs SET present = TRUE,
					store = CASE WHEN present THEN store ELSE $2 END,
					pins = CASE WHEN pins > 0 THEN pins - 1 ELSE 0 END
				WHERE sha256 = $1`, b.sha, m.stores.primary.Name())
			if err != nil {
				return fmt.Errorf("recording blob: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				continue
			}
			// Collected while the put outlived its pin: write it again
			// under a fresh row before anything refers to it.
			m.log.WarnContext(ctx, "blob collected during a slow upload; writing it again", slog.String("sha256", b.sha))
			if _, err := tx.Exec(ctx, `INSERT INTO mediaapi_blobs (sha256, size, store, present, created_ts)
				VALUES ($1, $2, $3, TRUE, $4)`, b.sha, b.size, m.stores.primary.Name(), nowMs()); err != nil {
				return fmt.Errorf("recording blob: %w", err)
			}
			if err := m.putBlob(ctx, blobs[i]); err != nil {
				return err
			}
		}
		return record(ctx, tx)
	})
}

func (m *MediaAPI) putBlob(ctx context.Context, b stagedBlob) error {
	r, err := b.open()
	if err != nil {
		return fmt.Errorf("reading staged blob: %w", err)
	}
	return m.stores.primary.Put(ctx, b.sha, r, b.size)
}

// unpin gives back the pins of an upload that failed.
func (m *MediaAPI) unpin(blobs []stagedBlob) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := m.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		for _, b := range blobs {
			if _, err := tx.Exec(ctx, `UPDATE mediaapi_blobs SET pins = CASE WHEN pins > 0 THEN pins - 1 ELSE 0 END
				WHERE sha256 = $1`, b.sha); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		m.log.Warn("unpinning blobs of a failed upload", slog.Any("error", err))
	}
	m.collect(ctx, shasOf(blobs)...)
}

func shasOf(blobs []stagedBlob) []string {
	out := make([]string, len(blobs))
	for i, b := range blobs {
		out[i] = b.sha
	}
	return out
}

// collect deletes the blobs among shas that nothing refers to, from
// every store. Failures are logged: the retention sweep tries again.
func (m *MediaAPI) collect(ctx context.Context, shas ...string) int {
	deleted := 0
	for _, sha := range shas {
		ok, err := m.collectOne(ctx, sha)
		if err != nil {
			m.log.WarnContext(ctx, "deleting an unreferenced blob", slog.String("sha256", sha), slog.Any("error", err))
			continue
		}
		if ok {
			deleted++
		}
	}
	return deleted
}

func (m *MediaAPI) collectOne(ctx context.Context, sha string) (bool, error) {
	deleted := false
	err := m.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		deleted = false
		var store string
		err := tx.QueryRow(ctx, `DELETE FROM mediaapi_blobs WHERE sha256 = $1
				AND (pins = 0 OR pinned_until < $2)
				AND NOT EXISTS (SELECT 1 FROM mediaapi_media WHERE sha256 = $1)
				AND NOT EXISTS (SELECT 1 FROM mediaapi_thumbnails WHERE sha256 = $1)
			RETURNING store`, sha, nowMs()).Scan(&store)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		// Every store: a move may have left a copy behind.
		for _, st := range m.stores.all() {
			if err := st.Delete(ctx, sha); err != nil {
				return err
			}
		}
		deleted = true
		return nil
	}, storage.Serializable())
	return deleted, err
}

// openBlob opens a blob from the store its row names, or from any other
// store: a move between stores switches the row and then deletes the old
// copy, so a reader that read the row just before may look in vain.
func (m *MediaAPI) openBlob(ctx context.Context, sha, store string) (blobstore.Blob, error) {
	if st, ok := m.stores.byName[store]; ok {
		b, err := st.Open(ctx, sha)
		if !errors.Is(err, blobstore.ErrNotFound) {
			return b, err
		}
	}
	for _, st := range m.stores.all() {
		if st.Name() == store {
			continue
		}
		b, err := st.Open(ctx, sha)
		if !errors.Is(err, blobstore.ErrNotFound) {
			return b, err
		}
	}
	return nil, fmt.Errorf("blob %s is in no store: %w", sha, blobstore.ErrNotFound)
}

// stores are the configured blob stores; new blobs go to primary.
type stores struct {
	primary blobstore.Store
	local   *blobstore.Local
	byName  map[string]blobstore.Store
}

func (s stores) all() []blobstore.Store {
	out := []blobstore.Store{s.local}
	if s3, ok := s.byName["s3"]; ok {
		out = append(out, s3)
	}
	return out
}
