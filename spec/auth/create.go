package auth

import (
	"encoding/json"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// checkCreate is rule 1, for m.room.create. It looks at the event alone: a
// room's first event has no state to be checked against.
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
// https://spec.matrix.org/latest/rooms/v11/#authorization-rules
func checkCreate(rules roomversion.Rules, ev event.PDU) error {
	if prev := ev.PrevEventIDs(); len(prev) > 0 {
		return reject(rules, RuleCreatePrevEvents, "m.room.create has %d prev_events", len(prev))
	}
	if rules.RoomIDFromCreateEvent {
		// The event's own ID names the room, so the wire form carries no
		// room_id; the PDU may still report the derived one.
		if top, ok := object(ev.JSON()); !ok {
			return reject(rules, RuleCreateRoomID, "the event is not a JSON object")
		} else if _, has := top["room_id"]; has {
			return reject(rules, RuleCreateRoomID, "m.room.create has a room_id")
		}
	} else if domainOf(ev.RoomID()) != domainOf(ev.Sender()) {
		return reject(rules, RuleCreateRoomIDDomain, "room %s is not on the server of sender %s", ev.RoomID(), ev.Sender())
	}
	content, ok := object(ev.Content())
	if !ok {
		// Content that is not an object has no room_version, creator or
		// additional_creators: only the rules below that need one of those
		// can reject it.
		content = map[string]json.RawMessage{}
	}
	if raw, has := content["room_version"]; has {
		v, isString := asString(raw)
		if !isString {
			return reject(rules, RuleCreateRoomVersion, "room_version %s is not a string", raw)
		}
		if _, err := roomversion.Lookup(roomversion.ID(v)); err != nil {
			return reject(rules, RuleCreateRoomVersion, "room_version %q is not recognised", v)
		}
	}
	if !rules.ImplicitRoomCreator {
		if _, has := content["creator"]; !has {
			return reject(rules, RuleCreateCreator, "content has no creator")
		}
	}
	if raw, has := content["additional_creators"]; has && rules.PrivilegedCreators {
		var entries []json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil || !isArray(raw) {
			return reject(rules, RuleCreateAdditionalCreators, "additional_creators is not an array")
		}
		for _, e := range entries {
			u, isString := asString(e)
			if !isString || !validUserID(u) {
				return reject(rules, RuleCreateAdditionalCreators, "additional_creators entry %s is not a user ID", e)
			}
		}
	}
	return nil
}

func isArray(raw json.RawMessage) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '['
	}
	return false
}
