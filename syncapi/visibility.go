package syncapi

import "context"

// visibilitySpan is one m.room.history_visibility value and the stream
// positions [added, removed) at which it held (removed 0: still holds).
type visibilitySpan struct {
	added, removed int64
	value          string
}

// visibility decides which of a room's events one user may see, following
// the spec's algorithm with the state before each event.
//
// https://spec.matrix.org/latest/client-server-api/#history-visibility
type visibility struct {
	userID string
	spans  []visibilitySpan
	member []stateRow // the user's membership history in the room
	// ignored are the senders whose events other than state the user
	// does not receive (m.ignored_user_list).
	ignored map[string]bool
}

func (s *SyncAPI) visibilityFor(ctx context.Context, userID, roomID string, upTo int64) (*visibility, error) {
	spans, err := s.visibilityHistory(ctx, roomID)
	if err != nil {
		return nil, err
	}
	member, err := s.membershipHistory(ctx, userID, roomID, upTo)
	if err != nil {
		return nil, err
	}
	ignored, err := s.ignoredUsers(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &visibility{userID: userID, spans: spans, member: member, ignored: ignored}, nil
}

// historyVisibilityAt is the setting at position p; "shared" when the room
// never set one, as the spec's default.
func (v *visibility) historyVisibilityAt(p int64) string {
	for _, s := range v.spans {
		if s.added <= p && (s.removed == 0 || s.removed > p) {
			return s.value
		}
	}
	return "shared"
}

func (v *visibility) membershipAt(p int64) string {
	for _, m := range v.member {
		if m.activeAt(p) {
			return m.membership
		}
	}
	return ""
}

// joinedSince reports whether the user was joined at any point at or after
// position p.
func (v *visibility) joinedSince(p int64) bool {
	for _, m := range v.member {
		if m.membership == "join" && (m.removed == 0 || m.removed > p) {
			return true
		}
	}
	return false
}

// everMember reports whether the user ever had a membership in the room.
func (v *visibility) everMember() bool { return len(v.member) > 0 }

func (v *visibility) canSee(e *eventRow) bool {
	// State events of ignored users are still sent, so the room does not
	// look different for ignoring them.
	// https://spec.matrix.org/latest/client-server-api/#ignoring-users
	if e.stateKey == nil && v.ignored[e.sender] {
		return false
	}
	// Users always see events about their own membership: the invite,
	// the kick, the ban.
	if e.evType == "m.room.member" && e.stateKey != nil && *e.stateKey == v.userID {
		return true
	}
	before := e.pos - 1
	hv := v.historyVisibilityAt(before)
	if hv == "world_readable" {
		return true
	}
	membership := v.membershipAt(before)
	switch {
	case membership == "join":
		return true
	case hv == "shared" && v.joinedSince(e.pos):
		return true
	case hv == "invited" && membership == "invite":
		return true
	}
	return false
}

func (v *visibility) filter(evs []*eventRow) []*eventRow {
	out := evs[:0:0]
	for _, e := range evs {
		if v.canSee(e) {
			out = append(out, e)
		}
	}
	return out
}
