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
// room directory, spaces, upgrades, reporting, profiles, the user
// directory, filters, /sync, /messages, /context, members, event
// relationships and threads, receipts and read markers, typing, presence,
// account data, push rules, media, end-to-end encryption keys and
// to-device messages, server-side search, capabilities, discovery) is
// mounted and answers as that version says. Modules we do not serve at all
// (application services) are absent under every version alike, so they do
// not set the ceiling: POST /v1/appservice/{appserviceId}/ping of v1.7 answers
// 404 M_UNRECOGNIZED as it did before.
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
// unknown method.
//
// v1.7 adds asynchronous uploads (POST /media/v1/create and
// PUT /media/v3/upload/{serverName}/{mediaId}, mediaapi/upload.go),
// POST /v1/login/get_token (clientapi/accounts/login_token.go), the
// m.replace aggregation as the whole latest edit with the original content
// left alone (syncapi/aggregations.go), the event_property_is and
// event_property_contains push conditions, intentional mentions (m.mentions,
// .m.rule.is_user_mention and .m.rule.is_room_mention) and no dont_notify or
// coalesce actions (spec/pushrules), m.annotation relations (plain
// relations, not aggregated by the server), transaction IDs scoped to the
// device (clientapi/rooms/send.go) and allow_redirect on downloads (we
// serve the bytes ourselves, which the spec allows). VoIP changes are
// client-side. v1.8 adds that reporting an event needs the reporter to be
// joined (clientapi/rooms/report.go), room version 11 (spec/roomversion)
// and '+' in user IDs (spec/id). v1.9 adds the .m.rule.suppress_edits
// default push rule. All of these are served.
//
// v1.10 gives erase on POST /account/deactivate its meaning (MSC4025):
// the user's account data is erased and users who join a room after the
// erasure are served redacted copies of the user's events
// (syncapi/erasure.go). It also adds optional authentication on
// /versions, 404 for /.well-known/matrix/support when no support contacts
// are configured, Retry-After on 429 (internal/httpapi), recurse on
// /relations, and 405 for PUT of m.push_rules account data. v1.11 adds
// authenticated media (/_matrix/client/v1/media/..., mediaapi), animated
// thumbnails, the first cross-signing upload without UIA
// (clientapi/keys/crosssigning.go) and unsigned.membership
// (syncapi/membership_unsigned.go). All of these are served; clients that
// predate v1.11 find authenticated media through
// org.matrix.msc3916.stable in unstable_features.
//
// v1.12 adds via on /join and /knock (clientapi/rooms/via.go; without
// federation only rooms this server is in can be joined), account locking
// (MSC3939, 401 M_USER_LOCKED with soft_logout in internal/httpapi),
// guest access to authenticated media, 403 on profile look-ups when
// rooms.restrict_profile_lookups is set, and marked-unread rooms, which are
// account data kept by clients. v1.13 adds POST /rooms/{roomId}/report,
// account suspension (403 M_USER_SUSPENDED for the writes listed in
// internal/httpapi/suspension.go) and one-time keys claimed in upload
// order. v1.14 adds POST /users/{userId}/report. v1.15 adds
// GET /v1/room_summary/{roomIdOrAlias} and allowed_room_ids, encryption
// and room_version in /hierarchy; GET /v1/auth_metadata answers 404
// M_UNRECOGNIZED because we do not serve the OAuth 2.0 API, which the spec
// allows (the legacy login API stays). v1.16 adds custom profile fields
// and m.tz (m.profile_fields capability), format=event on
// GET /state/{eventType}/{stateKey}, use_state_after and state_after on
// /sync, additional_creators on /upgrade and in trusted_private_chat
// rooms of version 12, and m.room.create in invite and knock state. v1.17
// removes the legacy body-mention push rules (spec/pushrules); its
// application service and m.oauth changes concern modules we do not serve.
// v1.18 adds the moderation endpoints /v1/admin/lock and /v1/admin/suspend
// with the m.account_moderation capability, m.room.redaction through /send
// (clientapi/rooms/redaction.go), invite blocking through
// m.invite_permission_config (403 M_INVITE_BLOCKED), always 200 for user
// reports, and no score on event reports. Its OAuth 2.0 additions,
// optional capabilities (m.forget_forced_upon_leave) and policy servers
// (a federation module) are left out as the spec permits. Room previews
// (peeking through /events and /rooms/{roomId}/initialSync) are an
// optional module we do not serve. v1.19 is not checked through.
var supportedVersions = []string{
	"r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
	"v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11",
	"v1.12", "v1.13", "v1.14", "v1.15", "v1.16", "v1.17", "v1.18",
}

// unstableFeatures advertises optional behaviour clients probe for:
// org.matrix.msc3814 is dehydrated devices (clientapi/keys/dehydrated.go),
// org.matrix.simplified_msc3575 simplified sliding sync
// (syncapi/slidingsync.go), org.matrix.msc3916.stable the authenticated
// media endpoints of v1.11 (mediaapi), which Element and the Matrix SDKs
// use from this flag when the server does not list v1.11; without them
// images uploaded after the legacy media freeze do not load.
var unstableFeatures = map[string]bool{
	"org.matrix.msc3814": true, "org.matrix.simplified_msc3575": true, "org.matrix.msc3916.stable": true,
}

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
