// Package api is the roomserver's contract with the other components: the
// queries and inputs they call in-process, and the output events it
// publishes on the bus. Nothing else of the roomserver is visible to them.
package api

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// Errors returned by the API. Authorisation failures wrap auth.ErrNotAllowed
// with the rule that failed.
var (
	ErrRoomNotFound  = errors.New("room not found")
	ErrEventNotFound = errors.New("event not found")
	// ErrUnsupportedRoomVersion is returned for an m.room.create asking
	// for a room version this server does not implement (clients get 400
	// M_UNSUPPORTED_ROOM_VERSION). It is roomversion.ErrUnknown.
	ErrUnsupportedRoomVersion = roomversion.ErrUnknown
	// ErrEventTooLarge is returned for an event over 65536 bytes (clients
	// get 413 M_TOO_LARGE). It is event.ErrEventTooLarge.
	ErrEventTooLarge = event.ErrEventTooLarge
	// ErrInvalidEvent is returned for a request that cannot make a valid
	// event: content that is not a JSON object, a field over 255 bytes,
	// a sender of another server, an m.room.redaction without Redacts...
	// (clients get 400 M_BAD_JSON or M_INVALID_PARAM).
	ErrInvalidEvent = errors.New("invalid event")
)

// Transaction identifies a client's send, so a retried request returns the
// first event instead of creating a second one — also across restarts — and
// so /sync can echo transaction_id to the device that sent it.
type Transaction struct {
	UserID   string `json:"user_id"`
	DeviceID string `json:"device_id"`
	TxnID    string `json:"txn_id"`
}

// SubmitRequest asks for a new event from a local user, built on the room's
// current forward extremities and current state.
type SubmitRequest struct {
	// RoomID is empty only for m.room.create, whose room ID the roomserver
	// assigns (and, in a batch, passes on to the requests after it).
	RoomID string
	// RoomVersion is read for m.room.create only.
	RoomVersion roomversion.ID
	Type        string
	StateKey    *string
	Sender      string
	Content     json.RawMessage
	// Redacts is the event an m.room.redaction redacts.
	Redacts string
	// Transaction, when set, makes the submit idempotent.
	Transaction *Transaction
}

// SubmitResponse describes the stored event.
type SubmitResponse struct {
	EventID string
	RoomID  string
	// Duplicate is true when the Transaction had been seen and EventID is
	// the event created the first time.
	Duplicate bool
}

// RoomInfo is what callers need to know about a room before acting on it.
type RoomInfo struct {
	RoomID  string
	Version roomversion.ID
}

// Membership is a user's membership in a room and the event that set it.
type Membership struct {
	Membership string // join, invite, leave, ban, knock, or "" when never a member
	EventID    string
}

// API is the roomserver as other components use it. Every method is safe to
// call from any instance: writes to one room are serialised across
// instances by the roomserver itself.
type API interface {
	// Submit builds, authorises and stores the events in order, atomically:
	// either all are stored (and will be published) or none. Rejected
	// events return an error wrapping auth.ErrNotAllowed.
	Submit(ctx context.Context, reqs ...SubmitRequest) ([]SubmitResponse, error)

	RoomInfo(ctx context.Context, roomID string) (RoomInfo, error)
	// CurrentState returns the room's current state events for the given
	// keys, or all of it when keys is empty. Missing keys are left out.
	CurrentState(ctx context.Context, roomID string, keys ...auth.StateKey) ([]*event.Event, error)
	// StateAfter returns the room state after the given event (the state
	// a client sees "at" that event), for the given keys or all.
	StateAfter(ctx context.Context, eventID string, keys ...auth.StateKey) ([]*event.Event, error)
	// Events returns the stored events by ID, redacted where a redaction
	// applies; unknown IDs are left out.
	Events(ctx context.Context, eventIDs ...string) ([]*event.Event, error)
	Membership(ctx context.Context, roomID, userID string) (Membership, error)
	// RoomsOfUser returns the rooms where the user's current membership is
	// the given one (e.g. "join" for /joined_rooms).
	RoomsOfUser(ctx context.Context, userID, membership string) ([]string, error)
}
