package mediaapi

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// retentionLoop runs the sweep every media.retention.interval until ctx
// ends. Every instance sweeps; deletions are idempotent.
func (m *MediaAPI) retentionLoop(ctx context.Context) {
	t := time.NewTicker(m.cfg.Media.Retention.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.sweep(ctx, time.Now()); err != nil && ctx.Err() == nil {
				m.log.Warn("media retention sweep", slog.Any("error", err))
			}
		}
	}
}

// sweep applies the retention rules as of now, to every store: media past
// its age or idle limits, remote cache entries nobody read, media IDs
// from /create whose upload never came, expired URL previews and their
// images, and blobs nothing refers to.
func (m *MediaAPI) sweep(ctx context.Context, now time.Time) error {
	r := m.cfg.Media.Retention
	ms := now.UnixMilli()
	local := m.cfg.ServerName
	type rule struct {
		name  string
		where string
		args  []any
	}
	rules := []rule{{"unused media IDs", `sha256 IS NULL AND unused_expires_ts < $1`, []any{ms}}}
	if r.LocalMaxAge > 0 {
		rules = append(rules, rule{"local media past its age", `origin = $1 AND NOT url_cache AND created_ts < $2`, []any{local, ms - r.LocalMaxAge.Milliseconds()}})
	}
	if r.LocalMaxIdle > 0 {
		rules = append(rules, rule{"idle local media", `origin = $1 AND NOT url_cache AND last_access_ts < $2`, []any{local, ms - r.LocalMaxIdle.Milliseconds()}})
	}
	if r.RemoteMaxIdle > 0 {
		rules = append(rules, rule{"idle remote media", `origin <> $1 AND last_access_ts < $2`, []any{local, ms - r.RemoteMaxIdle.Milliseconds()}})
	}
	// Preview images outlive their preview by an hour, so a preview
	// served just before it expires never names a deleted image.
	previewImages := m.cfg.Media.URLPreview.CacheDuration + time.Hour
	rules = append(rules, rule{"URL preview images", `url_cache AND created_ts < $1`, []any{ms - previewImages.Milliseconds()}})
	for _, rl := range rules {
		deleted, err := m.deleteWhere(ctx, rl.where, rl.args...)
		if err != nil {
			return fmt.Errorf("%s: %w", rl.name, err)
		}
		if len(deleted) > 0 {
			m.log.Info("media retention deleted media", slog.String("rule", rl.name), slog.Int("count", len(deleted)))
		}
	}
	if _, err := m.db.Exec(ctx, `DELETE FROM mediaapi_url_previews WHERE expires_ts < $1`, ms); err != nil {
		return fmt.Errorf("expiring URL previews: %w", err)
	}
	return m.collectOrphans(ctx, ms)
}

// collectOrphans deletes blobs that nothing refers to and nobody pinned,
// such as those of an upload that failed after writing its bytes.
func (m *MediaAPI) collectOrphans(ctx context.Context, now int64) error {
	for {
		rows, err := m.db.Query(ctx, `SELECT b.sha256 FROM mediaapi_blobs b
			WHERE (b.pins = 0 OR b.pinned_until < $1)
				AND NOT EXISTS (SELECT 1 FROM mediaapi_media m WHERE m.sha256 = b.sha256)
				AND NOT EXISTS (SELECT 1 FROM mediaapi_thumbnails t WHERE t.sha256 = b.sha256)
			LIMIT 500`, now)
		if err != nil {
			return fmt.Errorf("finding unreferenced blobs: %w", err)
		}
		shas, err := scanStrings(rows)
		if err != nil {
			return err
		}
		if len(shas) == 0 || m.collect(ctx, shas...) == 0 {
			return nil
		}
	}
}
