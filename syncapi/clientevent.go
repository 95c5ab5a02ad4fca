package syncapi

import (
	"encoding/json"
	"strings"
	"time"
)

// formatter turns stored events into what one device receives: the client
// format (or the raw federation format when the filter asks), with
// unsigned.age, prev_content, redacted_because, membership, and
// transaction_id for the device that sent the event.
//
// https://spec.matrix.org/latest/client-server-api/#room-event-format
type formatter struct {
	userID, deviceID string
	federation       bool
	fields           []string
	now              int64
}

func newFormatter(userID, deviceID string, f *Filter) *formatter {
	fm := &formatter{userID: userID, deviceID: deviceID, now: time.Now().UnixMilli()}
	if f != nil {
		fm.federation = f.EventFormat == "federation"
		fm.fields = f.EventFields
	}
	return fm
}

// pduFields are the PDU fields the client format carries.
type pduFields struct {
	Type           string          `json:"type"`
	StateKey       *string         `json:"state_key,omitempty"`
	Sender         string          `json:"sender"`
	Content        json.RawMessage `json:"content"`
	OriginServerTS int64           `json:"origin_server_ts"`
	Redacts        string          `json:"redacts,omitempty"`
	Unsigned       json.RawMessage `json:"unsigned,omitempty"`
}

func (f *formatter) events(evs []*eventRow) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(evs))
	for _, e := range evs {
		out = append(out, f.event(e))
	}
	return out
}

func (f *formatter) event(e *eventRow) json.RawMessage {
	return f.format(e, true)
}

func (f *formatter) format(e *eventRow, withRedaction bool) json.RawMessage {
	var p pduFields
	_ = json.Unmarshal(e.pdu, &p)
	unsigned := map[string]any{}
	if len(p.Unsigned) > 0 {
		_ = json.Unmarshal(p.Unsigned, &unsigned)
	}
	// Stripped room state travels in invite_state, not on the event.
	delete(unsigned, "invite_room_state")
	delete(unsigned, "knock_room_state")
	unsigned["age"] = max(0, f.now-p.OriginServerTS)
	if e.prevPDU != nil {
		var prev pduFields
		if json.Unmarshal(e.prevPDU, &prev) == nil {
			unsigned["prev_content"] = prev.Content
			unsigned["prev_sender"] = prev.Sender
			unsigned["replaces_state"] = e.replaces
		}
	}
	if withRedaction && e.redactionPDU != nil {
		unsigned["redacted_because"] = f.format(&eventRow{eventID: e.redactedBy, roomID: e.roomID, pdu: e.redactionPDU}, false)
	}
	if rel := f.relations(e.relations); rel != nil {
		unsigned["m.relations"] = rel
	}
	if e.membership != "" {
		unsigned["membership"] = e.membership
	}
	if e.txnID != "" && e.txnUser == f.userID && e.txnDevice == f.deviceID {
		unsigned["transaction_id"] = e.txnID
	}

	var out map[string]any
	if f.federation {
		_ = json.Unmarshal(e.pdu, &out)
		if out == nil {
			out = map[string]any{}
		}
		out["event_id"] = e.eventID
	} else {
		out = map[string]any{
			"event_id":         e.eventID,
			"room_id":          e.roomID,
			"type":             p.Type,
			"sender":           p.Sender,
			"content":          p.Content,
			"origin_server_ts": p.OriginServerTS,
		}
		if out["content"] == nil || len(p.Content) == 0 {
			out["content"] = json.RawMessage("{}")
		}
		if p.StateKey != nil {
			out["state_key"] = *p.StateKey
		}
		redacts := p.Redacts
		if redacts == "" && p.Type == "m.room.redaction" {
			var c struct {
				Redacts string `json:"redacts"`
			}
			_ = json.Unmarshal(p.Content, &c)
			redacts = c.Redacts
		}
		if redacts != "" {
			// Room version 11 moved redacts into content; clients written
			// before it still read the top-level key.
			out["redacts"] = redacts
		}
	}
	out["unsigned"] = unsigned
	if len(f.fields) > 0 {
		out = onlyFields(out, f.fields)
	}
	data, _ := json.Marshal(out)
	return data
}

// relations is the m.relations of unsigned for a bundle, nil when empty.
// Events inside it are formatted like the event itself.
// https://spec.matrix.org/latest/client-server-api/#aggregations-of-child-events
func (f *formatter) relations(b *bundle) map[string]any {
	if b == nil {
		return nil
	}
	out := map[string]any{}
	if t := b.thread; t != nil {
		out["m.thread"] = map[string]any{
			"latest_event": f.event(t.latest), "count": t.count, "current_user_participated": t.participated,
		}
	}
	if b.replace != nil {
		out["m.replace"] = f.event(b.replace)
	}
	if len(b.references) > 0 {
		chunk := make([]map[string]string, len(b.references))
		for i, id := range b.references {
			chunk[i] = map[string]string{"event_id": id}
		}
		out["m.reference"] = map[string]any{"chunk": chunk}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// onlyFields keeps the dot-separated paths of event_fields.
// https://spec.matrix.org/latest/appendices/#dot-separated-property-paths
func onlyFields(ev map[string]any, fields []string) map[string]any {
	// Decode nested objects so paths can descend into content.
	data, _ := json.Marshal(ev)
	var full map[string]any
	_ = json.Unmarshal(data, &full)
	out := map[string]any{}
	for _, f := range fields {
		path := splitPath(f)
		copyPath(full, out, path)
	}
	return out
}

func splitPath(p string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p) && (p[i+1] == '.' || p[i+1] == '\\'):
			cur.WriteByte(p[i+1])
			i++
		case p[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(p[i])
		}
	}
	return append(parts, cur.String())
}

func copyPath(src, dst map[string]any, path []string) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		dst[path[0]] = v
		return
	}
	sub, ok := v.(map[string]any)
	if !ok {
		return
	}
	d, ok := dst[path[0]].(map[string]any)
	if !ok {
		d = map[string]any{}
		dst[path[0]] = d
	}
	copyPath(sub, d, path[1:])
}

// strippedState is an event reduced to what a user who is not in the room
// may know. https://spec.matrix.org/latest/client-server-api/#stripped-state
func strippedState(e *eventRow) json.RawMessage { return stripEvent(e.pdu) }

// stripEvent reduces an event in any format (a PDU, a client event or
// stripped state) to a stripped state event.
func stripEvent(ev json.RawMessage) json.RawMessage {
	var p pduFields
	_ = json.Unmarshal(ev, &p)
	sk := ""
	if p.StateKey != nil {
		sk = *p.StateKey
	}
	data, _ := json.Marshal(map[string]any{"type": p.Type, "state_key": sk, "sender": p.Sender, "content": p.Content})
	return data
}
