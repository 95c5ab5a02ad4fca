package api

import (
	"time"

	"github.com/ocomms/ocomms/bus"
)

// PresenceStream carries every change of a local user's presence, from
// the presence component's outbox.
const (
	PresenceStream  = "CLIENTAPI_PRESENCE"
	PresenceSubject = "clientapi.presence"
)

// The presence states.
// https://spec.matrix.org/latest/client-server-api/#presence
const (
	PresenceOnline      = "online"
	PresenceUnavailable = "unavailable"
	PresenceOffline     = "offline"
)

// PresenceStreams are the bus streams of presence changes.
func PresenceStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        PresenceStream,
		Description: "clientapi: presence changes of local users",
		Subjects:    []string{PresenceSubject},
		// Consumers keep their own copy; a day covers an outage of one.
		MaxAge:     24 * time.Hour,
		Duplicates: 2 * time.Minute,
	}}
}

// PresenceVersion is the wire version of Presence.
const PresenceVersion = 1

// Presence is a user's presence after a change. Serial increases with
// every change of the user's presence, so a consumer keeps the highest it
// saw and ignores redeliveries and anything older.
type Presence struct {
	// Version is PresenceVersion.
	Version  int    `json:"v"`
	UserID   string `json:"user_id"`
	Serial   int64  `json:"serial"`
	Presence string `json:"presence"`
	// StatusMsg is the user's status message, nil when none is set.
	StatusMsg *string `json:"status_msg,omitempty"`
	// LastActiveTS is when the user was last active, in milliseconds since
	// the epoch (0: never).
	LastActiveTS    int64 `json:"last_active_ts,omitempty"`
	CurrentlyActive bool  `json:"currently_active,omitempty"`
}

func (Presence) MessageType() string { return "clientapi.presence" }
func (Presence) MessageVersion() int { return PresenceVersion }
