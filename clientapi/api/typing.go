package api

import (
	"strconv"
	"time"

	"github.com/ocomms/ocomms/bus"
)

// TypingStream carries typing notifications: a user started or stopped
// typing in a room. Every syncapi instance reads the whole stream (what it
// still holds) into memory, so all instances hold the same typing state and
// the stream sequence of the last message applied is the typing position
// of a sync token on any of them.
const (
	TypingStream  = "CLIENTAPI_TYPING"
	TypingSubject = "clientapi.typing"
)

// Typing timeouts: a client's timeout is honoured up to MaxTypingTimeout,
// and a start without one lasts DefaultTypingTimeout.
const (
	DefaultTypingTimeout = 30 * time.Second
	MaxTypingTimeout     = 120 * time.Second
)

// TypingStreams are the bus streams of typing notifications.
//
// MaxAge must exceed MaxTypingTimeout: an instance starting late rebuilds
// the typing state from what the stream holds, and a start older than
// MaxAge has expired anyway. The stream uses file storage although the
// messages are worthless minutes later: a memory stream on a standalone
// NATS disappears when NATS restarts and its sequences start again at 1,
// which would stall the readers that resume after the last sequence they
// saw; a few small writes per keystroke burst cost less.
func TypingStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        TypingStream,
		Description: "clientapi: users starting and stopping typing in rooms",
		Subjects:    []string{TypingSubject},
		MaxAge:      MaxTypingTimeout + 3*time.Minute,
		// Every instance publishes the stop of an expired typing
		// notification under the same message ID; the stream keeps one.
		Duplicates: 2 * time.Minute,
	}}
}

// TypingVersion is the wire version of Typing.
const TypingVersion = 1

// Typing is one typing notification. A start (Typing true) lasts TimeoutMS
// from the moment the stream stored it (the message's Published time, the
// same on every reader), unless a later message for the same room and user
// replaces it. A stop either comes from the user (Expires 0) or is the
// expiry of the start at stream sequence Expires, which applies only if
// that start is still the user's latest.
type Typing struct {
	// Version is TypingVersion.
	Version   int    `json:"v"`
	RoomID    string `json:"room_id"`
	UserID    string `json:"user_id"`
	Typing    bool   `json:"typing"`
	TimeoutMS int64  `json:"timeout_ms,omitempty"`
	Expires   uint64 `json:"expires,omitempty"`
}

func (Typing) MessageType() string { return "clientapi.typing" }
func (Typing) MessageVersion() int { return TypingVersion }

// TypingExpiryMsgID is the bus message ID of the stop that ends the start
// at stream sequence startSeq: identical on every instance, so the stream
// keeps one stop however many instances notice the expiry.
func TypingExpiryMsgID(roomID, userID string, startSeq uint64) string {
	return "typing-expiry:" + roomID + ":" + userID + ":" + strconv.FormatUint(startSeq, 10)
}
