package syncapi

import "testing"

// TestVisibleRangesAgreeWithCanSee checks the ranges against canSee at
// every position, for membership and history visibility histories with
// joins, leaves, invites and visibility changes.
func TestVisibleRangesAgreeWithCanSee(t *testing.T) {
	member := func(m string, added, removed int64) stateRow {
		return stateRow{membership: m, added: added, removed: removed}
	}
	tests := []struct {
		name   string
		spans  []visibilitySpan
		member []stateRow
	}{
		{"never a member, shared", nil, nil},
		{"world readable", []visibilitySpan{{added: 3, value: "world_readable"}}, nil},
		{"joined, left, rejoined under joined", []visibilitySpan{{added: 2, value: "joined"}},
			[]stateRow{member("join", 5, 9), member("leave", 9, 14), member("join", 14, 0)}},
		{"shared, then left", []visibilitySpan{{added: 2, value: "shared"}},
			[]stateRow{member("join", 6, 11), member("leave", 11, 0)}},
		{"invited under invited, then joined", []visibilitySpan{{added: 2, removed: 8, value: "invited"}, {added: 8, value: "joined"}},
			[]stateRow{member("invite", 4, 10), member("join", 10, 0)}},
		{"visibility changing while joined", []visibilitySpan{{added: 1, removed: 7, value: "joined"}, {added: 7, removed: 12, value: "world_readable"}, {added: 12, value: "invited"}},
			[]stateRow{member("join", 3, 5), member("ban", 5, 0)}},
	}
	const upTo = 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &visibility{userID: "@u:test", spans: tt.spans, member: tt.member}
			ranges := v.visibleRanges(upTo)
			in := func(p int64) bool {
				for _, r := range ranges {
					if r.first <= p && p <= r.last {
						return true
					}
				}
				return false
			}
			for p := int64(1); p <= upTo; p++ {
				if want := v.canSee(&eventRow{pos: p}); in(p) != want {
					t.Errorf("position %d: in ranges %v = %v, canSee = %v", p, ranges, in(p), want)
				}
			}
			for i := 1; i < len(ranges); i++ {
				if ranges[i].first <= ranges[i-1].last+1 {
					t.Errorf("ranges %v overlap or touch", ranges)
				}
			}
		})
	}
}
