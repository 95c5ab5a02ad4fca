package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
)

// typingSection reports m.typing in rooms.join[].ephemeral: for every
// joined room whose typing set changed in (from, to], its current set, and
// on an initial sync or for a newly joined room, the set if someone types.
//
// https://spec.matrix.org/latest/client-server-api/#mtyping
func (s *SyncAPI) typingSection() section {
	return section{
		name:     streamTyping,
		position: func(t *syncToken) *int64 { return &t.Typing },
		current:  func(context.Context) (int64, error) { return s.typing.position(), nil },
		add:      s.addTyping,
	}
}

func (s *SyncAPI) addTyping(_ context.Context, sc *syncContext, from, to int64) error {
	f := &sc.req.filter.Room.Ephemeral
	if !allows(f.Types, f.NotTypes, "m.typing", true) {
		return nil
	}
	sets, dropped := s.typing.snapshot(sc.joined)
	for _, roomID := range sc.joined {
		if !allows(f.Rooms, f.NotRooms, roomID, false) {
			continue
		}
		set := sets[roomID]
		var include bool
		switch {
		case from == 0 || sc.newlyJoined[roomID]:
			include = len(set.users) > 0
		case from < int64(dropped):
			// The change may be one this instance no longer remembers.
			include = true
		default:
			include = int64(set.changed) > from && int64(set.changed) <= to
		}
		if !include {
			continue
		}
		if set.users == nil {
			set.users = []string{}
		}
		ev, err := json.Marshal(map[string]any{"type": "m.typing", "content": map[string]any{"user_ids": set.users}})
		if err != nil {
			return fmt.Errorf("encoding m.typing: %w", err)
		}
		jr := sc.joinedRoom(roomID)
		jr.Ephemeral.Events = append(jr.Ephemeral.Events, ev)
	}
	return nil
}
