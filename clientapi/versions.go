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
// /context, members, event relationships and threads, capabilities,
// discovery) is mounted and answers as that version says. Modules we do
// not serve at all (end-to-end encryption, typing, receipts, presence,
// account data, push, media, search) are absent under every version
// alike, so they do not set the ceiling.
//
// r0.0.1 to r0.6.1 are the pre-v1 releases of those endpoints. v1.1 adds
// knocking (POST /knock) and device_id in /whoami, v1.2 the space
// hierarchy (GET /v1/rooms/{roomId}/hierarchy), v1.3 event relationships
// (GET /v1/rooms/{roomId}/relations/... and bundled aggregations in
// unsigned.m.relations), refresh tokens (POST /refresh, refresh_token on
// /login and /register), an optional from on /messages and the
// knock_restricted join rule of room version 10, all served.
//
// v1.4 is the ceiling we do not reach: besides what is served (edits and
// threads with GET /v1/rooms/{roomId}/threads, dir on /relations,
// room_types on /publicRooms, the room type kept on upgrade) it adds
// per-thread notification counts to /sync (unread_thread_notifications in
// the filter and the response), which /sync does not compute yet (and,
// for when receipts are served, thread_id on /receipt and m.read.private),
// so nothing later is listed either even though some later endpoints
// (/login/get_token of v1.7, recurse on /relations of v1.10) are served.
var supportedVersions = []string{
	"r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
	"v1.1", "v1.2", "v1.3",
}

// unstableFeatures advertises optional behaviour clients probe for; none
// of the MSC flags apply to what is served.
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
