package auth

import (
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
)

// powerLevelsBy is an m.room.power_levels event by sender whose content is
// the fixture's levels with the given changes: users, then extra keys.
func powerLevelsBy(sender, users, extra string) func(r *room) event.PDU {
	return func(r *room) event.PDU {
		c := `{"users":` + users + `,"users_default":0,"events":{"m.room.name":50,"m.room.power_levels":100,"m.room.history_visibility":100},"events_default":0,"state_default":50,"ban":50,"kick":50,"redact":50,"invite":0,"notifications":{"room":50}`
		if extra != "" {
			c = `{"users":` + users + "," + extra
		}
		return r.ev(typePowerLevels, "", sender, c+"}")
	}
}

// fixtureUsers is the users map of the fixture, with bob's level replaced.
func fixtureUsers(r *room, bobLevel string) string {
	if r.rules.PrivilegedCreators {
		return fmt.Sprintf(`{%q:%s}`, bob, bobLevel)
	}
	return fmt.Sprintf(`{%q:100,%q:%s}`, alice, bob, bobLevel)
}

// withUsers builds a power levels event by sender from the fixture users
// (bob at bobLevel) plus the given entries and extra keys.
func withUsers(sender, bobLevel, moreUsers, extra string) func(r *room) event.PDU {
	return func(r *room) event.PDU {
		users := fixtureUsers(r, bobLevel)
		if moreUsers != "" {
			users = users[:len(users)-1] + "," + moreUsers + "}"
		}
		return powerLevelsBy(sender, users, extra)(r)
	}
}

// moderatorMayChangePowerLevels lowers the level to send power levels to 50,
// so bob (50) passes the required power level rule and reaches rule 10.
func moderatorMayChangePowerLevels(r *room) {
	setPowerLevels(r, `"events":{"m.room.power_levels":50,"m.room.name":100},"ban":100,"notifications":{"room":100}`)
}

const modChange = `"events":{"m.room.power_levels":50,"m.room.name":100},"ban":100,"notifications":{"room":100}`

