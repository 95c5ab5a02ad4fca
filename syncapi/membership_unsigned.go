package syncapi

// unsigned.membership (MSC4115, spec v1.11) tells a client what the
// requesting user's membership was when each event happened, so it can
// tell events it saw live from history it was let into. The user's
// membership history in the room is already loaded for history
// visibility, so marking events costs no query.
//
// https://spec.matrix.org/latest/client-server-api/#definition-clientevent_unsigneddata

// membershipAfter is the user's membership just after the event at
// position p, including any change the event itself made; "leave" when
// the user had no membership yet, as the spec asks.
func (v *visibility) membershipAfter(p int64) string {
	if m := v.membershipAt(p); m != "" {
		return m
	}
	return "leave"
}

// markMembership sets membership on the events and on the events their
// bundled aggregations carry (the latest thread event and the edit), which
// are events of the same room. A nil visibility marks nothing.
func (v *visibility) markMembership(evs []*eventRow) {
	if v == nil {
		return
	}
	for _, e := range evs {
		e.membership = v.membershipAfter(e.pos)
		if b := e.relations; b != nil {
			if b.thread != nil && b.thread.latest != nil {
				v.markMembership([]*eventRow{b.thread.latest})
			}
			if b.replace != nil {
				v.markMembership([]*eventRow{b.replace})
			}
		}
	}
}

func markGroups(groups []roomEvents) {
	for _, g := range groups {
		g.vis.markMembership(g.events)
	}
}
