package mediaapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/netguard"
	"github.com/ocomms/ocomms/mediaapi/preview"
	"github.com/ocomms/ocomms/mediaapi/thumbnail"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

func previewConfig(c config.URLPreview) preview.Config {
	allowed, _ := c.AllowedPrefixes() // validated with the configuration
	cfg := preview.Config{Allowed: allowed, MaxBytes: c.MaxBytes, Timeout: c.Timeout,
		UserAgent: "OComms URL preview (Matrix homeserver)"}
	for _, p := range c.OEmbedProviders {
		cfg.OEmbed = append(cfg.OEmbed, preview.Provider{Patterns: p.URLPatterns, Endpoint: p.Endpoint})
	}
	return cfg
}

// registerPreview mounts /preview_url only when previews are enabled; off,
// it answers M_UNRECOGNIZED like any endpoint this server does not offer,
// as Synapse does.
func (m *MediaAPI) registerPreview(r *mux.Router) {
	if m.previewer == nil {
		return
	}
	h := httpapi.Authenticated(m.authn, m.previewURL)
	httpapi.HandleClient(r, http.MethodGet, "/media/preview_url", h, httpapi.ClientV1)
	handleMedia(r, http.MethodGet, "/preview_url", h, "r0", "v3")
}

// previewURL is GET /_matrix/client/v1/media/preview_url.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1mediapreview_url
func (m *MediaAPI) previewURL(r *http.Request, dev *httpapi.Device) (any, error) {
	q := r.URL.Query()
	raw := q.Get("url")
	if raw == "" {
		return nil, errcode.MissingParam("url is required")
	}
	u, err := preview.CheckURL(raw)
	if err != nil {
		return nil, errcode.InvalidParam("url must be an http or https URL")
	}
	if v := q.Get("ts"); v != "" {
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return nil, errcode.InvalidParam("ts must be an integer")
		}
	}
	ctx := r.Context()
	key := u.String()
	if og, ok, err := m.cachedPreview(ctx, key); err != nil || ok {
		return og, err
	}
	if err := m.previews.Check(dev.UserID); err != nil {
		return nil, err
	}
	pv, err := m.previewer.Preview(ctx, u)
	if err != nil {
		return nil, previewError(err)
	}
	og := pv.OG
	if pv.Image != "" {
		if err := m.previewImage(ctx, dev.UserID, pv.Image, og); err != nil {
			m.log.DebugContext(ctx, "preview image not kept", slog.String("url", pv.Image), slog.Any("error", err))
		}
	}
	data, err := json.Marshal(og)
	if err != nil {
		return nil, err
	}
	now := nowMs()
	_, err = m.db.Exec(ctx, `INSERT INTO mediaapi_url_previews (url, og, fetched_ts, expires_ts) VALUES ($1, $2, $3, $4)
		ON CONFLICT (url) DO UPDATE SET og = excluded.og, fetched_ts = excluded.fetched_ts, expires_ts = excluded.expires_ts`,
		key, string(data), now, now+m.cfg.Media.URLPreview.CacheDuration.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("caching URL preview: %w", err)
	}
	return json.RawMessage(data), nil
}

func (m *MediaAPI) cachedPreview(ctx context.Context, key string) (any, bool, error) {
	var og string
	err := m.db.QueryRow(ctx, `SELECT og FROM mediaapi_url_previews WHERE url = $1 AND expires_ts > $2`, key, nowMs()).Scan(&og)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading cached URL preview: %w", err)
	}
	return json.RawMessage(og), true, nil
}

func previewError(err error) error {
	switch {
	case errors.Is(err, netguard.ErrForbiddenAddress):
		return errcode.Forbidden("Previews may not fetch from this address: it is internal")
	case errors.Is(err, preview.ErrTooLarge):
		return errcode.TooLarge("The page is too large to preview").WithStatus(http.StatusBadGateway)
	default:
		return errcode.Unknown("Could not fetch the URL for a preview").WithStatus(http.StatusBadGateway)
	}
}

// previewImage fetches the preview's image, stores it as media of the
// server's URL cache (not charged to the user's quota, expired with the
// cache) and puts its mxc URI and size into og.
func (m *MediaAPI) previewImage(ctx context.Context, userID, imageURL string, og map[string]any) error {
	data, err := m.previewer.Image(ctx, imageURL)
	if err != nil {
		return err
	}
	contentType := detectType(data[:min(len(data), sniffLength)], "")
	if !thumbnailable(contentType) {
		return fmt.Errorf("not an image: %s", contentType)
	}
	src, err := thumbnail.Inspect(bytes.NewReader(data), m.cfg.Media.MaxImagePixels)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	key := mediaKey{Origin: m.cfg.ServerName, MediaID: newMediaID()}
	w, h := src.Oriented()
	now := nowMs()
	md := media{mediaKey: key, UserID: userID, SHA256: sha, ContentType: contentType, Size: int64(len(data)),
		Width: w, Height: h, Animated: src.Animated(), CreatedTs: now, UploadedTs: now, LastAccessTs: now, URLCache: true}
	blob := stagedBlob{sha: sha, size: md.Size, open: func() (io.Reader, error) { return bytes.NewReader(data), nil }}
	err = m.storeBlobs(ctx, []stagedBlob{blob}, func(ctx context.Context, tx *storage.Tx) error {
		return insertMedia(ctx, tx, md)
	})
	if err != nil {
		return err
	}
	og["og:image"] = key.URI()
	og["og:image:type"] = baseType(contentType)
	og["og:image:width"] = w
	og["og:image:height"] = h
	og["matrix:image:size"] = md.Size
	return nil
}
