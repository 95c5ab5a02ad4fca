package httpapi

import (
	"fmt"
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/spec/errcode"
)

// The listener's body limit (limits.max_request_body_bytes) suits JSON
// endpoints; a media upload needs a larger one on its own route. Outer
// keeps the unlimited body in the context, the router's middleware checks
// Content-Length against the matched route's limit before any handler
// runs, and a route wrapped in WithBodyLimit re-limits the body itself.

type bodyKey struct{}

type rawBody struct {
	body  io.ReadCloser
	limit int64
}

// bodyLimited is a route handler with a body limit of its own.
type bodyLimited struct {
	limit int64
	next  http.Handler
}

// WithBodyLimit gives one route a body limit other than the listener's,
// such as the media upload's.
func WithBodyLimit(limit int64, h http.Handler) http.Handler {
	return bodyLimited{limit: limit, next: h}
}

func (b bodyLimited) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if raw, ok := r.Context().Value(bodyKey{}).(*rawBody); ok {
		r.Body = http.MaxBytesReader(w, raw.body, b.limit)
	}
	b.next.ServeHTTP(w, r)
}

// checkBodyLimit answers 413 M_TOO_LARGE before the handler for a declared
// body over the matched route's limit, so an oversized upload is refused
// without reading it.
func checkBodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := r.Context().Value(bodyKey{}).(*rawBody)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		limit := raw.limit
		if cur := mux.CurrentRoute(r); cur != nil {
			if b, ok := cur.GetHandler().(bodyLimited); ok {
				limit = b.limit
			}
		}
		if r.ContentLength > limit {
			WriteError(w, r, errcode.TooLarge(fmt.Sprintf("request body exceeds %d bytes", limit)))
			return
		}
		next.ServeHTTP(w, r)
	})
}
