package stateres

import (
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
)

type levels = map[string]int64

// resolveCase builds a fork and returns the states at its tips and the
// state the spec says they resolve to.
type resolveCase struct {
	name    string
	version roomversion.ID
	build   func(r *room) (sets []StateMap, want StateMap)
}

// The classic cases of state resolution v2. Each comment works the answer
// out from the spec's algorithm; the initial room is Alice (creator, 100),
// a public join rule, and Bob, Charlie and Zara joined at power 0.
var v2Cases = []resolveCase{
	{
		// Alice gives Bob 50 (PA) and then bans him (MB) while Bob, on a
		// fork after PA, edits the power levels (PB). PA, PB and MB are
		// power events; MA and Alice's and Bob's first joins come along
		// from the full conflicted set. Sorted: IMA, PA (Alice, 100), MA,
		// IMB (Bob, 0; MB needs it), MB (100), PB (Bob, 50). The ban is
		// applied before Bob's edit, which then fails: Bob is not joined.
		name: "a ban wins over the banned user's concurrent power levels change", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(powerLevels("PA", alice, levels{bob: 50}), start)
			r.add(member("MA", alice, alice, "join"), "PA")
			r.add(member("MB", alice, bob, "ban"), "MA")
			r.add(powerLevels("PB", bob, levels{bob: 50}), "PA")
			return []StateMap{r.stateAfter("MB"), r.stateAfter("PB")},
				r.withEvents(r.stateAfter(start), "PA", "MA", "MB")
		},
	},
	{
		// Alice makes the room invite-only (JR) while Evelyn joins under
		// the public rule (ME). Join rules are power events and are
		// resolved first: IJR then JR. Evelyn's join is then checked
		// against the invite rule in the mainline step and fails.
		name: "a join made under a join rule that a concurrent change revoked is dropped", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(joinRules("JR", alice, "invite"), start)
			r.add(member("ME", evelyn, evelyn, "join"), start)
			return []StateMap{r.stateAfter("JR"), r.stateAfter("ME")},
				r.withEvents(r.stateAfter(start), "JR")
		},
	},
	{
		// PA → PB → PC is one chain of power levels edits, resolved against
		// a fork that only has PA. All three are in the full conflicted
		// set, the auth DAG orders them, and each is allowed by the one
		// before: Charlie may lower his own level.
		name: "a chain of power levels edits is replayed in auth order", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(powerLevels("PA", alice, levels{bob: 50}), start)
			r.add(powerLevels("PB", bob, levels{bob: 50, charlie: 50}), "PA")
			r.add(powerLevels("PC", charlie, levels{bob: 50, charlie: 0}), "PB")
			return []StateMap{r.stateAfter("PC"), r.stateAfter("PA")},
				r.withEvents(r.stateAfter(start), "PC")
		},
	},
	{
		// Fork 1: Alice sets a topic (T2) and demotes Bob (PA2). Fork 2:
		// Bob re-grants himself 50 (PB) and sets a topic (T3). PA2 (Alice,
		// 100) sorts before PB (Bob, 50) and PB then fails. Both topics
		// hang off PA1, one step from the mainline of PA2, so the earlier
		// T2 goes first; T3 fails as Bob now has 0.
		name: "a topic fight is won by the user whose power survives", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(topic("T1", alice, "one"), start)
			r.add(powerLevels("PA1", alice, levels{bob: 50}), "T1")
			r.add(topic("T2", alice, "two"), "PA1")
			r.add(powerLevels("PA2", alice, levels{bob: 0}), "T2")
			r.add(powerLevels("PB", bob, levels{bob: 50}), "PA1")
			r.add(topic("T3", bob, "three"), "PB")
			return []StateMap{r.stateAfter("PA2"), r.stateAfter("T3")},
				r.withEvents(r.stateAfter(start), "PA2", "T2")
		},
	},
	{
		// Fork 1: Alice sets T1, gives Bob 50 (PA), Bob sets T2, Alice bans
		// him (MB). Fork 2 stopped at T1. The power events resolve to PA
		// and the ban. In the mainline of PA, T1 (under IPOWER, position 1)
		// sorts before T2 (under PA, position 0); T2 then fails because
		// Bob is banned, so the topic resets to T1.
		name: "a banned user's topic is undone", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(topic("T1", alice, "one"), start)
			r.add(powerLevels("PA", alice, levels{bob: 50}), "T1")
			r.add(topic("T2", bob, "two"), "PA")
			r.add(member("MB", alice, bob, "ban"), "T2")
			return []StateMap{r.stateAfter("MB"), r.stateAfter("T1")},
				r.withEvents(r.stateAfter(start), "T1", "PA", "MB")
		},
	},
	{
		// Alice makes Bob a moderator (PA). Then Bob kicks Charlie (KC)
		// while Alice demotes Bob (PD). Both are power events; PD (Alice,
		// 100) sorts before KC (Bob, 50), and the kick then fails.
		name: "a kick by a moderator demoted concurrently is dropped", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(powerLevels("PA", alice, levels{bob: 50}), start)
			r.add(member("KC", bob, charlie, "leave"), "PA")
			r.add(powerLevels("PD", alice, levels{bob: 0}), "PA")
			return []StateMap{r.stateAfter("KC"), r.stateAfter("PD")},
				r.withEvents(r.stateAfter(start), "PD")
		},
	},
	{
		// Alice makes Bob an equal (PA); then each edits the power levels
		// concurrently. Equal power, so origin_server_ts decides: Alice's
		// earlier PX is applied first and Bob's later PY on top of it.
		name: "concurrent power levels edits by equals apply in timestamp order", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(powerLevels("PA", alice, levels{bob: 100}), start)
			r.add(powerLevels("PX", alice, levels{bob: 100, zara: 50}), "PA")
			r.add(powerLevels("PY", bob, levels{bob: 100, charlie: 50}), "PA")
			return []StateMap{r.stateAfter("PX"), r.stateAfter("PY")},
				r.withEvents(r.stateAfter(start), "PY")
		},
	},
	{
		// Alice gives Bob 100 and Charlie 50 (PA). Charlie re-sets the join
		// rule (JC); Bob re-joins under it (MB2), so Bob's events cite JC
		// through his membership. Then Bob makes the room invite-only (J2)
		// while, on another fork, he sets a topic (T). The full conflicted
		// set is {J2, JC, T}: MB2 is in both auth chains. J2's path to JC
		// runs through MB2, outside the set, so nothing orders J2 after
		// JC, and Bob (100) sorts before Charlie (50): J2 is applied, then
		// JC, which Charlie may still send. Following the path would have
		// kept J2; Synapse and Dendrite keep JC, and so do we.
		name: "an auth path through an event outside the full conflicted set does not order power events", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(powerLevels("PA", alice, levels{bob: 100, charlie: 50}), start)
			r.add(joinRules("JC", charlie, "public"), "PA")
			r.add(member("MB2", bob, bob, "join"), "JC")
			r.add(joinRules("J2", bob, "invite"), "MB2")
			r.add(topic("T", bob, "bob's"), "MB2")
			return []StateMap{r.stateAfter("J2"), r.stateAfter("T")},
				r.withEvents(r.stateAfter("MB2"), "T")
		},
	},
	{
		// Only messages differ between the forks: nothing is conflicted
		// and the answer is the unconflicted state map.
		name: "forks that differ only in messages resolve to their common state", version: "10",
		build: func(r *room) ([]StateMap, StateMap) {
			start := r.initial()
			r.add(message("M1", alice), start)
			r.add(message("M2", bob), start)
			return []StateMap{r.stateAfter("M1"), r.stateAfter("M2")}, r.stateAfter(start)
		},
	},
}

