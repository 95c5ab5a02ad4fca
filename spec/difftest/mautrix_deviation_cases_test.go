//go:build goexperiment.jsonv2

package difftest

import (
	"errors"
	"testing"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

var mautrixAuthDeviationCases = []authDeviationCase{{
	name: deviationMautrixAliases, version: "3", pl: pl10, joinRules: `{"join_rule":"public"}`,
	event: func(rm *room) *event.Event {
		// Alice has never joined: only the aliases rule applies.
		return rm.candidate(userAlice, typeAliases, ptr("b.example"), `{"aliases":["#a:b.example"]}`)
	},
	reason: `rooms/v3 rule 4, before the membership and power level rules: "If type is m.room.aliases: If event ` +
		`has no state_key, reject. If sender's domain doesn't match state_key, reject. Otherwise, allow."`,
}, {
	name: deviationMautrixNotificationsBeforeV6, version: "5",
	pl:        `{"users":{"` + userCreator + `":100,"` + userAlice + `":50},"notifications":{"room":50}}`,
	joinRules: `{"join_rule":"public"}`,
	event: func(rm *room) *event.Event {
		rm.member(userAlice, userAlice, "join")
		return rm.candidate(userAlice, typePowerLevels, ptr(""),
			`{"users":{"`+userCreator+`":100,"`+userAlice+`":50},"notifications":{"room":100}}`)
	},
	reason: `rooms/v3 rules 10.4 and 10.5 check "each entry being changed in, or removed from, the events ` +
		`property" and "added to, or changed in, the events property"; rooms/v6: "the authorisation rules for ` +
		`events of type m.room.power_levels now include a notifications property under content."`,
}, {
	name: deviationMautrixRemovedUser, version: "10",
	pl:        `{"users":{"` + userCreator + `":100,"` + userAlice + `":50,"` + userBob + `":50}}`,
	joinRules: `{"join_rule":"public"}`,
	event: func(rm *room) *event.Event {
		rm.member(userAlice, userAlice, "join")
		return rm.candidate(userAlice, typePowerLevels, ptr(""),
			`{"users":{"`+userCreator+`":100,"`+userAlice+`":50}}`)
	},
	want: auth.RulePowerLevelsUsersRemoved,
	reason: `rooms/v10 rule 9.8: "For each entry being changed in, or removed from, the users property, other ` +
		`than the sender's own entry: If the current value is greater than or equal to the sender's current ` +
		`power level, reject." Alice (50) removes Bob (50): a rejection, where mautrix panics.`,
}}

// TestMautrixAuthDeviations freezes each known departure of mautrix's
// event auth (mautrix_auth_test.go) as a hand-built case: we decide as the
// spec says, mautrix still decides otherwise (or panics), and the run-time
// classifier of the random tests, knownMautrixDeviation, names the case.
// When mautrix is fixed the case fails, and the case and its classifier
// can go.
func TestMautrixAuthDeviations(t *testing.T) {
	key := testKey(t)
	for _, tc := range mautrixAuthDeviationCases {
		t.Run(tc.name, func(t *testing.T) {
			rm, ev, ours := tc.run(t)
			theirs := rm.mautrixAuthorizer(key)(ev)
			if (theirs == nil) == (ours == nil) && !errors.Is(theirs, errMautrixPanic) {
				t.Fatalf("mautrix now decides as we do (%v): remove this case and its classifier", theirs)
			}
			if got := knownMautrixDeviation(rm, ev, ours, theirs); got != tc.name {
				t.Errorf("knownMautrixDeviation names the disagreement %q, want %q\nours:   %v\ntheirs: %v", got, tc.name, ours, theirs)
			}
		})
	}
}
