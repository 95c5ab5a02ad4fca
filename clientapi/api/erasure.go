package api

import (
	"context"
	"time"

	"github.com/ocomms/ocomms/bus"
)

// ErasureStream carries the erasures of deactivated accounts
// (POST /account/deactivate with erase), published by accounts from an
// outbox in the deactivation transaction. Subjects are ErasureSubject.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3accountdeactivate
const (
	ErasureStream  = "CLIENTAPI_ERASURES"
	ErasureSubject = "clientapi.erasure"
)

// ErasureStreams are the bus streams accounts publishes erasures to.
func ErasureStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        ErasureStream,
		Description: "clientapi: users erased on deactivation",
		Subjects:    []string{ErasureSubject},
		Storage:     bus.FileStorage,
		// An erasure lost to a consumer would serve the user's events
		// unredacted for good, so it is kept far longer than any outage.
		MaxAge:     90 * 24 * time.Hour,
		Duplicates: 2 * time.Minute,
	}}
}

// UserErasedVersion is the version of UserErased on the wire; a consumer
// refuses versions it does not know.
const UserErasedVersion = 1

// UserErased says a user deactivated their account with erase: users who
// join a room afterwards are served redacted copies of the user's events,
// and the user's account data is gone. It may arrive more than once;
// consumers keep the first.
type UserErased struct {
	// Version is UserErasedVersion.
	Version int    `json:"v"`
	UserID  string `json:"user_id"`
}

// MessageType names the message in bus headers.
func (UserErased) MessageType() string { return "clientapi.user_erased" }

// MessageVersion is the wire version in bus headers.
func (UserErased) MessageVersion() int { return UserErasedVersion }

// AccountDataEraser deletes all of a user's account data, global and per
// room, for an erasure. It must be safe to repeat.
type AccountDataEraser interface {
	EraseAccountData(ctx context.Context, userID string) error
}
