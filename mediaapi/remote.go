package mediaapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// RemoteFetcher fetches another server's media over federation. The
// federation component implements it; until it is plugged in with
// SetRemote, media of other servers is served from the cache only.
// https://spec.matrix.org/latest/server-server-api/#get_matrixfederationv1mediadownloadmediaid
type RemoteFetcher interface {
	// FetchMedia returns the content of mxc://origin/mediaID. An error
	// wrapping ErrRemoteNotFound means the origin has no such media.
	FetchMedia(ctx context.Context, origin, mediaID string) (RemoteMedia, error)
}

// RemoteMedia is a remote server's answer. The caller closes Body.
type RemoteMedia struct {
	Body        io.ReadCloser
	ContentType string
	Filename    string
}

// ErrRemoteNotFound is a remote server's 404.
var ErrRemoteNotFound = errors.New("remote server has no such media")

// fetchRemote downloads, stores and returns remote media. Its cache row
// is dated by the download, so the unauthenticated freeze treats it as
// new, as the spec says.
func (m *MediaAPI) fetchRemote(ctx context.Context, key mediaKey) (media, error) {
	v, err, _ := m.remoteFetches.Do(key.String(), func() (any, error) {
		rm, err := m.remote.FetchMedia(ctx, key.Origin, key.MediaID)
		if errors.Is(err, ErrRemoteNotFound) {
			return media{}, errcode.NotFound("Remote media not found")
		}
		if err != nil {
			return media{}, errcode.Unknown("Could not fetch the remote media").WithStatus(http.StatusBadGateway)
		}
		defer rm.Body.Close()
		limit := m.cfg.Media.MaxUploadBytes
		st, err := m.stage(io.LimitReader(rm.Body, limit+1))
		if err != nil {
			return media{}, err
		}
		defer st.remove()
		if st.size > limit {
			return media{}, errcode.TooLarge("Remote media is too large to serve").WithStatus(http.StatusBadGateway)
		}
		now := nowMs()
		md := media{mediaKey: key, SHA256: st.sha, ContentType: detectType(st.head, rm.ContentType), Filename: rm.Filename,
			Size: st.size, CreatedTs: now, UploadedTs: now, LastAccessTs: now}
		blobs := []stagedBlob{st.blob()}
		thumbs := m.standardThumbnails(ctx, &md, st)
		for _, t := range thumbs {
			blobs = append(blobs, t.blob)
		}
		err = m.storeBlobs(ctx, blobs, func(ctx context.Context, tx *storage.Tx) error {
			// Another instance may have cached it meanwhile: keep theirs.
			res, err := tx.Exec(ctx, `INSERT INTO mediaapi_media (origin, media_id, user_id, sha256, content_type, filename,
					size, width, height, animated, created_ts, uploaded_ts, last_access_ts)
				VALUES ($1, $2, '', $3, $4, $5, $6, $7, $8, $9, $10, $10, $10) ON CONFLICT (origin, media_id) DO NOTHING`,
				key.Origin, key.MediaID, md.SHA256, md.ContentType, md.Filename, md.Size, md.Width, md.Height, md.Animated, now)
			if err != nil {
				return fmt.Errorf("caching remote media %s: %w", key, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			for _, t := range thumbs {
				if err := insertThumbnail(ctx, tx, key, t.row); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return media{}, err
		}
		m.collect(ctx, shasOf(blobs)...) // those of a copy cached twice
		md, found, err := getMedia(ctx, m.db, key)
		if err == nil && !found {
			err = errcode.NotFound("Remote media not found")
		}
		return md, err
	})
	if err != nil {
		return media{}, err
	}
	return v.(media), nil
}