func TestResolve(t *testing.T) {
	chainSources := []struct {
		name   string
		chains func(r *room) AuthChainLookup
	}{
		{"walking auth events", func(*room) AuthChainLookup { return nil }},
		{"with precomputed auth chains", precomputedAuthChains},
	}
	for _, tc := range allCases() {
		for _, src := range chainSources {
			t.Run(tc.name+"/"+src.name, func(t *testing.T) {
				r := newRoom(t, tc.version)
				sets, want := tc.build(r)
				got, err := Resolve(r.rules, sets, r.lookup, src.chains(r))
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				if d := diff(got, want); d != "" {
					t.Errorf("resolved state differs:\n%s", d)
				}
				reversed := []StateMap{}
				for i := len(sets) - 1; i >= 0; i-- {
					reversed = append(reversed, sets[i])
				}
				again, err := Resolve(r.rules, reversed, r.lookup, src.chains(r))
				if err != nil {
					t.Fatalf("Resolve with the states reversed: %v", err)
				}
				if d := diff(again, got); d != "" {
					t.Errorf("the order of the states changed the answer:\n%s", d)
				}
			})
		}
	}
}

func allCases() []resolveCase {
	var all []resolveCase
	all = append(all, v2Cases...)
	all = append(all, v21Cases...)
	all = append(all, v1Cases...)
	return all
}

// precomputedAuthChains stands in for a database that stores each event's
// auth chain.
func precomputedAuthChains(r *room) AuthChainLookup {
	memo := map[string]map[string]struct{}{}
	var chainOf func(id string) map[string]struct{}
	chainOf = func(id string) map[string]struct{} {
		if c, ok := memo[id]; ok {
			return c
		}
		c := map[string]struct{}{}
		memo[id] = c
		ev := r.events[id]
		if ev == nil {
			return c
		}
		auths := ev.auth
		if r.rules.RoomIDFromCreateEvent && ev.typ != typeCreate {
			auths = append([]string{createID}, auths...)
		}
		for _, a := range auths {
			c[a] = struct{}{}
			for x := range chainOf(a) {
				c[x] = struct{}{}
			}
		}
		return c
	}
	return func(ids []string) (map[string]struct{}, error) {
		out := map[string]struct{}{}
		for _, id := range ids {
			for x := range chainOf(id) {
				out[x] = struct{}{}
			}
		}
		return out, nil
	}
}
