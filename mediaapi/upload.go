package mediaapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/ratelimit"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// handleMedia mounts h at /_matrix/media/{version}{path} for each version.
func handleMedia(r *mux.Router, method, path string, h http.Handler, versions ...string) {
	for _, v := range versions {
		r.Handle("/_matrix/media/"+v+path, h).Methods(method)
	}
}

func (m *MediaAPI) registerUpload(r *mux.Router) {
	limit := m.cfg.Media.MaxUploadBytes
	handleMedia(r, http.MethodPost, "/upload", httpapi.WithBodyLimit(limit, httpapi.Authenticated(m.authn, m.upload)), "r0", "v3")
	handleMedia(r, http.MethodPost, "/create", httpapi.Authenticated(m.authn, m.create), "v1")
	handleMedia(r, http.MethodPut, "/upload/{serverName}/{mediaId}", httpapi.WithBodyLimit(limit, httpapi.Authenticated(m.authn, m.uploadCreated)), "v3")
}

// upload is POST /_matrix/media/v3/upload.
// https://spec.matrix.org/latest/client-server-api/#post_matrixmediav3upload
func (m *MediaAPI) upload(r *http.Request, dev *httpapi.Device) (any, error) {
	in, err := m.uploadRequest(r, dev)
	if err != nil {
		return nil, err
	}
	key := mediaKey{Origin: m.cfg.ServerName, MediaID: newMediaID()}
	if err := m.storeUpload(r.Context(), key, in, false); err != nil {
		return nil, err
	}
	return map[string]string{"content_uri": key.URI()}, nil
}

// uploadCreated is PUT /_matrix/media/v3/upload/{serverName}/{mediaId},
// the upload to a media ID reserved with /create.
// https://spec.matrix.org/latest/client-server-api/#put_matrixmediav3uploadservernamemediaid
func (m *MediaAPI) uploadCreated(r *http.Request, dev *httpapi.Device) (any, error) {
	vars := httpapi.Vars(r)
	key, err := parseKey(vars["serverName"], vars["mediaId"])
	if err != nil {
		return nil, err
	}
	if key.Origin != m.cfg.ServerName {
		return nil, errcode.NotFound("Unknown media ID: it was not created on this server")
	}
	md, found, err := getMedia(r.Context(), m.db, key)
	if err != nil {
		return nil, err
	}
	switch {
	case !found || !md.uploaded() && md.UnusedExpiry <= nowMs():
		return nil, errcode.NotFound("Unknown media ID, or it expired before its upload")
	case md.UserID != dev.UserID:
		return nil, errcode.Forbidden("This media ID was created by another user")
	case md.uploaded():
		return nil, errcode.CannotOverwriteMedia("Media already uploaded")
	}
	in, err := m.uploadRequest(r, dev)
	if err != nil {
		return nil, err
	}
	if err := m.storeUpload(r.Context(), key, in, true); err != nil {
		return nil, err
	}
	m.publishUploaded(r.Context(), key)
	return struct{}{}, nil
}

// uploadInput is a validated upload request.
type uploadInput struct {
	userID      string
	filename    string
	claimedType string
	r           *http.Request
}

func (m *MediaAPI) uploadRequest(r *http.Request, dev *httpapi.Device) (uploadInput, error) {
	if err := m.uploads.Check(dev.UserID); err != nil {
		return uploadInput{}, err
	}
	filename := r.URL.Query().Get("filename")
	if len(filename) > 255 || !utf8.ValidString(filename) {
		return uploadInput{}, errcode.InvalidParam("filename must be valid UTF-8 of at most 255 bytes")
	}
	for _, c := range filename {
		if c < 0x20 || c == 0x7f {
			return uploadInput{}, errcode.InvalidParam("filename must not hold control characters")
		}
	}
	if r.ContentLength > 0 {
		if err := m.precheckQuota(r.Context(), dev.UserID, r.ContentLength); err != nil {
			return uploadInput{}, err
		}
	}
	return uploadInput{userID: dev.UserID, filename: filename, claimedType: r.Header.Get("Content-Type"), r: r}, nil
}

