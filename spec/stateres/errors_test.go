package stateres

import (
	"errors"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

var errDatabase = errors.New("database unavailable")

// topicFork returns two states that conflict on the topic only.
func topicFork(r *room) []StateMap {
	start := r.initial()
	r.add(topic("T1", alice, "one"), start)
	r.add(topic("T2", alice, "two"), start)
	return []StateMap{r.stateAfter("T1"), r.stateAfter("T2")}
}

func TestResolveRefusesWhatItCannotResolve(t *testing.T) {
	tests := []struct {
		name    string
		resolve func(r *room, sets []StateMap) error
		want    error
	}{
		{
			name: "rules without a state resolution algorithm are refused",
			resolve: func(r *room, sets []StateMap) error {
				_, err := Resolve(roomversion.Rules{ID: "x"}, sets, r.lookup, nil)
				return err
			},
			want: ErrUnknownAlgorithm,
		},
		{
			name: "several states without an event lookup are refused",
			resolve: func(r *room, sets []StateMap) error {
				_, err := Resolve(r.rules, sets, nil, nil)
				return err
			},
			want: ErrNoEventLookup,
		},
		{
			name: "an event lookup failure is returned",
			resolve: func(r *room, sets []StateMap) error {
				failing := func([]string) (map[string]event.PDU, error) { return nil, errDatabase }
				_, err := Resolve(r.rules, sets, failing, nil)
				return err
			},
			want: errDatabase,
		},
		{
			name: "an auth chain lookup failure is returned",
			resolve: func(r *room, sets []StateMap) error {
				failing := func([]string) (map[string]struct{}, error) { return nil, errDatabase }
				_, err := Resolve(r.rules, sets, r.lookup, failing)
				return err
			},
			want: errDatabase,
		},
		{
			name: "an event from another room is refused",
			resolve: func(r *room, sets []StateMap) error {
				r.events["$T2"].roomID = "!elsewhere:example.org"
				_, err := Resolve(r.rules, sets, r.lookup, nil)
				return err
			},
			want: ErrRoomMismatch,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, "10")
			sets := topicFork(r)
			if err := tt.resolve(r, sets); !errors.Is(err, tt.want) {
				t.Errorf("got error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestResolveCopesWithBadInput(t *testing.T) {
	tests := []struct {
		name    string
		version roomversion.ID
		build   func(r *room) (sets []StateMap, want StateMap)
	}{
		{
			name: "no states resolve to the empty state", version: "10",
			build: func(r *room) ([]StateMap, StateMap) { return nil, StateMap{} },
		},
		{
			name: "one state resolves to itself", version: "10",
			build: func(r *room) ([]StateMap, StateMap) {
				s := r.stateAfter(r.initial())
				return []StateMap{s}, s
			},
		},
		{
			// The unknown topic takes no part; T1 is the only candidate.
			name: "a conflicted event the lookup does not know is left out", version: "10",
			build: func(r *room) ([]StateMap, StateMap) {
				start := r.initial()
				r.add(topic("T1", alice, "one"), start)
				ghost := r.stateAfter(start)
				ghost[r.events["$T1"].key()] = "$GHOST"
				return []StateMap{r.stateAfter("T1"), ghost}, r.stateAfter("T1")
			},
		},
		{
			name: "a conflicted event the lookup does not know is left out in v1", version: "1",
			build: func(r *room) ([]StateMap, StateMap) {
				start := r.initial()
				r.add(topic("T1", alice, "one"), start)
				ghost := r.stateAfter(start)
				ghost[r.events["$T1"].key()] = "$GHOST"
				return []StateMap{r.stateAfter("T1"), ghost}, r.stateAfter("T1")
			},
		},
		{
			// In v12 the checks of PL3 start from an empty state, so Bob's
			// membership can only come from PL3's auth events; IMB is marked
			// rejected, so it may not be used, Bob is not joined, and PL3
			// fails, leaving PL2.
			name: "a rejected auth event is not used by the iterative auth checks", version: "12",
			build: func(r *room) ([]StateMap, StateMap) {
				sets, _ := stateResetFork("PL3")(r)
				r.events["$IMB"].rejected = true
				return sets, r.withEvents(sets[1], "PL2")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, tt.version)
			sets, want := tt.build(r)
			got, err := Resolve(r.rules, sets, r.lookup, nil)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if d := diff(got, want); d != "" {
				t.Errorf("resolved state differs:\n%s", d)
			}
		})
	}
}

func TestResolveWithoutConflictReadsNoEvents(t *testing.T) {
	for _, version := range []roomversion.ID{"1", "10", "12"} {
		t.Run("room version "+string(version), func(t *testing.T) {
			r := newRoom(t, version)
			start := r.initial()
			r.add(message("M1", alice), start)
			r.add(message("M2", bob), start)
			r.lookups = 0
			got, err := Resolve(r.rules, []StateMap{r.stateAfter("M1"), r.stateAfter("M2")}, r.lookup, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(got, r.stateAfter(start)); d != "" {
				t.Errorf("resolved state differs:\n%s", d)
			}
			if r.lookups != 0 {
				t.Errorf("the event lookup was called %d times", r.lookups)
			}
		})
	}
}

func TestResolveEndsOnAuthCycles(t *testing.T) {
	for _, version := range []roomversion.ID{"1", "10", "12"} {
		t.Run("room version "+string(version), func(t *testing.T) {
			r := newRoom(t, version)
			start := r.initial()
			base := r.stateAfter(start)
			cite := func(ids ...string) []string {
				if r.rules.RoomIDFromCreateEvent {
					return ids
				}
				return append([]string{createID}, ids...)
			}
			// Two power levels events and two topics that cite each other:
			// no server would accept them, but resolution must still end
			// and agree with itself.
			r.addWithAuth(powerLevels("PA", alice, levels{bob: 1}), cite("IMA", "PB"), nil)
			r.addWithAuth(powerLevels("PB", alice, levels{bob: 2}), cite("IMA", "PA"), nil)
			r.addWithAuth(topic("TA", alice, "a"), cite("IMA", "PA", "TB"), nil)
			r.addWithAuth(topic("TB", alice, "b"), cite("IMA", "PB", "TA"), nil)
			sets := []StateMap{r.withEvents(base, "PA", "TA"), r.withEvents(base, "PB", "TB")}
			first, err := Resolve(r.rules, sets, r.lookup, nil)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Resolve(r.rules, []StateMap{sets[1], sets[0]}, r.lookup, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(again, first); d != "" {
				t.Errorf("the order of the states changed the answer:\n%s", d)
			}
		})
	}
}
