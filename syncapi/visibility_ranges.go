package syncapi

import (
	"fmt"
	"slices"
	"strings"
)

// posRange is the stream positions first..last, both included.
type posRange struct{ first, last int64 }

// visibleRanges lists the stream positions in 1..upTo at which the user may
// see an ordinary event (not their own membership), as disjoint ascending
// ranges. canSee depends on an event's position only through the history
// visibility and the user's membership just before it and whether they
// joined since; those change only at the positions where a visibility or
// membership row starts or ends, so testing one position per stretch
// between those is exact. It lets a query over many events (aggregations
// of child events) apply history visibility in SQL.
func (v *visibility) visibleRanges(upTo int64) []posRange {
	cuts := []int64{1}
	add := func(p int64) {
		if p >= 1 && p <= upTo {
			cuts = append(cuts, p)
		}
	}
	for _, s := range v.spans {
		add(s.added + 1)
		if s.removed != 0 {
			add(s.removed + 1)
		}
	}
	for _, m := range v.member {
		add(m.added + 1)
		if m.removed != 0 {
			add(m.removed + 1)
			add(m.removed)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []posRange
	for i, c := range cuts {
		if c > upTo {
			break
		}
		last := upTo
		if i+1 < len(cuts) {
			last = cuts[i+1] - 1
		}
		if !v.canSee(&eventRow{pos: c}) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].last == c-1 {
			out[n-1].last = last
		} else {
			out = append(out, posRange{first: c, last: last})
		}
	}
	return out
}

// rangesSQL is a condition that col lies in one of the ranges, with its
// bounds added to args through arg.
func rangesSQL(col string, ranges []posRange, arg func(any) string) string {
	if len(ranges) == 0 {
		return "1 = 0"
	}
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		parts[i] = fmt.Sprintf("%s BETWEEN %s AND %s", col, arg(r.first), arg(r.last))
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}
