// Package api is the sync API's side of the internal protocol: the
// messages it publishes for other components and the queries it answers.
package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ocomms/ocomms/bus"
)

// PushStream carries one message per notification the sync API records:
// a local user's push rules said an event notifies them. The push
// delivery (clientapi/pushers) consumes it and calls the user's push
// gateways.
const (
	PushStream  = "SYNCAPI_PUSH"
	PushSubject = "syncapi.push"
)

// PushStreams are the streams the sync API publishes notifications to.
func PushStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        PushStream,
		Description: "syncapi: events that notify a local user, for push gateways",
		Subjects:    []string{PushSubject},
		Storage:     bus.FileStorage,
		// A push older than a day tells a phone nothing useful.
		MaxAge:     24 * time.Hour,
		Duplicates: 2 * time.Minute,
	}}
}

// PushVersion is the wire version of Push.
const PushVersion = 1

// Push is one event that notifies one local user, written through the
// sync API's outbox in the transaction that records the notification.
//
// https://spec.matrix.org/latest/client-server-api/#push-notifications
type Push struct {
	// Version is PushVersion.
	Version int    `json:"v"`
	UserID  string `json:"user_id"`
	RoomID  string `json:"room_id"`
	EventID string `json:"event_id"`
	// Actions are the actions of the push rule that matched (notify and
	// the tweaks), as the client-server API writes them.
	Actions json.RawMessage `json:"actions"`
	// Highlight is whether the actions set the highlight tweak.
	Highlight bool `json:"highlight,omitempty"`
}

// MessageType names the message in bus headers.
func (Push) MessageType() string { return "syncapi.push" }

// MessageVersion is the wire version in bus headers.
func (Push) MessageVersion() int { return PushVersion }

// PushEvent is what a push gateway is told about a notifying event,
// besides what Push carries.
type PushEvent struct {
	Type     string          `json:"type"`
	Sender   string          `json:"sender"`
	StateKey *string         `json:"state_key,omitempty"`
	Content  json.RawMessage `json:"content"`
	// SenderDisplayName, RoomName and RoomAlias are read from the room's
	// current state; empty when unset.
	SenderDisplayName string
	RoomName          string
	RoomAlias         string
	// Unread is the user's count of unread notifications across the rooms
	// they are joined to.
	Unread int
}

// PushDetails answers what a push needs from the sync API's copy of
// rooms. The sync API implements it.
type PushDetails interface {
	// PushEvent describes a stored event for the user; found is false
	// when the sync API does not hold it.
	PushEvent(ctx context.Context, userID, eventID string) (ev PushEvent, found bool, err error)
}
