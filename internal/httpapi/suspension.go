package httpapi

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// suspendedForbidden are the client endpoints a suspended account may not
// use, by method and route template without the /_matrix/client/{version}
// prefix, each with whether the request's path variables make it
// forbidden. They are the spec's recommended set: joining and knocking
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
var suspendedForbidden = map[string]func(vars map[string]string) bool{
	"POST /createRoom":                                 always,
	"POST /join/{roomIdOrAlias}":                       always,
	"POST /rooms/{roomId}/join":                        always,
	"POST /knock/{roomIdOrAlias}":                      always,
	"POST /rooms/{roomId}/invite":                      always,
	"POST /rooms/{roomId}/kick":                        always,
	"POST /rooms/{roomId}/ban":                         always,
	"POST /rooms/{roomId}/unban":                       always,
	"POST /rooms/{roomId}/upgrade":                     always,
	"PUT /rooms/{roomId}/send/{eventType}/{txnId}":     unlessRedaction,
	"PUT /rooms/{roomId}/state/{eventType}":            always,
	"PUT /rooms/{roomId}/state/{eventType}/":           always,
	"PUT /rooms/{roomId}/state/{eventType}/{stateKey}": always,
	"PUT /directory/room/{roomAlias}":                  always,
	"PUT /directory/list/room/{roomId}":                always,
	"PUT /profile/{userId}/{keyName}":                  always,
	"DELETE /profile/{userId}/{keyName}":               always,
}

func always(map[string]string) bool { return true }

// unlessRedaction lets m.room.redaction through /send, which behaves as
// /redact: the spec keeps redacting one's own events open.
func unlessRedaction(vars map[string]string) bool { return vars["eventType"] != "m.room.redaction" }

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
	forbidden, listed := suspendedForbidden[r.Method+" /"+path]
	return listed && forbidden(Vars(r))
}
