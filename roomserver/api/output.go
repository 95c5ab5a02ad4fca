package api

import (
	"encoding/json"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// OutputStream carries every event the roomserver accepts, in the order it
// accepted them. Subjects are OutputSubject; consumers that need a room's
// events in order consume with ordered delivery.
const (
	OutputStream  = "ROOMSERVER_OUTPUT"
	OutputSubject = "roomserver.output"
)

// Streams are the bus streams the roomserver publishes to.
func Streams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        OutputStream,
		Description: "events accepted by the roomserver, in acceptance order",
		Subjects:    []string{OutputSubject},
		// Consumers (syncapi, federation) read the stream into their own
		// tables; a week covers any realistic outage of one of them.
		MaxAge:     7 * 24 * time.Hour,
		Duplicates: 2 * time.Minute,
	}}
}

// OutputEventVersion is the version of OutputEvent on the wire; a consumer
// refuses versions it does not know instead of misreading them.
const OutputEventVersion = 1

// OutputEvent is one accepted event as published on OutputStream. It is
// published after the event's transaction commits, from a durable outbox,
// so a consumer sees every accepted event at least once (deduplicate on
// Sequence), each room's events in acceptance order.
type OutputEvent struct {
	// Version is OutputEventVersion.
	Version int `json:"v"`
	// Sequence identifies this output for de-duplication (it is also the
	// bus message ID) and increases in acceptance order within a room.
	Sequence    int64          `json:"seq"`
	RoomID      string         `json:"room_id"`
	RoomVersion roomversion.ID `json:"room_version"`
	EventID     string         `json:"event_id"`
	// Event is the full PDU as stored.
	Event json.RawMessage `json:"event"`
	// AddsState and RemovesState are the event IDs that enter and leave the
	// room's current state because of this event.
	AddsState    []string `json:"adds_state,omitempty"`
	RemovesState []string `json:"removes_state,omitempty"`
	// RedactsEventID is set when this event is a redaction that the
	// roomserver applied: consumers redact their copy of that event.
	RedactsEventID string `json:"redacts_event_id,omitempty"`
	// Transaction is set for events sent by a local client with a txn ID.
	Transaction *Transaction `json:"transaction,omitempty"`
}

// MessageType names the message in bus headers.
func (OutputEvent) MessageType() string { return "roomserver.output_event" }

// MessageVersion is the wire version in bus headers.
func (OutputEvent) MessageVersion() int { return OutputEventVersion }
