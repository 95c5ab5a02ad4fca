package stateres

// Cases for the original algorithm of room version 1, worked out from
// https://spec.matrix.org/latest/rooms/v1/#state-resolution.
var v1Cases = []resolveCase{
	{
		// The ban race in v1. R starts as the unconflicted state, which
		// lacks the power levels and Alice's and Bob's memberships. Power
		// levels {PA, PB} by ascending depth: PA, then PB is checked with
		// PA in R but no membership for Bob, fails, and PA stays. The
		// memberships are then resolved independently against that R:
		// Alice's MA (a re-join) is allowed, but the ban MB is checked
		// without Alice's membership, fails, and Bob's join survives.
		name: "v1 loses a ban when the banner's membership is also conflicted", version: "1",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(powerLevels("PA", alice, levels{bob: 50}), start)
			r.add(member("MA", alice, alice, "join"), "PA")
			r.add(member("MB", alice, bob, "ban"), "MA")
			r.add(powerLevels("PB", bob, levels{bob: 50}), "PA")
			return []StateMap{r.stateAfter("MB"), r.stateAfter("PB")},
				r.withEvents(r.stateAfter(start), "PA", "MA")
		},
	},
	{
		// Two topics from Alice at different depths: the deeper one that
		// passes the checks wins.
		name: "v1 picks the deepest allowed topic", version: "1",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(topic("T1", alice, "one"), start)
			r.add(message("M1", alice), start)
			r.add(topic("T2", alice, "two"), "M1")
			return []StateMap{r.stateAfter("T1"), r.stateAfter("T2")},
				r.withEvents(r.stateAfter(start), "T2")
		},
	},
	{
		// Zara (power 0) cannot set a topic once power levels exist, so a
		// deeper topic of hers, found only in a state that is otherwise the
		// same, loses to Alice's.
		name: "v1 skips a deeper topic its sender may not set", version: "1",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(topic("T1", alice, "one"), start)
			r.add(message("M1", alice), start)
			r.add(message("M2", alice), "M1")
			zaras := r.addWithAuth(topic("TZ", zara, "zara's"), []string{createID, "$IPOWER", "$IMZ"}, nil)
			zaras.depth = 50
			return []StateMap{r.stateAfter("T1"), r.withEvents(r.stateAfter(start), "TZ")},
				r.withEvents(r.stateAfter(start), "T1")
		},
	},
}
