package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
)

// strippedStateTypes are the state events a user who is invited to or
// knocking on a room may see, as Synapse shares them by default.
// https://spec.matrix.org/latest/client-server-api/#stripped-state
var strippedStateTypes = map[string]bool{
	"m.room.create": true, "m.room.join_rules": true, "m.room.name": true, "m.room.avatar": true,
	"m.room.canonical_alias": true, "m.room.encryption": true, "m.room.topic": true,
}

// strippedRoomState is invite_state (or knock_state) for the membership
// event in row: the stripped state the event carries in
// unsigned.invite_room_state (invites from other servers), else the room's
// state at the time of the event, followed by the event itself.
func (s *SyncAPI) strippedRoomState(ctx context.Context, rs *roomSync, row *stateRow) ([]json.RawMessage, error) {
	ev, err := s.eventByID(ctx, row.eventID)
	if err != nil {
		return nil, err
	}
	if ev == nil {
		return nil, fmt.Errorf("membership event %s is not stored", row.eventID)
	}
	var out []json.RawMessage
	var p struct {
		Unsigned struct {
			InviteRoomState []json.RawMessage `json:"invite_room_state"`
			KnockRoomState  []json.RawMessage `json:"knock_room_state"`
		} `json:"unsigned"`
	}
	_ = json.Unmarshal(ev.pdu, &p)
	carried := p.Unsigned.InviteRoomState
	if row.membership == "knock" {
		carried = p.Unsigned.KnockRoomState
	}
	if len(carried) > 0 {
		// Servers may not pass on what another server sent as is (v1.16):
		// only the stripped state fields reach the client.
		for _, ev := range carried {
			out = append(out, stripEvent(ev))
		}
	} else {
		state, err := s.stateAt(ctx, rs.roomID, row.added-1, "")
		if err != nil {
			return nil, err
		}
		var keep []stateRow
		for _, st := range state {
			if strippedStateTypes[st.evType] && st.stateKey == "" || st.evType == "m.room.member" && st.stateKey == ev.sender {
				keep = append(keep, st)
			}
		}
		evs, err := s.stateEvents(ctx, keep)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			out = append(out, strippedState(e))
		}
	}
	return append(out, rs.fm.event(ev)), nil
}
