package mediaapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/mediaapi/blobstore"
	"github.com/ocomms/ocomms/mediaapi/thumbnail"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// standardSpecs are the sizes the spec says servers should produce; they
// are made when an image is uploaded, every other size on demand.
// https://spec.matrix.org/latest/client-server-api/#thumbnails
var standardSpecs = []thumbnail.Spec{
	{Width: 32, Height: 32, Method: thumbnail.Crop},
	{Width: 96, Height: 96, Method: thumbnail.Crop},
	{Width: 320, Height: 240, Method: thumbnail.Scale},
	{Width: 640, Height: 480, Method: thumbnail.Scale},
	{Width: 800, Height: 600, Method: thumbnail.Scale},
}

const (
	// maxThumbnailSide bounds an on-demand thumbnail's sides; bigger
	// requests get this size.
	maxThumbnailSide = 2048
	// maxCachedThumbnails bounds the sizes kept per media, so a client
	// asking for every size cannot fill the store.
	maxCachedThumbnails = 24
)

func (m *MediaAPI) registerThumbnail(r *mux.Router) {
	const path = "/thumbnail/{serverName}/{mediaId}"
	httpapi.HandleClient(r, http.MethodGet, "/media"+path, m.thumbnail(false), httpapi.ClientV1)
	handleMedia(r, http.MethodGet, path, m.thumbnail(true), "r0", "v3")
}

// madeThumb is a thumbnail ready to store.
type madeThumb struct {
	row  thumbnailRow
	blob stagedBlob
}

func made(res thumbnail.Result) madeThumb {
	sum := sha256.Sum256(res.Data)
	data := res.Data
	sha := hex.EncodeToString(sum[:])
	return madeThumb{
		row: thumbnailRow{Method: res.Spec.Method, Animated: res.Animated, Width: res.Width, Height: res.Height,
			ContentType: res.ContentType, SHA256: sha, Size: int64(len(data))},
		blob: stagedBlob{sha: sha, size: int64(len(data)), open: func() (io.Reader, error) { return bytes.NewReader(data), nil }},
	}
}

// makeThumbnails decodes within the bound on concurrent decodes.
func (m *MediaAPI) makeThumbnails(ctx context.Context, r io.ReadSeeker, src thumbnail.Source, specs []thumbnail.Spec) ([]thumbnail.Result, error) {
	select {
	case m.decoding <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-m.decoding }()
	return thumbnail.Make(r, src, specs)
}

// standardThumbnails records an uploaded image's size in md and makes its
// standard thumbnails, those smaller than the image. An image that cannot
// be thumbnailed is still stored; its thumbnail requests get the error.
func (m *MediaAPI) standardThumbnails(ctx context.Context, md *media, st *staged) []madeThumb {
	if !thumbnailable(md.ContentType) {
		return nil
	}
	r, err := st.rewind()
	if err != nil {
		return nil
	}
	src, err := thumbnail.Inspect(r, m.cfg.Media.MaxImagePixels)
	md.Width, md.Height = src.Oriented()
	md.Animated = src.Animated()
	if err != nil {
		return nil
	}
	var specs []thumbnail.Spec
	for _, s := range standardSpecs {
		if tw, th, _ := thumbnail.Dimensions(md.Width, md.Height, s); s.Method == thumbnail.Crop || tw != md.Width || th != md.Height {
			specs = append(specs, s)
		}
	}
	results, err := m.makeThumbnails(ctx, r, src, specs)
	if err != nil {
		m.log.WarnContext(ctx, "making thumbnails of an upload", slog.String("media", md.mediaKey.String()), slog.Any("error", err))
		return nil
	}
	out := make([]madeThumb, len(results))
	for i, res := range results {
		out[i] = made(res)
	}
	return out
}

// thumbnail serves GET .../thumbnail/{serverName}/{mediaId}: a stored
// thumbnail at least as large as asked, the original when it is smaller
// than asked, or one made now (and kept).
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1mediathumbnailservernamemediaid
func (m *MediaAPI) thumbnail(legacy bool) mediaHandler {
	return func(r *http.Request) (*content, error) {
		key, l, err := m.parseLookup(r, legacy)
		if err != nil {
			return nil, err
		}
		spec, err := thumbnailSpec(r)
		if err != nil {
			return nil, err
		}
		md, err := m.resolve(r.Context(), key, l)
		if err != nil {
			return nil, err
		}
		if !thumbnailable(md.ContentType) || md.Width == 0 {
			return nil, errcode.Unknown("Cannot generate thumbnails for the requested content").WithStatus(http.StatusBadRequest)
		}
		spec.Animated = spec.Animated && md.Animated
		m.touch(r.Context(), md)
		tw, th, _ := thumbnail.Dimensions(md.Width, md.Height, spec)
		if spec.Method == thumbnail.Scale && tw == md.Width && th == md.Height && (!md.Animated || spec.Animated) {
			// Smaller than asked: the spec wants the original.
			blob, err := m.openBlob(r.Context(), md.SHA256, md.Store)
			if err != nil {
				return nil, err
			}
			return &content{blob: blob, contentType: md.ContentType, filename: "thumbnail" + extension(md.ContentType),
				inline: true, modified: time.UnixMilli(md.UploadedTs)}, nil
		}
		thumbs, err := listThumbnails(r.Context(), m.db, key)
		if err != nil {
			return nil, err
		}
		if best, ok := bestThumbnail(thumbs, spec, tw, th); ok {
			blob, err := m.openBlob(r.Context(), best.SHA256, best.Store)
			if err == nil {
				return thumbnailContent(blob, nil, best.ContentType, md), nil
			}
			m.log.WarnContext(r.Context(), "stored thumbnail unreadable; making it again", slog.Any("error", err))
		}
		res, err := m.thumbnailNow(r.Context(), md, spec, len(thumbs) < maxCachedThumbnails)
		if err != nil {
			return nil, err
		}
		return thumbnailContent(nil, res.Data, res.ContentType, md), nil
	}
}

