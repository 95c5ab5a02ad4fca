package stateres

// The cases where state resolution v2.1 (room version 12) and v2 differ, and
// v2.1's own versions of the classic cases.
var v21Cases = []resolveCase{
	{
		// Alice gives Bob 100 (PL2) and Bob then edits the power levels
		// (PL3). A second state, reset by some earlier bad resolution,
		// still has IPOWER although Evelyn's join (ME, in both states)
		// was authorised by PL2. The conflict is {IPOWER, PL3}; PL2 is in
		// both full auth chains, so v2 leaves it out of the full
		// conflicted set: IPOWER is applied, PL3 is checked against it,
		// Bob has 0 there, and the power levels reset to IPOWER.
		name: "v2 resets power levels when the path between conflicted events leaves the conflicted set", version: "11",
		build: stateResetFork("IPOWER"),
	},
	{
		// The same fork in v12: PL2 lies on the auth path PL3 → PL2 →
		// IPOWER between two conflicted events, so it is in the conflicted
		// state subgraph. IPOWER, PL2 and PL3 are replayed in order from an
		// empty state and each allows the next: no reset.
		name: "v2.1 replays the conflicted state subgraph and keeps the power levels", version: "12",
		build: stateResetFork("PL3"),
	},
	{
		// The ban race again, in v12: Alice is a creator with infinite
		// power, so the order is unchanged and so is the answer.
		name: "a ban wins over the banned user's concurrent power levels change in v12", version: "12",
		build: v2Cases[0].build,
	},
	{
		name: "a join made under a join rule that a concurrent change revoked is dropped in v12", version: "12",
		build: v2Cases[1].build,
	},
	{
		name: "a topic fight is won by the user whose power survives in v12", version: "12",
		build: v2Cases[3].build,
	},
}

// stateResetFork builds the fork of the state reset cases; want names the
// power levels event the resolution should keep.
func stateResetFork(want string) func(r *room) ([]StateMap, StateMap) {
	return func(r *room) ([]StateMap, StateMap) {
		start := r.initial()
		r.add(powerLevels("PL2", alice, levels{bob: 100}), start)
		r.add(powerLevels("PL3", bob, levels{bob: 100, charlie: 50}), "PL2")
		r.add(member("ME", evelyn, evelyn, "join"), "PL2")
		withEvelyn := r.withEvents(r.stateAfter(start), "ME")
		return []StateMap{r.withEvents(withEvelyn, "PL3"), withEvelyn},
			r.withEvents(withEvelyn, want)
	}
}
