package mediaapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// Bounds of timeout_ms, how long a download waits for the upload of a
// created media ID.
const (
	defaultUploadWait = 20 * time.Second
	maxUploadWait     = 60 * time.Second
)

func (m *MediaAPI) registerDownload(r *mux.Router) {
	for _, suffix := range []string{"", "/{fileName}"} {
		path := "/download/{serverName}/{mediaId}" + suffix
		httpapi.HandleClient(r, http.MethodGet, "/media"+path, m.download(false), httpapi.ClientV1)
		handleMedia(r, http.MethodGet, path, m.download(true), "r0", "v3")
	}
}

// lookup is how a request finds its media.
type lookup struct {
	// legacy is a deprecated unauthenticated endpoint: only media from
	// before the freeze is served there.
	legacy      bool
	allowRemote bool
	wait        time.Duration
}

// authenticate checks the access token of an authenticated media request.
func (m *MediaAPI) authenticate(r *http.Request) (*httpapi.Device, error) {
	token, err := httpapi.AccessToken(r)
	if err != nil {
		return nil, err
	}
	return m.authn.Authenticate(r.Context(), token, r)
}

// parseLookup reads the key and the query parameters every download and
// thumbnail endpoint shares, authenticating unless legacy.
func (m *MediaAPI) parseLookup(r *http.Request, legacy bool) (mediaKey, lookup, error) {
	if !legacy {
		if _, err := m.authenticate(r); err != nil {
			return mediaKey{}, lookup{}, err
		}
	}
	vars := httpapi.Vars(r)
	key, err := parseKey(vars["serverName"], vars["mediaId"])
	if err != nil {
		return mediaKey{}, lookup{}, err
	}
	q := r.URL.Query()
	l := lookup{legacy: legacy, allowRemote: true, wait: defaultUploadWait}
	if v := q.Get("allow_remote"); v != "" {
		if l.allowRemote, err = strconv.ParseBool(v); err != nil {
			return mediaKey{}, lookup{}, errcode.InvalidParam("allow_remote must be true or false")
		}
	}
	if v := q.Get("timeout_ms"); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms < 0 {
			return mediaKey{}, lookup{}, errcode.InvalidParam("timeout_ms must be a non-negative integer")
		}
		l.wait = min(msDuration(ms), maxUploadWait)
	}
	return key, l, nil
}

// download serves GET .../download/{serverName}/{mediaId}[/{fileName}].
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1mediadownloadservernamemediaid
func (m *MediaAPI) download(legacy bool) mediaHandler {
	return func(r *http.Request) (*content, error) {
		key, l, err := m.parseLookup(r, legacy)
		if err != nil {
			return nil, err
		}
		md, err := m.resolve(r.Context(), key, l)
		if err != nil {
			return nil, err
		}
		blob, err := m.openBlob(r.Context(), md.SHA256, md.Store)
		if err != nil {
			return nil, err
		}
		m.touch(r.Context(), md)
		filename := md.Filename
		if f, ok := httpapi.Vars(r)["fileName"]; ok {
			filename = f
		}
		return &content{blob: blob, contentType: md.ContentType, filename: filename, inline: true,
			modified: time.UnixMilli(md.UploadedTs)}, nil
	}
}

// resolve finds servable media: local, cached or fetched from its origin,
// waiting for the upload of a created media ID.
func (m *MediaAPI) resolve(ctx context.Context, key mediaKey, l lookup) (media, error) {
	md, found, err := getMedia(ctx, m.db, key)
	if err != nil {
		return media{}, err
	}
	if !found {
		if key.Origin == m.cfg.ServerName || !l.allowRemote || m.remote == nil {
			return media{}, errcode.NotFound("Media not found")
		}
		if md, err = m.fetchRemote(ctx, key); err != nil {
			return media{}, err
		}
	}
	if md.Quarantined {
		return media{}, errcode.NotFound("Media not found")
	}
	if !md.uploaded() {
		if md, err = m.awaitUpload(ctx, md, l.wait); err != nil {
			return media{}, err
		}
	}
	if l.legacy && !md.URLCache && (m.freeze.IsZero() || md.CreatedTs >= m.freeze.UnixMilli()) {
		// The freeze of unauthenticated media: 404, as the spec allows.
		return media{}, errcode.NotFound("Media not found: use the authenticated endpoint /_matrix/client/v1/media/download")
	}
	return md, nil
}

// awaitUpload waits for a created media ID's content, at most wait.
func (m *MediaAPI) awaitUpload(ctx context.Context, md media, wait time.Duration) (media, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		if md.UnusedExpiry <= nowMs() {
			return media{}, errcode.NotFound("Media not found: its upload never came")
		}
		ch := m.waiters.add(md.mediaKey)
		cur, found, err := getMedia(ctx, m.db, md.mediaKey)
		if err == nil && found && cur.uploaded() {
			m.waiters.remove(md.mediaKey, ch)
			return cur, nil
		}
		if err == nil && !found {
			m.waiters.remove(md.mediaKey, ch)
			return media{}, errcode.NotFound("Media not found")
		}
		select {
		case <-ch:
		case <-poll.C:
			m.waiters.remove(md.mediaKey, ch)
		case <-ctx.Done():
			m.waiters.remove(md.mediaKey, ch)
			return media{}, errcode.NotYetUploaded("Content has not yet been uploaded")
		}
	}
}
