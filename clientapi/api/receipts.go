package api

import (
	"time"

	"github.com/ocomms/ocomms/bus"
)

// ReceiptsStream carries the read receipts local users send
// (POST /rooms/{roomId}/receipt/...), in the order they were stored.
const (
	ReceiptsStream  = "CLIENTAPI_RECEIPTS"
	ReceiptsSubject = "clientapi.receipts"
)

// ReceiptsStreams are the streams the receipts endpoint family publishes to.
func ReceiptsStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        ReceiptsStream,
		Description: "clientapi: read receipts sent by local users",
		Subjects:    []string{ReceiptsSubject},
		Storage:     bus.FileStorage,
		// Consumers copy receipts into their own tables; a week covers
		// any realistic outage of one of them.
		MaxAge:     7 * 24 * time.Hour,
		Duplicates: 2 * time.Minute,
	}}
}

// ReceiptVersion is the wire version of Receipt.
const ReceiptVersion = 1

// Receipt is one receipt a local user sent: they read the room (or one
// thread of it) up to EventID. The sender has checked that the user is
// joined and the event is in the room.
//
// https://spec.matrix.org/latest/client-server-api/#receipts
type Receipt struct {
	// Version is ReceiptVersion.
	Version int    `json:"v"`
	RoomID  string `json:"room_id"`
	UserID  string `json:"user_id"`
	// Type is m.read or m.read.private.
	Type    string `json:"type"`
	EventID string `json:"event_id"`
	// ThreadID is a thread root's event ID or "main" for a threaded
	// receipt, empty for an unthreaded one.
	ThreadID string `json:"thread_id,omitempty"`
	// TS is when the server received the receipt, in milliseconds since
	// the epoch; display only.
	TS int64 `json:"ts"`
}

// MessageType names the message in bus headers.
func (Receipt) MessageType() string { return "clientapi.receipt" }

// MessageVersion is the wire version in bus headers.
func (Receipt) MessageVersion() int { return ReceiptVersion }
