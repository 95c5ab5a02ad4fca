package roomversion

import (
	"errors"
	"testing"
)

func TestLookupKnowsVersionsOneToTwelve(t *testing.T) {
	all := All()
	if len(all) != 12 {
		t.Fatalf("%d versions, want 12", len(all))
	}
	for i, r := range all {
		want := ID([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}[i])
		if r.ID != want {
			t.Errorf("All()[%d] = %s, want %s (numeric order)", i, r.ID, want)
		}
		if got, err := Lookup(r.ID); err != nil || got != r {
			t.Errorf("Lookup(%s) = %+v, %v", r.ID, got, err)
		}
	}
}

func TestLookupRefusesUnknownVersions(t *testing.T) {
	for _, v := range []ID{"", "0", "13", "org.matrix.msc1234", "1 "} {
		if _, err := Lookup(v); !errors.Is(err, ErrUnknown) {
			t.Errorf("Lookup(%q) error %v, want ErrUnknown", v, err)
		}
	}
}

func TestDefaultVersionIsStable(t *testing.T) {
	r, err := Lookup(Default)
	if err != nil || r.Stability != Stable {
		t.Fatalf("default version %s: %+v, %v", Default, r, err)
	}
}

// The capabilities follow the spec's room version pages
// (https://spec.matrix.org/latest/rooms/): each row is where a feature
// appears or disappears.
func TestCapabilitiesChangeWhereTheSpecSays(t *testing.T) {
	tests := []struct {
		name  string
		has   func(Rules) bool
		from  int // first version with the capability (0: never)
		until int // last version with it (0: still present)
	}{
		{"server-assigned event IDs", func(r Rules) bool { return r.EventIDFormat == EventIDServerAssigned }, 1, 2},
		{"state resolution v1", func(r Rules) bool { return r.StateRes == StateResV1 }, 1, 1},
		{"state resolution v2", func(r Rules) bool { return r.StateRes == StateResV2 }, 2, 11},
		{"state resolution v2.1", func(r Rules) bool { return r.StateRes == StateResV21 }, 12, 0},
		{"standard base64 reference hash IDs", func(r Rules) bool { return r.EventIDFormat == EventIDReferenceHash }, 3, 3},
		{"URL-safe reference hash IDs", func(r Rules) bool { return r.EventIDFormat == EventIDReferenceHashURLSafe }, 4, 0},
		{"enforced key validity", func(r Rules) bool { return r.EnforceKeyValidity }, 5, 0},
		{"strict canonical JSON", func(r Rules) bool { return r.StrictCanonicalJSON }, 6, 0},
		{"m.room.aliases auth rule", func(r Rules) bool { return r.SpecialCasedAliasesAuth }, 1, 5},
		{"knocking", func(r Rules) bool { return r.KnockJoinRule }, 7, 0},
		{"restricted joins", func(r Rules) bool { return r.RestrictedJoinRule }, 8, 0},
		{"knock_restricted joins", func(r Rules) bool { return r.KnockRestrictedJoinRule }, 10, 0},
		{"integer power levels", func(r Rules) bool { return r.IntegerPowerLevels }, 10, 0},
		{"implicit room creator", func(r Rules) bool { return r.ImplicitRoomCreator }, 11, 0},
		{"privileged creators", func(r Rules) bool { return r.PrivilegedCreators }, 12, 0},
		{"room ID from the create event", func(r Rules) bool { return r.RoomIDFromCreateEvent }, 12, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, r := range All() {
				v := i + 1
				want := v >= tt.from && (tt.until == 0 || v <= tt.until)
				if got := tt.has(r); got != want {
					t.Errorf("room version %d: %v, want %v", v, got, want)
				}
			}
		})
	}
}
