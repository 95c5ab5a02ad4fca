package auth

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
)

// allowedCase runs Allowed on one event in the fixture room of every version
// in versions.
type allowedCase struct {
	name     string
	versions string
	setup    func(r *room)
	event    func(r *room) event.PDU
	want     Rule
}

func runAllowed(t *testing.T, cases []allowedCase) {
	t.Helper()
	for _, tc := range cases {
		for _, v := range versionRange(t, tc.versions) {
			t.Run(fmt.Sprintf("v%s/%s", v, tc.name), func(t *testing.T) {
				r := newRoom(t, v)
				if tc.setup != nil {
					tc.setup(r)
				}
				wantRule(t, Allowed(r.rules, tc.event(r), r.state), tc.want)
			})
		}
	}
}

func message(sender string) func(r *room) event.PDU {
	return func(r *room) event.PDU { return r.ev("m.room.message", "-", sender, `{"body":"hi"}`) }
}

func TestAllowedGeneralRules(t *testing.T) {
	runAllowed(t, []allowedCase{
		{name: "room ID rule allows an event in the room of the create event", versions: "12",
			event: message(carol)},
		{name: "room ID rule rejects an event whose room ID names another create event", versions: "12",
			event: func(r *room) event.PDU {
				e := r.ev("m.room.message", "-", carol, `{}`)
				e.roomID = "!b3RoZXI"
				return e
			},
			want: RuleRoomIDCreateEvent},
		{name: "room ID rule rejects an event when the create event was rejected", versions: "12",
			setup: func(r *room) { r.create.rejected = true },
			event: message(carol), want: RuleRoomIDCreateEvent},
		{name: "room ID rule rejects an event in a state without a create event", versions: "12",
			setup: func(r *room) { r.unset(typeCreate, "") },
			event: message(carol), want: RuleRoomIDCreateEvent},
		{name: "auth events create rule rejects an event in a state without a create event", versions: "1-11",
			setup: func(r *room) { r.unset(typeCreate, "") },
			event: message(carol), want: RuleAuthEventsCreate},

		{name: "federate rule allows a remote sender when m.federate is absent", versions: "1-12",
			setup: func(r *room) { r.set(typeMember, oscar, oscar, `{"membership":"join"}`) },
			event: message(oscar)},
		{name: "federate rule rejects a remote sender when m.federate is false", versions: "1-12",
			setup: func(r *room) {
				r.create.content = []byte(createContent(r.rules, `"m.federate":false`))
				r.set(typeMember, oscar, oscar, `{"membership":"join"}`)
			},
			event: message(oscar), want: RuleFederate},
		{name: "federate rule allows a local sender when m.federate is false", versions: "1-12",
			setup: func(r *room) { r.create.content = []byte(createContent(r.rules, `"m.federate":false`)) },
			event: message(carol)},
		{name: "federate rule only counts the literal false", versions: "1-12",
			setup: func(r *room) {
				r.create.content = []byte(createContent(r.rules, `"m.federate":"false"`))
				r.set(typeMember, oscar, oscar, `{"membership":"join"}`)
			},
			event: message(oscar)},

		{name: "aliases rule allows a server to publish its aliases without being joined", versions: "1-5",
			event: func(r *room) event.PDU {
				return r.ev(typeAliases, "a.example", mallory, `{"aliases":["#a:a.example"]}`)
			}},
		{name: "aliases rule rejects aliases without a state key", versions: "1-5",
			event: func(r *room) event.PDU { return r.ev(typeAliases, "-", alice, `{"aliases":[]}`) },
			want:  RuleAliasesStateKey},
		{name: "aliases rule rejects a state key other than the sender's server", versions: "1-5",
			event: func(r *room) event.PDU { return r.ev(typeAliases, "o.example", alice, `{"aliases":[]}`) },
			want:  RuleAliasesSenderDomain},
		{name: "aliases are ordinary state from version 6 and need a joined sender", versions: "6-12",
			event: func(r *room) event.PDU { return r.ev(typeAliases, "a.example", mallory, `{"aliases":[]}`) },
			want:  RuleSenderNotJoined},
		{name: "aliases are ordinary state from version 6 and need the state default level", versions: "6-12",
			event: func(r *room) event.PDU { return r.ev(typeAliases, "a.example", carol, `{"aliases":[]}`) },
			want:  RuleRequiredPowerLevel},

		{name: "sender membership rule allows a message from a joined user", versions: "1-12",
			event: message(carol)},
		{name: "sender membership rule rejects a message from a user who never joined", versions: "1-12",
			event: message(mallory), want: RuleSenderNotJoined},
		{name: "sender membership rule rejects a message from an invited user", versions: "1-12",
			event: message(dave), want: RuleSenderNotJoined},

		{name: "third party invite event rule allows a sender at the invite level", versions: "1-12",
			event: func(r *room) event.PDU {
				return r.ev(typeThirdPartyInvite, "tok", carol, `{"display_name":"c…","public_key":"a"}`)
			}},
		{name: "third party invite event rule rejects a sender below the invite level", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"invite":50`) },
			event: func(r *room) event.PDU {
				return r.ev(typeThirdPartyInvite, "tok", carol, `{"display_name":"c…","public_key":"a"}`)
			},
			want: RuleThirdPartyInviteEventLevel},
		{name: "third party invite event rule is not bound by the state default", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"state_default":100`) },
			event: func(r *room) event.PDU { return r.ev(typeThirdPartyInvite, "tok", carol, `{}`) }},

		{name: "required power level rule allows a moderator to rename the room", versions: "1-12",
			event: func(r *room) event.PDU { return r.ev("m.room.name", "", bob, `{"name":"x"}`) }},
		{name: "required power level rule rejects a member renaming the room", versions: "1-12",
			event: func(r *room) event.PDU { return r.ev("m.room.name", "", carol, `{"name":"x"}`) },
			want:  RuleRequiredPowerLevel},
		{name: "required power level rule uses events_default for messages", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"events_default":10`) },
			event: message(carol), want: RuleRequiredPowerLevel},
		{name: "required power level rule uses state_default for state", versions: "1-12",
			event: func(r *room) event.PDU { return r.ev("m.room.topic", "", carol, `{"topic":"x"}`) },
			want:  RuleRequiredPowerLevel},
		{name: "required power level rule defaults state to 50 without power levels", versions: "1-12",
			setup: func(r *room) { r.unset(typePowerLevels, "") },
			event: func(r *room) event.PDU { return r.ev("m.room.topic", "", carol, `{"topic":"x"}`) },
			want:  RuleRequiredPowerLevel},
		{name: "required power level rule gives the creator 100 without power levels", versions: "1-12",
			setup: func(r *room) { r.unset(typePowerLevels, "") },
			event: func(r *room) event.PDU { return r.ev("m.room.topic", "", alice, `{"topic":"x"}`) }},
		{name: "required power level rule rejects when the current power levels are malformed", versions: "1-12",
			setup: func(r *room) { r.set(typePowerLevels, "", alice, `{"users":[]}`) },
			event: message(carol), want: RuleRequiredPowerLevel},
		{name: "required power level rule applies to redactions as to any event", versions: "3-12",
			setup: func(r *room) { setPowerLevels(r, `"events":{"m.room.redaction":10}`) },
			event: func(r *room) event.PDU {
				e := r.ev(typeRedaction, "-", carol, `{}`)
				e.redacts = "$x:a.example"
				return e
			},
			want: RuleRequiredPowerLevel},

		{name: "state key rule allows a user to set state under their own ID", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"state_default":0`) },
			event: func(r *room) event.PDU { return r.ev("com.example.status", carol, carol, `{}`) }},
		{name: "state key rule rejects state under another user's ID", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"state_default":0`) },
			event: func(r *room) event.PDU { return r.ev("com.example.status", bob, carol, `{}`) },
			want:  RuleStateKeyUserID},
		{name: "state key rule rejects another user's ID even for the creator", versions: "1-12",
			event: func(r *room) event.PDU { return r.ev("com.example.status", bob, alice, `{}`) },
			want:  RuleStateKeyUserID},

		{name: "redaction rule allows a redaction below the redact level of an event from the same server", versions: "1-2",
			event: func(r *room) event.PDU {
				e := r.ev(typeRedaction, "-", carol, `{}`)
				e.redacts = "$other:a.example"
				return e
			}},
		{name: "redaction rule rejects a redaction below the redact level of another server's event", versions: "1-2",
			event: func(r *room) event.PDU {
				e := r.ev(typeRedaction, "-", carol, `{}`)
				e.redacts = "$other:o.example"
				return e
			},
			want: RuleRedaction},
		{name: "redaction rule allows a redaction at the redact level of another server's event", versions: "1-2",
			event: func(r *room) event.PDU {
				e := r.ev(typeRedaction, "-", bob, `{}`)
				e.redacts = "$other:o.example"
				return e
			}},
		{name: "redactions are checked when served from version 3", versions: "3-12",
			event: func(r *room) event.PDU {
				e := r.ev(typeRedaction, "-", carol, `{}`)
				e.redacts = "$other:o.example"
				return e
			}},
		{name: "otherwise rule allows any other event", versions: "1-12",
			event: func(r *room) event.PDU { return r.ev("com.example.custom", "-", carol, `[1,2]`) }},
	})
}

// setPowerLevels replaces the fixture's power levels with its users and the
// given extra keys.
func setPowerLevels(r *room, extra string) {
	users := fmt.Sprintf(`{%q:100,%q:50}`, alice, bob)
	if r.rules.PrivilegedCreators {
		users = fmt.Sprintf(`{%q:50}`, bob)
	}
	c := `{"users":` + users
	if extra != "" {
		c += "," + extra
	}
	r.set(typePowerLevels, "", alice, c+"}")
}

func TestRuleErrorUnwrapsToNotAllowedAndCause(t *testing.T) {
	r := newRoom(t, "10")
	r.set(typePowerLevels, "", alice, `{"ban":"50"}`)
	err := Allowed(r.rules, r.member(bob, carol, "ban"), r.state)
	if !errors.Is(err, ErrNotAllowed) || !errors.Is(err, ErrInvalidPowerLevels) {
		t.Fatalf("want ErrNotAllowed and ErrInvalidPowerLevels, got %v", err)
	}
	var re *RuleError
	if !errors.As(err, &re) || re.Number != "4.6.3" || re.Version != "10" {
		t.Fatalf("want rule 4.6.3 of version 10, got %#v", re)
	}
}
