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
// room directory, spaces, upgrades, reporting, profiles, filters, /sync,
// /messages, /context, members, event relationships and threads, receipts
// and read markers, account data, push rules, media, end-to-end
// encryption keys and to-device messages, capabilities, discovery) is
// mounted and answers as that version says. Modules we do not serve at
// all (typing, presence) are absent under every version alike, so
// they do not set the ceiling.
//
// r0.0.1 to r0.6.1 are the pre-v1 releases of those endpoints. v1.1 adds
// knocking (POST /knock) and device_id in /whoami, v1.2 the space
// hierarchy (GET /v1/rooms/{roomId}/hierarchy), v1.3 event relationships
// (GET /v1/rooms/{roomId}/relations/... and bundled aggregations in
// unsigned.m.relations), refresh tokens (POST /refresh, refresh_token on
// /login and /register), an optional from on /messages and the
// knock_restricted join rule of room version 10. v1.4 adds edits
// (m.replace aggregations), threads (GET /v1/rooms/{roomId}/threads, the
// per-thread notification counts of /sync, thread_id on /receipt), dir on
// /relations, m.read.private receipts and an optional m.fully_read on
// /read_markers, m.fully_read through /receipt, room_types on /publicRooms,
// the room type kept on upgrade, the .m.rule.room.server_acl push rule and
// Cross-Origin-Resource-Policy on media. v1.5 adds m.reference
// aggregations, a required refresh_token on /refresh and set_tweak in
// place of set_sound. v1.6 adds GET /v1/rooms/{roomId}/timestamp_to_event
// (syncapi/timestamp.go) and 405 M_UNRECOGNIZED for a known path with an
// unknown method. All of these are served.
//
// v1.7 is the ceiling we do not reach: it adds
// POST /v1/appservice/{appserviceId}/ping, and application services are
// not hosted, so nothing later is listed either even though some later
// endpoints (/login/get_token and /media/v1/create of v1.7, recurse on
// /relations of v1.10) are.
var supportedVersions = []string{
	"r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
	"v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6",
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
