package clientapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// registerThirdParty mounts the third-party network lookups. Third-party
// networks are reached through bridges, which register as application
// services; this server has none, so it knows no protocols and every
// lookup finds nothing, as the spec words it: an empty protocol list and
// 404 M_NOT_FOUND for anything asked of a protocol or through one.
// (Synapse answers a lookup on an unknown protocol with an empty list;
// the spec's answer for "nothing found" is the 404.)
//
// https://spec.matrix.org/latest/client-server-api/#third-party-lookups
func registerThirdParty(r *mux.Router, authn httpapi.Authenticator) {
	handle := func(path string, h httpapi.AuthedHandlerFunc) {
		httpapi.HandleClient(r, http.MethodGet, path, httpapi.Authenticated(authn, h), httpapi.ClientR0V3)
	}
	handle("/thirdparty/protocols", func(*http.Request, *httpapi.Device) (any, error) {
		return map[string]any{}, nil
	})
	handle("/thirdparty/protocol/{protocol}", func(*http.Request, *httpapi.Device) (any, error) {
		return nil, errcode.NotFound("unknown protocol")
	})
	handle("/thirdparty/location/{protocol}", func(*http.Request, *httpapi.Device) (any, error) {
		return nil, errcode.NotFound("no portal rooms were found: unknown protocol")
	})
	handle("/thirdparty/user/{protocol}", func(*http.Request, *httpapi.Device) (any, error) {
		return nil, errcode.NotFound("no users were found: unknown protocol")
	})
	handle("/thirdparty/location", func(req *http.Request, _ *httpapi.Device) (any, error) {
		if req.URL.Query().Get("alias") == "" {
			return nil, errcode.MissingParam("missing query parameter alias")
		}
		return nil, errcode.NotFound("no third-party location is bridged to that room alias")
	})
	handle("/thirdparty/user", func(req *http.Request, _ *httpapi.Device) (any, error) {
		if req.URL.Query().Get("userid") == "" {
			return nil, errcode.MissingParam("missing query parameter userid")
		}
		return nil, errcode.NotFound("no third-party user is bridged to that user ID")
	})
}
