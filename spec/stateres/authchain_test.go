package stateres

import (
	"errors"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
)

func TestWalkAuthChains(t *testing.T) {
	tests := []struct {
		name    string
		version roomversion.ID
		from    []string
		want    []string
	}{
		{
			name: "Bob's join reaches back to the create event", version: "10",
			from: []string{"$IMB"},
			want: []string{createID, "$IMA", "$IPOWER", "$IJR"},
		},
		{
			name: "the starting events are left out unless another leads to them", version: "10",
			from: []string{"$IMB", "$IPOWER"},
			want: []string{createID, "$IMA", "$IPOWER", "$IJR"},
		},
		{
			name: "the create event is in every v12 auth chain though no event cites it", version: "12",
			from: []string{"$IMA"},
			want: []string{createID},
		},
		{
			name: "an event the lookup does not know has an empty auth chain", version: "10",
			from: []string{"$GHOST"},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, tt.version)
			r.initial()
			got, err := WalkAuthChains(r.rules, r.lookup)(tt.from)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d events %v, want %v", len(got), sortedIDs(got), tt.want)
			}
			for _, id := range tt.want {
				if _, ok := got[id]; !ok {
					t.Errorf("%s missing from %v", id, sortedIDs(got))
				}
			}
		})
	}
}

func TestWalkAuthChainsWithoutLookupFails(t *testing.T) {
	_, err := WalkAuthChains(roomversion.Rules{}, nil)([]string{"$x"})
	if !errors.Is(err, ErrNoEventLookup) {
		t.Errorf("got %v, want ErrNoEventLookup", err)
	}
}

// TestConflictedStateSubgraph checks the definition of room version 12:
// "Starting from an event in the conflicted state set and following
// auth_events edges may lead to another event in the conflicted state set.
// The union of all such paths between any pair of events in the conflicted
// state set (including endpoints) forms [...] the conflicted state
// subgraph." https://spec.matrix.org/latest/rooms/v12/#definitions
func TestConflictedStateSubgraph(t *testing.T) {
	// Each event cites the events listed; CREATE is cited implicitly (v12).
	// Auth events come before the events citing them.
	type node struct {
		id   string
		auth []string
	}
	tests := []struct {
		name       string
		graph      []node
		conflicted []string
		want       []string
	}{
		{
			name:       "an event between two conflicted events is in it",
			graph:      []node{{"C1", nil}, {"X", []string{"C1"}}, {"C2", []string{"X"}}},
			conflicted: []string{"C1", "C2"},
			want:       []string{"C1", "X", "C2"},
		},
		{
			name: "an event reachable from a conflicted event that leads to no other is left out",
			graph: []node{{"Y", nil}, {"Y2", []string{"Y"}}, {"C1", []string{"Y2"}},
				{"C2", nil}},
			conflicted: []string{"C1", "C2"},
			want:       []string{"C1", "C2"},
		},
		{
			name:       "an event that leads to a conflicted event but is reached from none is left out",
			graph:      []node{{"C1", nil}, {"C2", []string{"C1"}}, {"Z", []string{"C2"}}},
			conflicted: []string{"C1", "C2"},
			want:       []string{"C1", "C2"},
		},
		{
			name: "every path counts: both sides of a diamond, not the branch off it",
			graph: []node{{"C1", nil}, {"A", []string{"C1"}}, {"B", []string{"C1"}}, {"OFF", nil},
				{"C2", []string{"A", "B", "OFF"}}},
			conflicted: []string{"C1", "C2"},
			want:       []string{"C1", "A", "B", "C2"},
		},
		{
			name: "a path through a third conflicted event is taken whole",
			graph: []node{{"C1", nil}, {"X1", []string{"C1"}}, {"C2", []string{"X1"}}, {"X2", []string{"C2"}},
				{"C3", []string{"X2"}}, {"Y", []string{"X2"}}},
			conflicted: []string{"C1", "C3"},
			want:       []string{"C1", "X1", "C2", "X2", "C3"},
		},
		{
			name:       "the create event is on no path unless conflicted itself",
			graph:      []node{{"C1", nil}, {"C2", nil}},
			conflicted: []string{"C1", "C2"},
			want:       []string{"C1", "C2"},
		},
		{
			name:       "a lone conflicted event is its own endpoint",
			graph:      []node{{"C1", nil}},
			conflicted: []string{"C1"},
			want:       []string{"C1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, "12")
			r.add(create(alice))
			for _, n := range tt.graph {
				r.addWithAuth(topic(n.id, alice, n.id), n.auth, StateMap{})
			}
			conflicted := map[string]struct{}{}
			for _, id := range tt.conflicted {
				conflicted["$"+id] = struct{}{}
			}
			got, err := newStore(r.rules, r.lookup).conflictedStateSubgraph(conflicted)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]struct{}{}
			for _, id := range prefixed(tt.want) {
				want[id] = struct{}{}
			}
			if g, w := sortedIDs(got), sortedIDs(want); !slices.Equal(g, w) {
				t.Errorf("got %v, want %v", g, w)
			}
		})
	}
}
