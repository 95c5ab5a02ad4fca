package httpapi

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/spec/errcode"
)

// NewRouter returns a router whose unknown paths and wrong methods answer
// the spec's M_UNRECOGNIZED, so clients can tell "not implemented here" from
// a broken server.
func NewRouter() *mux.Router {
	// Match on the escaped path: event IDs of room versions 3 and later,
	// state keys and transaction IDs may hold "/", sent as %2F, and must
	// stay inside their path segment. Handlers read variables with Vars.
	r := mux.NewRouter().UseEncodedPath()
	// Unmatched requests skip the router's middleware, so they check the
	// body limit themselves: an oversized body is 413 wherever it goes.
	r.NotFoundHandler = checkBodyLimit(HandlerFunc(func(*http.Request) (any, error) {
		return nil, errcode.Unrecognized("unrecognized request")
	}))
	r.MethodNotAllowedHandler = checkBodyLimit(HandlerFunc(func(*http.Request) (any, error) {
		return nil, errcode.MethodNotAllowed("method not allowed on this endpoint")
	}))
	r.Use(RouteLabel, checkBodyLimit)
	return r
}

// Routes are the routers of a process's listeners that components mount
// their endpoints on. Federation is nil when the federation listener is off.
type Routes struct {
	Client     *mux.Router
	Federation *mux.Router
}

// Vars returns the request's path variables, URL-decoded. Routers match on
// the escaped path (see NewRouter), so mux.Vars would hand out "%2F" and
// "%25"; every handler reads path variables through here instead.
func Vars(r *http.Request) map[string]string {
	raw := mux.Vars(r)
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		out[k] = v
	}
	return out
}
