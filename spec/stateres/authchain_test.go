package stateres

import (
	"errors"
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
