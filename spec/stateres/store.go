package stateres

import (
	"encoding/json"
	"fmt"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

const (
	typeCreate      = "m.room.create"
	typePowerLevels = "m.room.power_levels"
	typeJoinRules   = "m.room.join_rules"
	typeMember      = "m.room.member"
)

// store caches every event one resolution reads, so each event costs one
// lookup however many algorithm steps need it, and batches the lookups so a
// database-backed EventLookup is asked once per step rather than once per
// event.
type store struct {
	rules  roomversion.Rules
	lookup EventLookup
	// events holds a nil PDU for an ID the lookup did not know, so it is not
	// asked again.
	events map[string]event.PDU
	roomID string
}

func newStore(rules roomversion.Rules, lookup EventLookup) *store {
	return &store{rules: rules, lookup: lookup, events: map[string]event.PDU{}}
}

// load makes sure every ID in ids has been asked of the lookup.
func (s *store) load(ids []string) error {
	var need []string
	for _, id := range ids {
		if _, ok := s.events[id]; !ok {
			s.events[id] = nil
			need = append(need, id)
		}
	}
	if len(need) == 0 {
		return nil
	}
	got, err := s.lookup(need)
	if err != nil {
		// Forget the attempt, so that a later call may try again.
		for _, id := range need {
			delete(s.events, id)
		}
		return fmt.Errorf("stateres: looking up %d events: %w", len(need), err)
	}
	for _, id := range need {
		ev := got[id]
		if ev == nil || ev.EventID() != id {
			continue
		}
		// A version 12 create event carries no room_id: its ID is the room's.
		switch room := ev.RoomID(); {
		case room == "":
		case s.roomID == "":
			s.roomID = room
		case room != s.roomID:
			return fmt.Errorf("%w: %s is in %s, not %s", ErrRoomMismatch, id, ev.RoomID(), s.roomID)
		}
		s.events[id] = ev
	}
	return nil
}

// event returns a loaded event, or nil when it is unknown or not loaded.
func (s *store) event(id string) event.PDU {
	return s.events[id]
}

// get loads one event and returns it, nil when the lookup does not know it.
func (s *store) get(id string) (event.PDU, error) {
	if err := s.load([]string{id}); err != nil {
		return nil, err
	}
	return s.events[id], nil
}

// authEventIDs returns the auth events of ev. From room version 12 the
// create event is left out of auth_events on the wire but still authorises
// every other event, so it is added back here: its ID is the room ID with
// the sigil changed.
//
// https://spec.matrix.org/latest/rooms/v12/#event-format
func (s *store) authEventIDs(ev event.PDU) []string {
	ids := ev.AuthEventIDs()
	if !s.rules.RoomIDFromCreateEvent || isCreate(ev) || len(ev.RoomID()) < 2 {
		return ids
	}
	createID := "$" + ev.RoomID()[1:]
	for _, id := range ids {
		if id == createID {
			return ids
		}
	}
	out := make([]string, 0, len(ids)+1)
	out = append(out, createID)
	return append(out, ids...)
}

// loadAuthEvents loads the auth events of every loaded event among ids.
func (s *store) loadAuthEvents(ids []string) error {
	var need []string
	for _, id := range ids {
		if ev := s.events[id]; ev != nil {
			need = append(need, s.authEventIDs(ev)...)
		}
	}
	return s.load(need)
}

// authEventOfType returns the first loaded auth event of ev at the key
// (evType, ""), or nil.
func (s *store) authEventOfType(ev event.PDU, evType string) event.PDU {
	for _, id := range s.authEventIDs(ev) {
		if a := s.events[id]; a != nil && a.Type() == evType && isStateKey(a, "") {
			return a
		}
	}
	return nil
}

func stateKeyOf(ev event.PDU) (auth.StateKey, bool) {
	sk := ev.StateKey()
	if sk == nil {
		return auth.StateKey{}, false
	}
	return auth.StateKey{Type: ev.Type(), StateKey: *sk}, true
}

func isStateKey(ev event.PDU, key string) bool {
	sk := ev.StateKey()
	return sk != nil && *sk == key
}

func isCreate(ev event.PDU) bool {
	return ev.Type() == typeCreate && isStateKey(ev, "")
}

func isRejected(ev event.PDU) bool {
	r, ok := ev.(auth.RejectedEvent)
	return ok && r.Rejected()
}

// membership reads content.membership, "" when absent or malformed.
func membership(ev event.PDU) string {
	var c struct {
		Membership json.RawMessage `json:"membership"`
	}
	if json.Unmarshal(ev.Content(), &c) != nil {
		return ""
	}
	var m string
	if json.Unmarshal(c.Membership, &m) != nil {
		return ""
	}
	return m
}
