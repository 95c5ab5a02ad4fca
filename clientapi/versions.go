package clientapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
)

// supportedVersions lists the spec versions clients may rely on. Clients
// switch features on by these, so a version is listed only when every
// endpoint it adds or changes in the modules we serve (accounts, login,
// devices, rooms and membership, state, sending, redaction, aliases, the
// room directory, spaces, upgrades, reporting, profiles, filters, /sync, /messages,
// /context, members, capabilities, discovery) is mounted and answers as
// that version says. Modules we do not serve at all (end-to-end
// encryption, typing, receipts, presence, account data, push, media) are
// absent under every version alike, so they do not set the ceiling.
//
// r0.0.1 to r0.6.1 are the pre-v1 releases of those endpoints. v1.1 adds
// knocking (POST /knock) and device_id in /whoami, v1.2 the space
// hierarchy (GET /v1/rooms/{roomId}/hierarchy), all served. v1.3 is the
// ceiling we do not reach: it adds the relations endpoint
// (GET /v1/rooms/{roomId}/relations/...), which is not served, so nothing
// later is listed either even though some later endpoints (/refresh of
// v1.3, /login/get_token of v1.7) are.
var supportedVersions = []string{
	"r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
	"v1.1", "v1.2",
}

// unstableFeatures advertises optional behaviour clients probe for:
// org.matrix.msc3814 is dehydrated devices (clientapi/keys/dehydrated.go),
// org.matrix.simplified_msc3575 simplified sliding sync (syncapi/slidingsync.go).
var unstableFeatures = map[string]bool{"org.matrix.msc3814": true, "org.matrix.simplified_msc3575": true}

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
