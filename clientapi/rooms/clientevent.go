package rooms

import (
	"encoding/json"

	"github.com/ocomms/ocomms/spec/event"
)

// clientEvent is an event in the client format the state endpoints answer.
//
// https://spec.matrix.org/latest/client-server-api/#room-event-format
type clientEvent struct {
	Content        json.RawMessage `json:"content"`
	EventID        string          `json:"event_id"`
	OriginServerTS int64           `json:"origin_server_ts"`
	RoomID         string          `json:"room_id"`
	Sender         string          `json:"sender"`
	StateKey       *string         `json:"state_key,omitempty"`
	Type           string          `json:"type"`
	Unsigned       json.RawMessage `json:"unsigned,omitempty"`
	// Redacts is kept at the top level for clients of rooms before v11,
	// where it lived there.
	Redacts string `json:"redacts,omitempty"`
}

func toClientEvent(ev *event.Event) clientEvent {
	ce := clientEvent{
		Content:        ev.Content(),
		EventID:        ev.EventID(),
		OriginServerTS: ev.OriginServerTS(),
		RoomID:         ev.RoomID(),
		Sender:         ev.Sender(),
		StateKey:       ev.StateKey(),
		Type:           ev.Type(),
		Redacts:        ev.Redacts(),
	}
	if len(ce.Content) == 0 {
		ce.Content = json.RawMessage(`{}`)
	}
	if u := ev.Unsigned(); len(u) > 0 && string(u) != "{}" {
		ce.Unsigned = u
	}
	return ce
}

func toClientEvents(evs []*event.Event) []clientEvent {
	out := make([]clientEvent, 0, len(evs))
	for _, ev := range evs {
		out = append(out, toClientEvent(ev))
	}
	return out
}
