package difftest

import (
	"errors"
	"testing"

	"github.com/matrix-org/gomatrixserverlib"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// authDeviationCase is one known departure of an oracle from the
// authorization rules, frozen as a small hand-built room and one event
// checked against its state.
type authDeviationCase struct {
	// name is the name the run-time classifier gives the departure.
	name    string
	version roomversion.ID
	// pl and joinRules are the contents of the room's first power levels
	// and join rules (see newFixedRoom).
	pl, joinRules string
	// event brings the room to the case's state and builds the event
	// checked against it.
	event func(rm *room) *event.Event
	// want is the rule that rejects the event, 0 if it is allowed.
	want auth.Rule
	// reason is the spec's wording that makes our decision the right one.
	reason string
}

// run checks the event with our rules, requires the decision tc.want, and
// returns the event and our answer.
func (tc authDeviationCase) run(t *testing.T) (*room, *event.Event, error) {
	t.Helper()
	rules, err := roomversion.Lookup(tc.version)
	if err != nil {
		t.Fatal(err)
	}
	rm := newFixedRoom(t, rules, tc.pl, tc.joinRules)
	ev := tc.event(rm)
	ours := auth.Allowed(rules, ev, stateMap(rm.state))
	var re *auth.RuleError
	switch {
	case tc.want == 0 && ours != nil:
		t.Fatalf("we reject %s: %v\nthe spec: %s", ev.JSON(), ours, tc.reason)
	case tc.want != 0 && (!errors.As(ours, &re) || re.Rule != tc.want):
		t.Fatalf("we answer %v to %s, want a rejection by %v\nthe spec: %s", ours, ev.JSON(), tc.want, tc.reason)
	}
	return rm, ev, ours
}

// pl10 are power levels of versions before 12 in which the creator has
// 100 and alice 50 (state_default is 50).
const pl10 = `{"users":{"` + userCreator + `":100,"` + userAlice + `":50}}`

var gmslAuthDeviationCases = []authDeviationCase{{
	name: deviationSelfLeave, version: "10", pl: pl10, joinRules: `{"join_rule":"public"}`,
	event: func(rm *room) *event.Event {
		return rm.candidate(userBob, typeMember, ptr(userBob), `{"membership":"leave"}`)
	},
	want: auth.RuleLeaveSelf,
	reason: `rooms/v10 rule 4.5.1: "If the sender matches state_key, allow if and only if that user's current ` +
		`membership state is invite, join, or knock." Bob has no membership.`,
}, {
	name: deviationPowerLevelDefaults, version: "10",
	pl: `{"users":{"` + userCreator + `":100,"` + userAlice + `":50},"users_default":0}`, joinRules: `{"join_rule":"public"}`,
	event: func(rm *room) *event.Event {
		rm.member(userAlice, userAlice, "join")
		return rm.candidate(userAlice, typePowerLevels, ptr(""),
			`{"users":{"`+userCreator+`":100,"`+userAlice+`":50},"users_default":60}`)
	},
	want: auth.RulePowerLevelsTopLevel,
	reason: `rooms/v10 rule 9.5: "For the properties users_default, events_default, state_default, ban, redact, ` +
		`kick, invite check if they were added, changed or removed. For each found alteration: ... If the new ` +
		`value is higher than the sender's current power level, reject." Alice (50) raises users_default to 60.`,
}, {
	name: deviationNotificationsAtSenderLevel, version: "10",
	pl: `{"users":{"` + userCreator + `":100,"` + userAlice + `":50},"notifications":{"room":50}}`, joinRules: `{"join_rule":"public"}`,
	event: func(rm *room) *event.Event {
		rm.member(userAlice, userAlice, "join")
		return rm.candidate(userAlice, typePowerLevels, ptr(""),
			`{"users":{"`+userCreator+`":100,"`+userAlice+`":50},"notifications":{"room":20}}`)
	},
	reason: `rooms/v10 rule 9.6: "For each entry being changed in, or removed from, the events or notifications ` +
		`properties: If the current value is greater than the sender's current power level, reject." Alice (50) ` +
		`lowers notifications.room from 50: "greater than", where rule 9.8 for users says "greater than or equal to".`,
}, {
	name: deviationCreatorNotifications, version: "12",
	pl: `{"users":{"` + userAlice + `":50},"notifications":{"room":50}}`, joinRules: `{"join_rule":"public"}`,
	event: func(rm *room) *event.Event {
		return rm.candidate(userCreator, typePowerLevels, ptr(""),
			`{"users":{"`+userAlice+`":50},"notifications":{"room":100}}`)
	},
	reason: `rooms/v12: "The power level of "room creators" is infinitely high. Room creators include: The user ` +
		`ID denoted by the sender of the m.room.create event in the room." Rule 9.7 then lets the creator set ` +
		`notifications.room to 100: "If the new value is greater than the sender's current power level, reject."`,
}, {
	name: deviationUnban, version: "10",
	pl:        `{"users":{"` + userCreator + `":100,"` + userAlice + `":50,"` + userBob + `":50},"ban":50,"kick":50}`,
	joinRules: `{"join_rule":"public"}`,
	event: func(rm *room) *event.Event {
		rm.member(userAlice, userAlice, "join")
		rm.member(userBob, userBob, "join")
		rm.member(userCreator, userBob, "ban")
		return rm.candidate(userAlice, typeMember, ptr(userBob), `{"membership":"leave"}`)
	},
	want: auth.RuleLeaveKick,
	reason: `rooms/v10 rules 4.5.3-4.5.5: "If the target user's current membership state is ban, and the sender's ` +
		`power level is less than the ban level, reject. If the sender's power level is greater than or equal to ` +
		`the kick level, and the target user's power level is less than the sender's power level, allow. ` +
		`Otherwise, reject." Alice (50) unbans Bob (50).`,
}, {
	name: deviationKnockThenPublicJoin, version: "10", pl: pl10, joinRules: `{"join_rule":"knock"}`,
	event: func(rm *room) *event.Event {
		rm.member(userBob, userBob, "knock")
		rm.send(userCreator, typeJoinRules, ptr(""), `{"join_rule":"public"}`)
		return rm.candidate(userBob, typeMember, ptr(userBob), `{"membership":"join"}`)
	},
	reason: `rooms/v10 rules 4.3.3 and 4.3.6: "If the sender is banned, reject." ... "If the join_rule is ` +
		`public, allow." Bob's membership is knock, not ban.`,
}, {
	name: layerAuthorisedSignature, version: "10", pl: pl10,
	joinRules: `{"join_rule":"restricted","allow":[{"type":"m.room_membership","room_id":"!other:a.example"}]}`,
	event: func(rm *room) *event.Event {
		// Signed by bob's server only, not by the creator's.
		return rm.candidate(userBob, typeMember, ptr(userBob),
			`{"membership":"join","join_authorised_via_users_server":"`+userCreator+`"}`)
	},
	want: auth.RuleMemberAuthorisedSignature,
	reason: `rooms/v10 rule 4.2.1: "If the event is not validly signed by the homeserver of the user ID denoted ` +
		`by the key, reject." gomatrixserverlib checks this in VerifyEventSignatures, not in Allowed: a ` +
		`difference of layer, not of decision.`,
}}

// TestGomatrixserverlibAuthDeviations freezes each known departure of
// gomatrixserverlib's authorization rules (gmsl_deviations_test.go) as a
// hand-built case: we decide as the spec says, gomatrixserverlib still
// decides otherwise, and the run-time classifier of the random tests,
// knownGmslDeviation, names the case. When gomatrixserverlib is fixed the
// case fails, and the case and its classifier can go.
func TestGomatrixserverlibAuthDeviations(t *testing.T) {
	for _, tc := range gmslAuthDeviationCases {
		t.Run(tc.name, func(t *testing.T) {
			rm, ev, ours := tc.run(t)
			theirs := gomatrixserverlib.Allowed(rm.gEvents[ev.EventID()], gState(t, rm, rm.state), userIDForSender)
			if (theirs == nil) == (ours == nil) {
				t.Fatalf("gomatrixserverlib now decides as we do (%v): remove this case and its classifier", theirs)
			}
			if got := knownGmslDeviation(rm, ev, rm.state, ours, theirs); got != tc.name {
				t.Errorf("knownGmslDeviation names the disagreement %q, want %q\nours:   %v\ntheirs: %v", got, tc.name, ours, theirs)
			}
		})
	}
}
