package syncapi

import "context"

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
// are events of the same room, and applies erasures marked by markErased
// (erasure.go). A nil visibility marks no membership.
func (v *visibility) markMembership(evs []*eventRow) error {
	for _, e := range evs {
		if v != nil {
			e.membership = v.membershipAfter(e.pos)
		}
		if err := v.applyErasure(e); err != nil {
			return err
		}
		if b := e.relations; b != nil {
			if b.thread != nil && b.thread.latest != nil {
				if err := v.markMembership([]*eventRow{b.thread.latest}); err != nil {
					return err
				}
			}
			if b.replace != nil {
				if err := v.markMembership([]*eventRow{b.replace}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// markGroups prepares the events of every group for their viewer, with
// one erasure lookup for all of them.
func (s *SyncAPI) markGroups(ctx context.Context, groups []roomEvents) error {
	var all []*eventRow
	for _, g := range groups {
		all = append(all, g.events...)
	}
	if err := s.markErased(ctx, all); err != nil {
		return err
	}
	for _, g := range groups {
		if err := g.vis.markMembership(g.events); err != nil {
			return err
		}
	}
	return nil
}
