package httpapi

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// suspendedForbidden are the client endpoints a suspended account may not
// use, by method and route template without the /_matrix/client/{version}
// prefix. They are the spec's recommended set: joining and knocking
// (accepting an invite is a join), inviting, sending events and state,
// creating and upgrading rooms, acting on other members, publishing
// aliases and changing the profile. Everything else stays open, in
// particular reading, /sync, leaving and rejecting invites, redacting,
// keys, key backup, logout, device deletion and deactivation, which the
// spec says a suspended user keeps.
//
// Keeping the list here, rather than in each handler, gives one place
// that says what suspension means on this server.
//
// https://spec.matrix.org/latest/client-server-api/#account-suspension
var suspendedForbidden = map[string]bool{
	"POST /createRoom":                                 true,
	"POST /join/{roomIdOrAlias}":                       true,
	"POST /rooms/{roomId}/join":                        true,
	"POST /knock/{roomIdOrAlias}":                      true,
	"POST /rooms/{roomId}/invite":                      true,
	"POST /rooms/{roomId}/kick":                        true,
	"POST /rooms/{roomId}/ban":                         true,
	"POST /rooms/{roomId}/unban":                       true,
	"POST /rooms/{roomId}/upgrade":                     true,
	"PUT /rooms/{roomId}/send/{eventType}/{txnId}":     true,
	"PUT /rooms/{roomId}/state/{eventType}":            true,
	"PUT /rooms/{roomId}/state/{eventType}/":           true,
	"PUT /rooms/{roomId}/state/{eventType}/{stateKey}": true,
	"PUT /directory/room/{roomAlias}":                  true,
	"PUT /directory/list/room/{roomId}":                true,
	"PUT /profile/{userId}/{keyName}":                  true,
	"DELETE /profile/{userId}/{keyName}":               true,
}

// forbiddenWhileSuspended tells whether the request's route is one of
// suspendedForbidden.
func forbiddenWhileSuspended(r *http.Request) bool {
	route := mux.CurrentRoute(r)
	if route == nil {
		return false
	}
	tpl, err := route.GetPathTemplate()
	if err != nil {
		return false
	}
	rest, ok := strings.CutPrefix(tpl, "/_matrix/client/")
	if !ok {
		return false
	}
	_, path, ok := strings.Cut(rest, "/")
	if !ok {
		return false
	}
	return suspendedForbidden[r.Method+" /"+path]
}
