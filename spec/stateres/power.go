package stateres

import (
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

// isPowerEvent reports whether ev might take away someone's ability to do
// something in the room: power levels, join rules, and kicks and bans of
// another user. The create event is counted too, as Synapse and Dendrite
// do: it can only be conflicted in a broken room, and there it must be
// ordered before everything it authorises.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
func isPowerEvent(ev event.PDU) bool {
	sk := ev.StateKey()
	if sk == nil {
		return false
	}
	switch ev.Type() {
	case typePowerLevels, typeJoinRules, typeCreate:
		return *sk == ""
	case typeMember:
		if *sk == ev.Sender() {
			return false
		}
		m := membership(ev)
		return m == "leave" || m == "ban"
	}
	return false
}

// senderPowers remembers sender power levels by the power levels event,
// create event and sender they were computed from: in a real room most
// events share a handful of these triples, and parsing power levels content
// (which can list thousands of users) once per event would dominate.
type senderPowers struct {
	s     *store
	cache map[powerKey]int64
}

type powerKey struct{ powerLevels, create, sender string }

func newSenderPowers(s *store) *senderPowers {
	return &senderPowers{s: s, cache: map[powerKey]int64{}}
}

// level returns the power level of ev's sender according to ev's own auth
// events, as the reverse topological power ordering compares them. Like
// Synapse (_get_power_level_for_sender), it reads the last power levels
// and create events among the auth events, and gives the create event,
// which has no auth events, level 0. Content the auth rules cannot parse
// counts as level 0, so a malformed event sorts after every well-formed
// one rather than stopping the resolution.
//
// https://spec.matrix.org/latest/rooms/v2/#definitions
func (p *senderPowers) level(ev event.PDU) int64 {
	if isCreate(ev) {
		return 0
	}
	var pl, create event.PDU
	for _, id := range p.s.authEventIDs(ev) {
		a := p.s.event(id)
		switch {
		case a == nil || !isStateKey(a, ""):
		case a.Type() == typePowerLevels:
			pl = a
		case a.Type() == typeCreate:
			create = a
		}
	}
	key := powerKey{sender: ev.Sender()}
	if pl != nil {
		key.powerLevels = pl.EventID()
	}
	if create != nil {
		key.create = create.EventID()
	}
	if l, ok := p.cache[key]; ok {
		return l
	}
	l, err := auth.SenderPowerLevel(p.s.rules, ev.Sender(), pl, create)
	if err != nil {
		l = 0
	}
	p.cache[key] = l
	return l
}