// storeUpload stages the body, detects its type, makes the standard
// thumbnails of images and records everything in one transaction, in
// which the quota is charged. reserved says the row exists from /create.
func (m *MediaAPI) storeUpload(ctx context.Context, key mediaKey, in uploadInput, reserved bool) error {
	st, err := m.stage(in.r.Body)
	if err != nil {
		return err
	}
	defer st.remove()
	now := nowMs()
	md := media{
		mediaKey: key, UserID: in.userID, SHA256: st.sha, ContentType: detectType(st.head, in.claimedType),
		Filename: in.filename, Size: st.size, CreatedTs: now, UploadedTs: now, LastAccessTs: now,
	}
	blobs := []stagedBlob{st.blob()}
	thumbs := m.standardThumbnails(ctx, &md, st)
	for _, t := range thumbs {
		blobs = append(blobs, t.blob)
	}
	return m.storeBlobs(ctx, blobs, func(ctx context.Context, tx *storage.Tx) error {
		if err := m.chargeQuota(ctx, tx, in.userID, md.Size); err != nil {
			return err
		}
		if reserved {
			if err := fillReserved(ctx, tx, md); err != nil {
				return err
			}
		} else if err := insertMedia(ctx, tx, md); err != nil {
			return err
		}
		for _, t := range thumbs {
			if err := insertThumbnail(ctx, tx, key, t.row); err != nil {
				return err
			}
		}
		return nil
	})
}

func fillReserved(ctx context.Context, tx *storage.Tx, md media) error {
	res, err := tx.Exec(ctx, `UPDATE mediaapi_media SET sha256 = $4, content_type = $5, filename = $6, size = $7,
			width = $8, height = $9, animated = $10, uploaded_ts = $11, last_access_ts = $11, unused_expires_ts = 0
		WHERE origin = $1 AND media_id = $2 AND user_id = $3 AND sha256 IS NULL`,
		md.Origin, md.MediaID, md.UserID, md.SHA256, md.ContentType, md.Filename, md.Size, md.Width, md.Height, md.Animated, md.UploadedTs)
	if err != nil {
		return fmt.Errorf("recording upload of %s: %w", md.mediaKey, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errcode.CannotOverwriteMedia("Media already uploaded")
	}
	return nil
}

// create is POST /_matrix/media/v1/create: a media ID for a later upload,
// with a bound on how many unused ones a user may hold.
// https://spec.matrix.org/latest/client-server-api/#post_matrixmediav1create
func (m *MediaAPI) create(r *http.Request, dev *httpapi.Device) (any, error) {
	if err := m.uploads.Check(dev.UserID); err != nil {
		return nil, err
	}
	key := mediaKey{Origin: m.cfg.ServerName, MediaID: newMediaID()}
	now := nowMs()
	expires := now + m.cfg.Media.UnusedExpiry.Milliseconds()
	err := m.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		var pending, earliest int64
		err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(unused_expires_ts), 0) FROM mediaapi_media
			WHERE user_id = $1 AND sha256 IS NULL AND unused_expires_ts > $2`, dev.UserID, now).Scan(&pending, &earliest)
		if err != nil {
			return fmt.Errorf("counting pending uploads: %w", err)
		}
		if pending >= int64(m.cfg.Media.MaxPendingUploads) {
			return ratelimit.Exceeded(msDuration(earliest - now))
		}
		return insertMedia(ctx, tx, media{mediaKey: key, UserID: dev.UserID, CreatedTs: now, LastAccessTs: now, UnusedExpiry: expires})
	}, storage.Serializable())
	var e *errcode.Error
	if errors.As(err, &e) {
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"content_uri": key.URI(), "unused_expires_at": expires}, nil
}
