package clientapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// registerWellKnown serves the discovery documents. Each answers 404
// M_NOT_FOUND until configured: a guessed URL would send clients or
// servers somewhere the operator never chose. The client listener adds
// the CORS headers browsers need to read them.
//
// https://spec.matrix.org/latest/client-server-api/#getwell-knownmatrixclient
// https://spec.matrix.org/latest/server-server-api/#getwell-knownmatrixserver
func registerWellKnown(r *mux.Router, wk config.WellKnown) {
	r.Handle("/.well-known/matrix/client", httpapi.HandlerFunc(func(*http.Request) (any, error) {
		if wk.ClientBaseURL == "" {
			return nil, errcode.NotFound("client discovery is not configured")
		}
		return map[string]any{"m.homeserver": map[string]string{"base_url": wk.ClientBaseURL}}, nil
	})).Methods(http.MethodGet)
	r.Handle("/.well-known/matrix/server", httpapi.HandlerFunc(func(*http.Request) (any, error) {
		if wk.Server == "" {
			return nil, errcode.NotFound("server delegation is not configured")
		}
		return map[string]string{"m.server": wk.Server}, nil
	})).Methods(http.MethodGet)
}
