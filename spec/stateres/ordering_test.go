package stateres

import (
	"slices"
	"testing"
)

func TestReverseTopologicalPowerOrdering(t *testing.T) {
	tests := []struct {
		name  string
		graph map[string][]string
		want  []string
	}{
		{
			// IPOWER (Alice, creator) and PA (Alice) outrank PB (Bob, 50).
			name:  "higher sender power goes first among ready events",
			graph: map[string][]string{"$PB": nil, "$PA": nil, "$IPOWER": nil},
			want:  []string{"$IPOWER", "$PA", "$PB"},
		},
		{
			// PB waits for PZ although PB's sender has more power.
			name:  "an event waits for the events it must follow",
			graph: map[string][]string{"$PB": {"$PZ"}, "$PZ": nil},
			want:  []string{"$PZ", "$PB"},
		},
		{
			// PA and PC are both Alice at 100: the earlier timestamp wins.
			name:  "equal power is broken by origin_server_ts",
			graph: map[string][]string{"$PC": nil, "$PA": nil},
			want:  []string{"$PA", "$PC"},
		},
		{
			// PA and PA2 are Alice at 100 with the same timestamp.
			name:  "equal power and timestamp are broken by event ID",
			graph: map[string][]string{"$PA2": nil, "$PA": nil},
			want:  []string{"$PA", "$PA2"},
		},
		{
			name:  "events caught in an auth cycle are left out",
			graph: map[string][]string{"$PA": {"$PC"}, "$PC": {"$PA"}, "$PB": nil},
			want:  []string{"$PB"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, "10")
			start := r.initial()
			r.add(powerLevels("PA", alice, levels{bob: 50, zara: 10}), start)
			r.add(powerLevels("PB", bob, levels{bob: 50}), "PA")
			r.add(powerLevels("PZ", zara, levels{bob: 50, zara: 10}), "PA")
			r.add(powerLevels("PC", alice, levels{bob: 50}), "PA")
			pa2 := r.add(powerLevels("PA2", alice, levels{bob: 50, charlie: 1}), start)
			pa2.ts = r.events["$PA"].ts
			s := newStore(r.rules, r.lookup)
			if _, err := s.authChain([]string{"$PA", "$PB", "$PZ", "$PC", "$PA2", "$IPOWER"}); err != nil {
				t.Fatal(err)
			}
			got := s.reverseTopologicalPowerOrdering(tt.graph, newSenderPowers(s))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMainlineOrdering(t *testing.T) {
	r := newRoom(t, "10")
	start := r.initial()
	r.add(powerLevels("P1", alice, levels{bob: 50}), start)
	r.add(powerLevels("P2", alice, levels{bob: 60}), "P1")
	r.add(powerLevels("PX", alice, levels{bob: 70}), "P1") // off the mainline, under P1
	r.add(topic("T2", alice, "under P2"), "P2")
	r.add(topic("TX", alice, "under PX"), "PX")
	r.add(topic("T1", alice, "under P1"), "P1")
	r.add(topic("T0", alice, "under IPOWER"), start)
	r.addWithAuth(topic("TN", alice, "under no power levels"), []string{createID, "$IMA"}, nil)

	tests := []struct {
		name        string
		powerLevels string
		want        []string
	}{
		{
			// Mainline P2 (0), P1 (1), IPOWER (2). TN never meets it and
			// goes first; TX meets it at P1, like T1, and is earlier.
			name:        "events are ordered by how early their power levels meet the mainline",
			powerLevels: "$P2",
			want:        []string{"$TN", "$T0", "$TX", "$T1", "$T2"},
		},
		{
			// Mainline PX (0), P1 (1), IPOWER (2): T2 now meets it at P1.
			name:        "the mainline follows the resolved power levels",
			powerLevels: "$PX",
			want:        []string{"$TN", "$T0", "$T2", "$T1", "$TX"},
		},
		{
			name:        "without power levels every event sorts by timestamp",
			powerLevels: "",
			want:        []string{"$T2", "$TX", "$T1", "$T0", "$TN"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(r.rules, r.lookup)
			got, err := s.mainlineOrdering([]string{"$T0", "$T1", "$T2", "$TN", "$TX"}, tt.powerLevels)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPowerSubgraph(t *testing.T) {
	r := newRoom(t, "10")
	start := r.initial()
	r.add(powerLevels("PA", alice, levels{bob: 100, charlie: 50}), start)
	r.add(joinRules("JC", charlie, "public"), "PA")
	r.add(member("MB2", bob, bob, "join"), "JC")
	r.add(joinRules("J2", bob, "invite"), "MB2")
	r.add(member("KC", bob, charlie, "leave"), "MB2")
	r.add(topic("T", bob, "bob's"), "MB2")

	tests := []struct {
		name string
		full []string
		want map[string][]string
	}{
		{
			name: "power events without auth events in the set have no edges",
			full: []string{"$J2", "$JC", "$T"},
			want: map[string][]string{"$J2": nil, "$JC": nil},
		},
		{
			name: "an auth event in the set is brought in even when it is no power event",
			full: []string{"$J2", "$JC", "$MB2", "$T"},
			want: map[string][]string{"$J2": {"$MB2"}, "$MB2": {"$JC"}, "$JC": nil},
		},
		{
			name: "only direct auth events in the set become edges",
			full: []string{"$KC", "$JC", "$PA"},
			want: map[string][]string{"$KC": {"$PA"}, "$JC": {"$PA"}, "$PA": nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(r.rules, r.lookup)
			full := map[string]struct{}{}
			for _, id := range tt.full {
				full[id] = struct{}{}
			}
			if err := s.load(tt.full); err != nil {
				t.Fatal(err)
			}
			got := s.powerSubgraph(full)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for id, after := range tt.want {
				g, ok := got[id]
				if !ok || !slices.Equal(sorted(g), sorted(after)) {
					t.Errorf("%s must follow %v, got %v (present %v)", id, after, g, ok)
				}
			}
		})
	}
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
