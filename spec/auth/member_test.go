package auth

import (
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
)

func joinRules(rule string) func(r *room) {
	return func(r *room) { r.set(typeJoinRules, "", alice, fmt.Sprintf(`{"join_rule":%q}`, rule)) }
}

func member(sender, target, membership string) func(r *room) event.PDU {
	return func(r *room) event.PDU { return r.member(sender, target, membership) }
}

// restrictedJoin is mallory's join authorised by the given user, signed by
// that user's server.
func restrictedJoin(authoriser string) func(r *room) event.PDU {
	return func(r *room) event.PDU {
		e := r.ev(typeMember, mallory, mallory, fmt.Sprintf(`{"membership":"join",%q:%q}`, keyAuthorisingUser, authoriser))
		e.signers = []string{"a.example", domainOf(authoriser)}
		return e
	}
}

func TestAllowedMembership(t *testing.T) {
	runAllowed(t, []allowedCase{
		{name: "membership rule rejects a member event without membership", versions: "1-12",
			event: func(r *room) event.PDU { return r.ev(typeMember, carol, carol, `{"displayname":"c"}`) },
			want:  RuleMemberMalformed},
		{name: "membership rule rejects a member event without a state key", versions: "1-12",
			event: func(r *room) event.PDU { return r.ev(typeMember, "-", carol, `{"membership":"join"}`) },
			want:  RuleMemberMalformed},
		{name: "membership rule rejects a membership that is not a string", versions: "1-12",
			event: func(r *room) event.PDU { return r.ev(typeMember, carol, carol, `{"membership":1}`) },
			want:  RuleMemberMalformed},
		{name: "membership rule rejects an unknown membership", versions: "1-12",
			event: member(carol, carol, "wander"), want: RuleMembershipUnknown},
		{name: "membership rule treats knock as unknown before version 7", versions: "1-6",
			setup: joinRules("knock"),
			event: member(mallory, mallory, "knock"), want: RuleMembershipUnknown},

		{name: "authorising server rule allows a join signed by the authorising server", versions: "8-12",
			setup: func(r *room) {
				joinRules("restricted")(r)
				r.set(typeMember, oscar, oscar, `{"membership":"join"}`)
			},
			event: restrictedJoin(oscar)},
		{name: "authorising server rule rejects a join the authorising server did not sign", versions: "8-12",
			setup: func(r *room) {
				joinRules("restricted")(r)
				r.set(typeMember, oscar, oscar, `{"membership":"join"}`)
			},
			event: func(r *room) event.PDU {
				e := restrictedJoin(oscar)(r).(*testEvent)
				e.signers = nil
				return e
			},
			want: RuleMemberAuthorisedSignature},
		{name: "authorising server rule rejects an authorising user that is not a string", versions: "8-12",
			setup: joinRules("restricted"),
			event: func(r *room) event.PDU {
				return r.ev(typeMember, mallory, mallory, `{"membership":"join","join_authorised_via_users_server":7}`)
			},
			want: RuleMemberAuthorisedSignature},
		{name: "authorising server rule does not exist before version 8", versions: "1-7",
			setup: joinRules("public"),
			event: func(r *room) event.PDU {
				return r.ev(typeMember, mallory, mallory, fmt.Sprintf(`{"membership":"join",%q:%q}`, keyAuthorisingUser, oscar))
			}},

		{name: "join rule allows the creator's join right after the create event", versions: "1-12",
			setup: func(r *room) { r.unset(typeMember, alice); r.unset(typeJoinRules, ""); r.unset(typePowerLevels, "") },
			event: func(r *room) event.PDU {
				e := r.member(alice, alice, "join")
				e.prev = []string{r.create.id}
				return e
			}},
		{name: "join rule does not let another user join right after the create event", versions: "1-12",
			setup: func(r *room) { r.unset(typeMember, alice); r.unset(typeJoinRules, ""); r.unset(typePowerLevels, "") },
			event: func(r *room) event.PDU {
				e := r.member(mallory, mallory, "join")
				e.prev = []string{r.create.id}
				return e
			},
			want: RuleJoinOtherwise},
		{name: "join rule rejects joining someone else", versions: "1-12",
			setup: joinRules("public"),
			event: member(alice, mallory, "join"), want: RuleJoinSenderNotTarget},
		{name: "join rule rejects a banned user in a public room", versions: "1-12",
			setup: joinRules("public"),
			event: member(erin, erin, "join"), want: RuleJoinBanned},
		{name: "join rule allows an invited user into an invite-only room", versions: "1-12",
			event: member(dave, dave, "join")},
		{name: "join rule allows a joined user to join again", versions: "1-12",
			event: member(carol, carol, "join")},
		{name: "join rule rejects an uninvited user in an invite-only room", versions: "1-12",
			event: member(mallory, mallory, "join"), want: RuleJoinOtherwise},
		{name: "join rule treats a room without join rules as invite-only", versions: "1-12",
			setup: func(r *room) { r.unset(typeJoinRules, "") },
			event: member(mallory, mallory, "join"), want: RuleJoinOtherwise},
		{name: "join rule lets an invited user into a room without join rules", versions: "1-12",
			setup: func(r *room) { r.unset(typeJoinRules, "") },
			event: member(dave, dave, "join")},
		{name: "join rule allows an invited user into a knock room", versions: "7-12",
			setup: joinRules("knock"),
			event: member(dave, dave, "join")},
		{name: "join rule rejects a knocking user who was not invited into a knock room", versions: "7-12",
			setup: joinRules("knock"),
			event: member(frank, frank, "join"), want: RuleJoinOtherwise},
		{name: "join rule does not know knock before version 7", versions: "1-6",
			setup: joinRules("knock"),
			event: member(dave, dave, "join"), want: RuleJoinOtherwise},
		{name: "join rule allows anyone into a public room", versions: "1-12",
			setup: joinRules("public"),
			event: member(mallory, mallory, "join")},
		{name: "join rule allows a remote user into a public room", versions: "1-12",
			setup: joinRules("public"),
			event: member(oscar, oscar, "join")},
		{name: "join rule rejects a private room", versions: "1-12",
			setup: joinRules("private"),
			event: member(dave, dave, "join"), want: RuleJoinOtherwise},

		{name: "restricted join rule allows an invited user", versions: "8-12",
			setup: joinRules("restricted"),
			event: member(dave, dave, "join")},
		{name: "restricted join rule allows a join authorised by a joined user who may invite", versions: "8-12",
			setup: joinRules("restricted"),
			event: restrictedJoin(carol)},
		{name: "restricted join rule rejects a join without an authorising user", versions: "8-12",
			setup: joinRules("restricted"),
			event: member(mallory, mallory, "join"), want: RuleJoinAuthorisingUser},
		{name: "restricted join rule rejects an authorising user who is not joined", versions: "8-12",
			setup: joinRules("restricted"),
			event: restrictedJoin(dave), want: RuleJoinAuthorisingUser},
		{name: "restricted join rule rejects an authorising user below the invite level", versions: "8-12",
			setup: func(r *room) { joinRules("restricted")(r); setPowerLevels(r, `"invite":50`) },
			event: restrictedJoin(carol), want: RuleJoinAuthorisingUser},
		{name: "restricted join rule does not exist before version 8", versions: "1-7",
			setup: joinRules("restricted"),
			event: restrictedJoin(carol), want: RuleJoinOtherwise},
		{name: "knock_restricted join rule allows a join authorised by a joined user", versions: "10-12",
			setup: joinRules("knock_restricted"),
			event: restrictedJoin(carol)},
		{name: "knock_restricted join rule allows an invited user", versions: "10-12",
			setup: joinRules("knock_restricted"),
			event: member(dave, dave, "join")},
		{name: "knock_restricted join rule rejects a join without an authorising user", versions: "10-12",
			setup: joinRules("knock_restricted"),
			event: member(mallory, mallory, "join"), want: RuleJoinAuthorisingUser},
		{name: "knock_restricted join rule does not exist before version 10", versions: "1-9",
			setup: joinRules("knock_restricted"),
			event: restrictedJoin(carol), want: RuleJoinOtherwise},

		{name: "invite rule allows a joined user at the invite level", versions: "1-12",
			event: member(carol, mallory, "invite")},
		{name: "invite rule allows inviting a remote user", versions: "1-12",
			event: member(carol, oscar, "invite")},
		{name: "invite rule rejects an inviter who is not joined", versions: "1-12",
			event: member(dave, mallory, "invite"), want: RuleInviteSenderNotJoined},
		{name: "invite rule rejects inviting a joined user", versions: "1-12",
			event: member(carol, bob, "invite"), want: RuleInviteTargetMembership},
		{name: "invite rule rejects inviting a banned user", versions: "1-12",
			event: member(alice, erin, "invite"), want: RuleInviteTargetMembership},
		{name: "invite rule allows inviting an invited user again", versions: "1-12",
			event: member(carol, dave, "invite")},
		{name: "invite rule rejects an inviter below the invite level", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"invite":50`) },
			event: member(carol, mallory, "invite"), want: RuleInviteLevel},

		{name: "leave rule allows a joined user to leave", versions: "1-12",
			event: member(carol, carol, "leave")},
		{name: "leave rule allows an invited user to reject the invite", versions: "1-12",
			event: member(dave, dave, "leave")},
		{name: "leave rule allows a knocking user to retract the knock", versions: "7-12",
			event: member(frank, frank, "leave")},
		{name: "leave rule rejects leaving a room never joined", versions: "1-12",
			event: member(mallory, mallory, "leave"), want: RuleLeaveSelf},
		{name: "leave rule rejects a banned user unbanning themselves", versions: "1-12",
			event: member(erin, erin, "leave"), want: RuleLeaveSelf},
		{name: "leave rule rejects a kick by a user who is not joined", versions: "1-12",
			event: member(dave, carol, "leave"), want: RuleLeaveSenderNotJoined},
		{name: "leave rule rejects an unban below the ban level", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"ban":60,"kick":0`) },
			event: member(bob, erin, "leave"), want: RuleLeaveUnbanLevel},
		{name: "leave rule allows an unban at the ban and kick levels", versions: "1-12",
			event: member(bob, erin, "leave")},
		{name: "leave rule allows a moderator to kick a member", versions: "1-12",
			event: member(bob, carol, "leave")},
		{name: "leave rule allows a moderator to revoke an invite", versions: "1-12",
			event: member(bob, dave, "leave")},
		{name: "leave rule rejects a kick below the kick level", versions: "1-12",
			event: member(carol, bob, "leave"), want: RuleLeaveKick},
		{name: "leave rule rejects a kick of a user at the sender's level", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"kick":0`) },
			event: member(carol, dave, "leave"), want: RuleLeaveKick},
		{name: "leave rule rejects a kick of a user above the sender", versions: "1-12",
			event: member(bob, alice, "leave"), want: RuleLeaveKick},

		{name: "ban rule allows a moderator to ban a member", versions: "1-12",
			event: member(bob, carol, "ban")},
		{name: "ban rule allows banning a user who never joined", versions: "1-12",
			event: member(bob, mallory, "ban")},
		{name: "ban rule rejects a ban by a user who is not joined", versions: "1-12",
			event: member(dave, carol, "ban"), want: RuleBanSenderNotJoined},
		{name: "ban rule rejects a ban below the ban level", versions: "1-12",
			event: member(carol, mallory, "ban"), want: RuleBan},
		{name: "ban rule rejects banning a user at the sender's level", versions: "1-12",
			setup: func(r *room) { setPowerLevels(r, `"ban":0`) },
			event: member(carol, dave, "ban"), want: RuleBan},
		{name: "ban rule rejects banning the creator", versions: "1-12",
			event: member(bob, alice, "ban"), want: RuleBan},

		{name: "knock rule allows knocking on a knock room", versions: "7-12",
			setup: joinRules("knock"),
			event: member(mallory, mallory, "knock")},
		{name: "knock rule allows knocking again", versions: "7-12",
			setup: joinRules("knock"),
			event: member(frank, frank, "knock")},
		{name: "knock rule allows knocking on a knock_restricted room", versions: "10-12",
			setup: joinRules("knock_restricted"),
			event: member(mallory, mallory, "knock")},
		{name: "knock rule rejects knocking on a knock_restricted room before version 10", versions: "7-9",
			setup: joinRules("knock_restricted"),
			event: member(mallory, mallory, "knock"), want: RuleKnockJoinRule},
		{name: "knock rule rejects knocking on an invite-only room", versions: "7-12",
			event: member(mallory, mallory, "knock"), want: RuleKnockJoinRule},
		{name: "knock rule rejects knocking on a public room", versions: "7-12",
			setup: joinRules("public"),
			event: member(mallory, mallory, "knock"), want: RuleKnockJoinRule},
		{name: "knock rule rejects knocking for someone else", versions: "7-12",
			setup: joinRules("knock"),
			event: member(carol, mallory, "knock"), want: RuleKnockSenderNotTarget},
		{name: "knock rule rejects a joined user knocking", versions: "7-12",
			setup: joinRules("knock"),
			event: member(carol, carol, "knock"), want: RuleKnockMembership},
		{name: "knock rule rejects an invited user knocking", versions: "7-12",
			setup: joinRules("knock"),
			event: member(dave, dave, "knock"), want: RuleKnockMembership},
		{name: "knock rule rejects a banned user knocking", versions: "7-12",
			setup: joinRules("knock"),
			event: member(erin, erin, "knock"), want: RuleKnockMembership},
	})
}