func thumbnailContent(blob blobstore.Blob, data []byte, contentType string, md media) *content {
	return &content{blob: blob, data: data, contentType: contentType, filename: "thumbnail" + extension(contentType),
		inline: true, modified: time.UnixMilli(md.UploadedTs)}
}

func thumbnailSpec(r *http.Request) (thumbnail.Spec, error) {
	q := r.URL.Query()
	var s thumbnail.Spec
	for _, p := range []struct {
		name string
		dst  *int
	}{{"width", &s.Width}, {"height", &s.Height}} {
		v := q.Get(p.name)
		if v == "" {
			return s, errcode.MissingParam(p.name + " is required")
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100_000 {
			return s, errcode.InvalidParam(p.name + " must be a positive integer")
		}
		*p.dst = min(n, maxThumbnailSide)
	}
	switch s.Method = q.Get("method"); s.Method {
	case "":
		s.Method = thumbnail.Scale
	case thumbnail.Scale, thumbnail.Crop:
	default:
		return s, errcode.InvalidParam("method must be crop or scale")
	}
	if v := q.Get("animated"); v != "" {
		a, err := strconv.ParseBool(v)
		if err != nil {
			return s, errcode.InvalidParam("animated must be true or false")
		}
		s.Animated = a
	}
	return s, nil
}

// bestThumbnail picks the smallest stored thumbnail of the method that is
// at least tw x th (and, for crop, of the same aspect ratio).
func bestThumbnail(thumbs []thumbnailRow, s thumbnail.Spec, tw, th int) (thumbnailRow, bool) {
	var best thumbnailRow
	found := false
	for _, t := range thumbs {
		if t.Method != s.Method || t.Animated != s.Animated || t.Width < tw || t.Height < th {
			continue
		}
		if s.Method == thumbnail.Crop && abs(t.Width*th-t.Height*tw) > max(t.Width, t.Height) {
			continue
		}
		if !found || t.Width*t.Height < best.Width*best.Height {
			best, found = t, true
		}
	}
	return best, found
}

func abs(v int) int { return max(v, -v) }

// thumbnailNow makes one thumbnail from the original and, when keep,
// stores it for the next request.
func (m *MediaAPI) thumbnailNow(ctx context.Context, md media, spec thumbnail.Spec, keep bool) (thumbnail.Result, error) {
	blob, err := m.openBlob(ctx, md.SHA256, md.Store)
	if err != nil {
		return thumbnail.Result{}, err
	}
	defer blob.Close()
	src, err := thumbnail.Inspect(blob, m.cfg.Media.MaxImagePixels)
	if errors.Is(err, thumbnail.ErrTooLarge) {
		return thumbnail.Result{}, errcode.TooLarge("Content is too large to thumbnail")
	}
	if err != nil {
		return thumbnail.Result{}, errcode.Unknown("Cannot generate thumbnails for the requested content").WithStatus(http.StatusBadRequest)
	}
	results, err := m.makeThumbnails(ctx, blob, src, []thumbnail.Spec{spec})
	if errors.Is(err, thumbnail.ErrUnsupported) {
		return thumbnail.Result{}, errcode.Unknown("Cannot generate thumbnails for the requested content").WithStatus(http.StatusBadRequest)
	}
	if err != nil {
		return thumbnail.Result{}, err
	}
	res := results[0]
	if keep {
		t := made(res)
		err := m.storeBlobs(ctx, []stagedBlob{t.blob}, func(ctx context.Context, tx *storage.Tx) error {
			// Not for media deleted meanwhile: nothing would delete it.
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM mediaapi_media WHERE origin = $1 AND media_id = $2`, md.Origin, md.MediaID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			return insertThumbnail(ctx, tx, md.mediaKey, t.row)
		})
		if err != nil {
			m.log.WarnContext(ctx, "keeping a thumbnail", slog.Any("error", err))
		}
		m.collect(ctx, t.blob.sha) // only if the media went away meanwhile
	}
	return res, nil
}

func extension(contentType string) string {
	switch baseType(contentType) {
	case "image/jpeg":
		return ".jpg"
	case "image/png", "image/apng":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	}
	return ""
}
