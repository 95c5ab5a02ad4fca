package mediaapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/mediaapi/blobstore"
	"github.com/ocomms/ocomms/storage"
)

// Moving media between stores without downtime: after media.store names
// the new store (new uploads already go there), POST
// /_ocomms/admin/v1/media/move copies every blob held elsewhere into it,
// switches the blob's row, then deletes the old copy. Readers that read
// the row before the switch find the old copy gone and fall back to the
// other store (openBlob), so downloads keep working throughout. The move
// runs in the background on the instance asked; it is idempotent, and
// after a restart it is started again to finish.

const moveBatch = 100

// moveStatus is what the move API reports.
type moveStatus struct {
	Running bool   `json:"running"`
	Target  string `json:"target"`
	Moved   int64  `json:"moved"`
	Failed  int64  `json:"failed"`
	// Remaining counts the blobs not yet in the target store.
	Remaining int64  `json:"remaining"`
	LastError string `json:"last_error,omitempty"`
}

type mover struct {
	m       *MediaAPI
	mu      sync.Mutex
	status  moveStatus
	running sync.WaitGroup
}

func newMover(m *MediaAPI) *mover { return &mover{m: m} }

func (mv *mover) wait() { mv.running.Wait() }

func (m *MediaAPI) registerMove(r *mux.Router) {
	const path = "/_ocomms/admin/v1/media/move"
	r.Handle(path, m.admin(m.moveStatus)).Methods(http.MethodGet)
	r.Handle(path, m.admin(m.startMove)).Methods(http.MethodPost)
}

func (m *MediaAPI) moveStatus(r *http.Request, _ *httpapi.Device) (any, error) {
	return m.mover.report(r.Context())
}

func (mv *mover) report(ctx context.Context) (moveStatus, error) {
	mv.mu.Lock()
	st := mv.status
	mv.mu.Unlock()
	st.Target = mv.m.stores.primary.Name()
	err := mv.m.db.QueryRow(ctx, `SELECT COUNT(*) FROM mediaapi_blobs WHERE present AND store <> $1`, st.Target).Scan(&st.Remaining)
	if err != nil {
		return st, fmt.Errorf("counting blobs to move: %w", err)
	}
	return st, nil
}

// startMove starts the move unless it is running; either way it answers
// the status, 202 when it started one.
func (m *MediaAPI) startMove(r *http.Request, _ *httpapi.Device) (any, error) {
	mv := m.mover
	mv.mu.Lock()
	started := !mv.status.Running && m.runCtx != nil
	if started {
		mv.status = moveStatus{Running: true}
		mv.running.Add(1)
		go func() {
			defer mv.running.Done()
			mv.run(m.runCtx)
		}()
	}
	mv.mu.Unlock()
	st, err := mv.report(r.Context())
	if err != nil {
		return nil, err
	}
	if started {
		return httpapi.Response{Status: http.StatusAccepted, Body: st}, nil
	}
	return st, nil
}

func (mv *mover) run(ctx context.Context) {
	target := mv.m.stores.primary.Name()
	mv.m.log.Info("moving media to the primary store", slog.String("store", target))
	last := ""
	for ctx.Err() == nil {
		var shas []string
		rows, err := mv.m.db.Query(ctx, `SELECT sha256 FROM mediaapi_blobs WHERE present AND store <> $1 AND sha256 > $2
			ORDER BY sha256 LIMIT $3`, target, last, moveBatch)
		if err == nil {
			shas, err = scanStrings(rows)
		}
		if err != nil {
			mv.record(0, 1, err)
			break
		}
		for _, sha := range shas {
			err := mv.moveOne(ctx, sha, target)
			if err != nil {
				mv.m.log.Warn("moving a blob", slog.String("sha256", sha), slog.Any("error", err))
				mv.record(0, 1, err)
			} else {
				mv.record(1, 0, nil)
			}
			last = sha
		}
		if len(shas) < moveBatch {
			break
		}
	}
	mv.mu.Lock()
	mv.status.Running = false
	st := mv.status
	mv.mu.Unlock()
	mv.m.log.Info("media move finished", slog.Int64("moved", st.Moved), slog.Int64("failed", st.Failed))
}

func (mv *mover) record(moved, failed int64, err error) {
	mv.mu.Lock()
	defer mv.mu.Unlock()
	mv.status.Moved += moved
	mv.status.Failed += failed
	if err != nil {
		mv.status.LastError = err.Error()
	}
}

// moveOne copies one blob into the target store and switches its row.
// The blob is pinned meanwhile, so it is not collected half-moved.
func (mv *mover) moveOne(ctx context.Context, sha, target string) error {
	m := mv.m
	var from string
	var size int64
	err := m.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		return tx.QueryRow(ctx, `UPDATE mediaapi_blobs SET pins = pins + 1,
				pinned_until = CASE WHEN pinned_until > $3 THEN pinned_until ELSE $3 END
			WHERE sha256 = $1 AND store <> $2 AND present RETURNING store, size`,
			sha, target, nowMs()+pinDuration.Milliseconds()).Scan(&from, &size)
	})
	if err != nil {
		return fmt.Errorf("pinning: %w", err)
	}
	blobs := []stagedBlob{{sha: sha}}
	src, ok := m.stores.byName[from]
	if !ok {
		m.unpin(blobs)
		return fmt.Errorf("blob is in store %q, which is not configured", from)
	}
	if err := mv.copy(ctx, src, sha, size); err != nil {
		m.unpin(blobs)
		return err
	}
	switched := false
	err = m.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE mediaapi_blobs SET store = $3, pins = CASE WHEN pins > 0 THEN pins - 1 ELSE 0 END
			WHERE sha256 = $1 AND store = $2`, sha, from, target)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		switched = n == 1
		return nil
	})
	if err != nil {
		m.unpin(blobs)
		return fmt.Errorf("switching store: %w", err)
	}
	if !switched {
		m.unpin(blobs)
		return nil
	}
	return src.Delete(ctx, sha)
}

// copy streams the blob into the target store, checking on the way that
// the bytes still hash to their key: a corrupt copy is not moved.
func (mv *mover) copy(ctx context.Context, src blobstore.Store, sha string, size int64) error {
	b, err := src.Open(ctx, sha)
	if err != nil {
		return fmt.Errorf("reading from %s: %w", src.Name(), err)
	}
	defer b.Close()
	h := sha256.New()
	target := mv.m.stores.primary
	if err := target.Put(ctx, sha, io.TeeReader(b, h), size); err != nil {
		return fmt.Errorf("writing to %s: %w", target.Name(), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		_ = target.Delete(ctx, sha)
		return fmt.Errorf("the copy in %s hashes to %s: not moved", src.Name(), got)
	}
	return nil
}