func TestAllowedPowerLevels(t *testing.T) {
	runAllowed(t, []allowedCase{
		{name: "integer rule rejects a top-level level written as a string", versions: "10-12",
			event: withUsers(alice, "50", "", `"ban":"50"`), want: RulePowerLevelsIntegers},
		{name: "integer rule rejects a top-level level that is a boolean", versions: "10-12",
			event: withUsers(alice, "50", "", `"kick":true`), want: RulePowerLevelsIntegers},
		{name: "stringy levels allow a top-level level written as a string", versions: "1-9",
			event: withUsers(alice, "50", "", `"ban":" +050 "`)},
		{name: "stringy levels reject a string that is not an integer", versions: "1-9",
			event: withUsers(alice, "50", "", `"ban":"5O"`), want: RulePowerLevelsValues},
		{name: "floaty levels allow a float before canonical JSON was enforced", versions: "1-5",
			event: withUsers(alice, "50.57", "", `"ban":5.114698E1`)},
		{name: "floaty levels reject a float once canonical JSON is enforced", versions: "6-9",
			event: withUsers(alice, "50", "", `"ban":50.5`), want: RulePowerLevelsValues},
		{name: "floaty levels reject a float beyond a double", versions: "1-5",
			event: withUsers(alice, "50", "", `"ban":1e400`), want: RulePowerLevelsValues},
		{name: "integer rule rejects a float", versions: "10-12",
			event: withUsers(alice, "50", "", `"ban":50.0`), want: RulePowerLevelsIntegers},
		{name: "map rule rejects an events level written as a string", versions: "10-12",
			event: withUsers(alice, "50", "", `"events":{"m.room.name":"50"}`), want: RulePowerLevelsMaps},
		{name: "map rule rejects notifications that are not an object", versions: "10-12",
			event: withUsers(alice, "50", "", `"notifications":50`), want: RulePowerLevelsMaps},
		{name: "stringy levels allow an events level written as a string", versions: "1-9",
			event: withUsers(alice, "50", "", `"events":{"m.room.name":"50"}`)},
		{name: "notifications are not looked at before version 6", versions: "1-5",
			event: withUsers(alice, "50", "", `"notifications":{"room":"loud"}`)},
		{name: "users rule rejects a users key that is not a user ID", versions: "1-12",
			event: withUsers(alice, "50", `"carol":10`, ""), want: RulePowerLevelsUsers},
		{name: "users rule rejects users that is not an object", versions: "1-12",
			event: powerLevelsBy(alice, `[]`, `"ban":50`), want: RulePowerLevelsUsers},
		{name: "users rule rejects a user level that is not an integer", versions: "1-12",
			event: withUsers(alice, `"fifty"`, "", ""), want: RulePowerLevelsUsers},
		{name: "users rule rejects a user level written as a string", versions: "10-12",
			event: withUsers(alice, `"50"`, "", ""), want: RulePowerLevelsUsers},
		{name: "users rule allows a user level written as a string", versions: "1-9",
			event: withUsers(alice, `" 50"`, "", "")},

		{name: "no previous power levels rule allows any levels", versions: "1-12",
			setup: func(r *room) { r.unset(typePowerLevels, "") },
			event: withUsers(alice, "50", "", `"ban":1000,"events":{"x":1000}`)},
		{name: "top-level rule allows the creator to change every level", versions: "1-12",
			event: withUsers(alice, "50", "", `"ban":100,"kick":0,"invite":100,"redact":0,"state_default":0,"events_default":10,"users_default":5`)},
		{name: "top-level rule rejects raising a level above the sender's", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", modChange+`,"kick":60`), want: RulePowerLevelsTopLevel},
		{name: "top-level rule allows lowering a level to the sender's", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", modChange+`,"kick":10`)},
		{name: "top-level rule rejects changing a level that is above the sender's", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", `"events":{"m.room.power_levels":50,"m.room.name":100},"ban":40,"notifications":{"room":100}`),
			want:  RulePowerLevelsTopLevel},
		{name: "top-level rule rejects removing a level that is above the sender's", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", `"events":{"m.room.power_levels":50,"m.room.name":100},"notifications":{"room":100}`),
			want:  RulePowerLevelsTopLevel},
		{name: "top-level rule counts adding a key at its default as a change", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"events":{"m.room.power_levels":0}`) },
			event: withUsers(carol, "50", "", `"events":{"m.room.power_levels":0},"state_default":50`),
			want:  RulePowerLevelsTopLevel},
		{name: "top-level rule compares values, not their spelling", versions: "1-9",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", `"events":{"m.room.power_levels":50,"m.room.name":100},"ban":"100","notifications":{"room":100}`)},

		{name: "events rule rejects removing an entry above the sender's level", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", `"events":{"m.room.power_levels":50},"ban":100,"notifications":{"room":100}`),
			want:  RulePowerLevelsMapRemoved},
		{name: "events rule rejects adding an entry above the sender's level", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", `"events":{"m.room.power_levels":50,"m.room.name":100,"m.room.topic":51},"ban":100,"notifications":{"room":100}`),
			want:  RulePowerLevelsMapAdded},
		{name: "events rule allows adding an entry at the sender's level", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", `"events":{"m.room.power_levels":50,"m.room.name":100,"m.room.topic":50},"ban":100,"notifications":{"room":100}`)},
		{name: "notifications rule rejects removing an entry above the sender's level", versions: "6-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", `"events":{"m.room.power_levels":50,"m.room.name":100},"ban":100`),
			want:  RulePowerLevelsMapRemoved},
		{name: "notifications rule rejects adding an entry above the sender's level", versions: "6-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", modChange[:len(modChange)-1]+`,"x":60}`),
			want:  RulePowerLevelsMapAdded},
		{name: "notifications are not compared before version 6", versions: "1-5",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", "", `"events":{"m.room.power_levels":50,"m.room.name":100},"ban":100,"notifications":{"room":1000}`)},

		{name: "users rule rejects demoting a user at the sender's level", versions: "1-12",
			setup: func(r *room) {
				moderatorMayChangePowerLevels(r)
				r.state[StateKey{typePowerLevels, ""}].(*testEvent).content = []byte(
					`{"users":` + fixtureUsers(r, "50")[:len(fixtureUsers(r, "50"))-1] + fmt.Sprintf(`,%q:50}`, carol) + `,` + modChange + `}`)
			},
			event: withUsers(bob, "50", fmt.Sprintf(`%q:0`, carol), modChange), want: RulePowerLevelsUsersRemoved},
		{name: "users rule rejects removing a user above the sender", versions: "1-11",
			setup: moderatorMayChangePowerLevels,
			event: powerLevelsBy(bob, fmt.Sprintf(`{%q:50}`, bob), modChange), want: RulePowerLevelsUsersRemoved},
		{name: "users rule allows the sender to demote themselves", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "10", "", modChange)},
		{name: "users rule allows promoting a user to the sender's level", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", fmt.Sprintf(`%q:50`, carol), modChange)},
		{name: "users rule rejects promoting a user above the sender", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "50", fmt.Sprintf(`%q:51`, carol), modChange), want: RulePowerLevelsUsersAdded},
		{name: "users rule rejects the sender promoting themselves", versions: "1-12",
			setup: moderatorMayChangePowerLevels,
			event: withUsers(bob, "60", "", modChange), want: RulePowerLevelsUsersAdded},
	})
}
