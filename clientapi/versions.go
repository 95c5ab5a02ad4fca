package clientapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
)

// supportedVersions lists the spec versions whose every required endpoint
// this server implements. Clients switch features on by these, so a version
// is added only once that is true.
var supportedVersions = []string{}

// unstableFeatures advertises optional behaviour clients probe for.
var unstableFeatures = map[string]bool{}

type versionsResponse struct {
	Versions         []string        `json:"versions"`
	UnstableFeatures map[string]bool `json:"unstable_features"`
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientversions
func registerVersions(r *mux.Router) {
	r.Handle("/_matrix/client/versions", httpapi.HandlerFunc(func(*http.Request) (any, error) {
		return versionsResponse{Versions: supportedVersions, UnstableFeatures: unstableFeatures}, nil
	})).Methods(http.MethodGet)
}
