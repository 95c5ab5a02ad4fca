package mediaapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/mediaapi/blobstore"
)

// contentSecurityPolicy is the spec's recommended policy for served
// media: nothing in it may run, even when opened as a page.
// https://spec.matrix.org/latest/client-server-api/#content-repository
const contentSecurityPolicy = "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';"

// content is a successful media answer: bytes from a blob (with ranges)
// or from memory, and the headers the spec requires.
type content struct {
	blob        blobstore.Blob
	data        []byte
	contentType string
	filename    string
	// inline is only honoured for types safe inline; thumbnails are.
	inline   bool
	modified time.Time
}

// mediaHandler is an endpoint answering media bytes. Errors before the
// answer starts become the spec's error JSON through httpapi, like every
// other endpoint's.
type mediaHandler func(r *http.Request) (*content, error)

func (h mediaHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := h(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	c.write(w, r)
}

func (c *content) write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	ct := c.contentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	disposition := "attachment"
	if c.inline && servedInline(ct) {
		disposition = "inline"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", contentDisposition(disposition, c.filename))
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	// Media never changes under its ID, but is only for the user who
	// authenticated: no shared caches.
	h.Set("Cache-Control", "private, max-age=86400")
	if c.blob != nil {
		defer c.blob.Close()
		// ServeContent answers ranges (seeking in S3 becomes ranged GETs)
		// and conditional requests.
		http.ServeContent(w, r, "", c.modified, c.blob)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(c.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(c.data)
	}
}
