package auth

import (
	"fmt"
	"math"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
)

// withAdditionalCreator makes bob an additional creator of the v12 room and
// takes him out of the users map, where creators may not appear.
func withAdditionalCreator(r *room) {
	r.create.content = []byte(createContent(r.rules, fmt.Sprintf(`"additional_creators":[%q]`, bob)))
	setPowerLevels(r, `"events":{"m.room.power_levels":50}`)
	r.state[StateKey{typePowerLevels, ""}].(*testEvent).content = []byte(`{"users":{},"events":{"m.room.power_levels":50}}`)
}

func TestAllowedPrivilegedCreators(t *testing.T) {
	runAllowed(t, []allowedCase{
		{name: "creators rule rejects power levels listing the creator", versions: "12",
			event: powerLevelsBy(alice, fmt.Sprintf(`{%q:100}`, alice), `"ban":50`), want: RulePowerLevelsCreators},
		{name: "creators rule rejects power levels listing an additional creator", versions: "12",
			setup: withAdditionalCreator,
			event: powerLevelsBy(alice, fmt.Sprintf(`{%q:100}`, bob), `"ban":50`), want: RulePowerLevelsCreators},
		{name: "the creator may be listed before version 12", versions: "1-11",
			event: powerLevelsBy(alice, fmt.Sprintf(`{%q:100}`, alice), `"ban":50`)},
		{name: "a creator outranks any level", versions: "12",
			event: powerLevelsBy(alice, fmt.Sprintf(`{%q:9007199254740991}`, carol), `"ban":9007199254740991`)},
		{name: "an additional creator outranks any level", versions: "12",
			setup: withAdditionalCreator,
			event: powerLevelsBy(bob, fmt.Sprintf(`{%q:9007199254740991}`, carol), `"ban":9007199254740991`)},
		{name: "a creator can be neither kicked nor banned by another creator", versions: "12",
			setup: withAdditionalCreator,
			event: member(bob, alice, "ban"), want: RuleBan},
		{name: "a creator cannot be kicked by the highest listed user", versions: "12",
			setup: func(r *room) { setPowerLevels(r, fmt.Sprintf(`"users":{%q:9007199254740991}`, carol)) },
			event: member(carol, alice, "leave"), want: RuleLeaveKick},
		{name: "a creator stays above a users_default raised to the maximum", versions: "12",
			setup: func(r *room) { r.set(typePowerLevels, "", alice, `{"users_default":9007199254740991}`) },
			event: member(carol, alice, "ban"), want: RuleBan},
		{name: "the creator's join after the create event names the create sender", versions: "12",
			setup: func(r *room) {
				withAdditionalCreator(r)
				r.unset(typeMember, alice)
				r.unset(typeMember, bob)
				r.unset(typePowerLevels, "")
				r.unset(typeJoinRules, "")
			},
			event: func(r *room) event.PDU {
				e := r.member(bob, bob, "join")
				e.prev = []string{r.create.id}
				return e
			},
			want: RuleJoinOtherwise},
	})
}

func TestSenderPowerLevel(t *testing.T) {
	tests := []struct {
		name    string
		version string
		noPL    bool
		extra   string
		user    string
		want    int64
	}{
		{name: "the creator has 100 in a room without power levels", version: "1", noPL: true, user: alice, want: 100},
		{name: "the creator is the create sender from version 11", version: "11", noPL: true, user: alice, want: 100},
		{name: "others have 0 in a room without power levels", version: "11", noPL: true, user: carol, want: 0},
		{name: "a listed user has their level", version: "9", user: bob, want: 50},
		{name: "an unlisted user has users_default", version: "9", user: carol, want: 0},
		{name: "the creator is infinite in version 12", version: "12", user: alice, want: CreatorPowerLevel},
		{name: "the creator is infinite in version 12 without power levels", version: "12", noPL: true, user: alice, want: math.MaxInt64},
		{name: "an additional creator is infinite in version 12", version: "12", extra: fmt.Sprintf(`"additional_creators":[%q]`, carol), user: carol, want: CreatorPowerLevel},
		{name: "additional creators mean nothing before version 12", version: "11", extra: fmt.Sprintf(`"additional_creators":[%q]`, carol), user: carol, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoom(t, tc.version)
			if tc.extra != "" {
				r.create.content = []byte(createContent(r.rules, tc.extra))
			}
			var pl event.PDU
			if !tc.noPL {
				pl = r.state.StateEvent(typePowerLevels, "")
			}
			got, err := SenderPowerLevel(r.rules, tc.user, pl, r.create)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSenderPowerLevelNeedsTheCreateEvent(t *testing.T) {
	for _, v := range []string{"1", "12"} {
		r := newRoom(t, v)
		pl := r.state.StateEvent(typePowerLevels, "")
		if v == "1" {
			pl = nil
		}
		if _, err := SenderPowerLevel(r.rules, alice, pl, nil); err != ErrMissingCreateEvent {
			t.Errorf("v%s: want ErrMissingCreateEvent, got %v", v, err)
		}
	}
}
