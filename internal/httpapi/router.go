package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/spec/errcode"
)

// NewRouter returns a router whose unknown paths and wrong methods answer
// the spec's M_UNRECOGNIZED, so clients can tell "not implemented here" from
// a broken server.
func NewRouter() *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = HandlerFunc(func(*http.Request) (any, error) {
		return nil, errcode.Unrecognized("unrecognized request")
	})
	r.MethodNotAllowedHandler = HandlerFunc(func(*http.Request) (any, error) {
		return nil, errcode.MethodNotAllowed("method not allowed on this endpoint")
	})
	r.Use(RouteLabel)
	return r
}

// Routes are the routers of a process's listeners that components mount
// their endpoints on. Federation is nil when the federation listener is off.
type Routes struct {
	Client     *mux.Router
	Federation *mux.Router
}
