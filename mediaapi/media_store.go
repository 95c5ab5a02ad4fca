package mediaapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ocomms/ocomms/storage"
)

// media is one row of mediaapi_media, with its blob's store.
type media struct {
	mediaKey
	UserID       string
	SHA256       string // "" while a created media ID waits for its upload
	Store        string
	ContentType  string
	Filename     string
	Size         int64
	Width        int
	Height       int
	Animated     bool
	CreatedTs    int64
	UploadedTs   int64
	LastAccessTs int64
	UnusedExpiry int64
	Quarantined  bool
	URLCache     bool
}

func (m media) uploaded() bool { return m.SHA256 != "" }

const mediaColumns = `m.origin, m.media_id, m.user_id, COALESCE(m.sha256, ''), COALESCE(b.store, ''), m.content_type,
	m.filename, m.size, m.width, m.height, m.animated, m.created_ts, m.uploaded_ts, m.last_access_ts,
	m.unused_expires_ts, m.quarantined, m.url_cache`

const mediaFrom = ` FROM mediaapi_media m LEFT JOIN mediaapi_blobs b ON b.sha256 = m.sha256`

func scanMedia(row interface{ Scan(...any) error }) (media, error) {
	var m media
	err := row.Scan(&m.Origin, &m.MediaID, &m.UserID, &m.SHA256, &m.Store, &m.ContentType, &m.Filename, &m.Size,
		&m.Width, &m.Height, &m.Animated, &m.CreatedTs, &m.UploadedTs, &m.LastAccessTs, &m.UnusedExpiry,
		&m.Quarantined, &m.URLCache)
	return m, err
}

// getMedia reads one media row; found is false when there is none.
func getMedia(ctx context.Context, q storage.Querier, k mediaKey) (media, bool, error) {
	m, err := scanMedia(q.QueryRow(ctx, `SELECT `+mediaColumns+mediaFrom+` WHERE m.origin = $1 AND m.media_id = $2`, k.Origin, k.MediaID))
	if errors.Is(err, sql.ErrNoRows) {
		return media{}, false, nil
	}
	if err != nil {
		return media{}, false, fmt.Errorf("reading media %s: %w", k, err)
	}
	return m, true, nil
}

func insertMedia(ctx context.Context, tx *storage.Tx, m media) error {
	_, err := tx.Exec(ctx, `INSERT INTO mediaapi_media (origin, media_id, user_id, sha256, content_type, filename, size,
			width, height, animated, created_ts, uploaded_ts, last_access_ts, unused_expires_ts, url_cache)
		VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		m.Origin, m.MediaID, m.UserID, m.SHA256, m.ContentType, m.Filename, m.Size, m.Width, m.Height, m.Animated,
		m.CreatedTs, m.UploadedTs, m.LastAccessTs, m.UnusedExpiry, m.URLCache)
	if err != nil {
		return fmt.Errorf("inserting media %s: %w", m.mediaKey, err)
	}
	return nil
}

// accessGranularity is how stale last_access_ts may get: retention works
// in hours and days, and a write per download would be wasted.
const accessGranularity = 10 * time.Minute

func (m *MediaAPI) touch(ctx context.Context, md media) {
	now := nowMs()
	if now-md.LastAccessTs < accessGranularity.Milliseconds() {
		return
	}
	if _, err := m.db.Exec(ctx, `UPDATE mediaapi_media SET last_access_ts = $3 WHERE origin = $1 AND media_id = $2`,
		md.Origin, md.MediaID, now); err != nil {
		m.log.WarnContext(ctx, "recording media access", "media", md.mediaKey.String(), "error", err)
	}
}

// thumbnailRow is one stored thumbnail.
type thumbnailRow struct {
	Method        string
	Animated      bool
	Width, Height int
	ContentType   string
	SHA256        string
	Store         string
	Size          int64
}

func listThumbnails(ctx context.Context, q storage.Querier, k mediaKey) ([]thumbnailRow, error) {
	rows, err := q.Query(ctx, `SELECT t.method, t.animated, t.width, t.height, t.content_type, t.sha256, COALESCE(b.store, ''), t.size
		FROM mediaapi_thumbnails t LEFT JOIN mediaapi_blobs b ON b.sha256 = t.sha256
		WHERE t.origin = $1 AND t.media_id = $2`, k.Origin, k.MediaID)
	if err != nil {
		return nil, fmt.Errorf("listing thumbnails of %s: %w", k, err)
	}
	defer rows.Close()
	var out []thumbnailRow
	for rows.Next() {
		var t thumbnailRow
		if err := rows.Scan(&t.Method, &t.Animated, &t.Width, &t.Height, &t.ContentType, &t.SHA256, &t.Store, &t.Size); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func insertThumbnail(ctx context.Context, tx *storage.Tx, k mediaKey, t thumbnailRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO mediaapi_thumbnails (origin, media_id, method, animated, width, height, content_type, sha256, size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (origin, media_id, method, animated, width, height) DO NOTHING`,
		k.Origin, k.MediaID, t.Method, t.Animated, t.Width, t.Height, t.ContentType, t.SHA256, t.Size)
	if err != nil {
		return fmt.Errorf("inserting thumbnail of %s: %w", k, err)
	}
	return nil
}

// deleteMedia removes media rows and their thumbnails, gives the bytes
// back to their uploaders' usage, and then collects the blobs nothing
// refers to any more, from every store. It returns the keys deleted.
func (m *MediaAPI) deleteMedia(ctx context.Context, keys []mediaKey) ([]mediaKey, error) {
	var deleted []mediaKey
	var shas []string
	err := m.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		deleted, shas = nil, nil
		for _, k := range keys {
			var userID, sha string
			var size int64
			var urlCache bool
			err := tx.QueryRow(ctx, `DELETE FROM mediaapi_media WHERE origin = $1 AND media_id = $2
				RETURNING user_id, COALESCE(sha256, ''), size, url_cache`, k.Origin, k.MediaID).Scan(&userID, &sha, &size, &urlCache)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("deleting media %s: %w", k, err)
			}
			deleted = append(deleted, k)
			if sha != "" {
				shas = append(shas, sha)
			}
			if sha != "" && userID != "" && !urlCache {
				if err := addUsage(ctx, tx, userID, -size, -1); err != nil {
					return err
				}
			}
			rows, err := tx.Query(ctx, `DELETE FROM mediaapi_thumbnails WHERE origin = $1 AND media_id = $2 RETURNING sha256`, k.Origin, k.MediaID)
			if err != nil {
				return fmt.Errorf("deleting thumbnails of %s: %w", k, err)
			}
			thumbShas, err := scanStrings(rows)
			if err != nil {
				return err
			}
			shas = append(shas, thumbShas...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m.collect(ctx, shas...)
	return deleted, nil
}

// scanStrings reads a one-column result and closes it.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
