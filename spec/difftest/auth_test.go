package difftest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/matrix-org/gomatrixserverlib"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

// outsider has never been in any room.
const outsider = "@stranger:d.example"

// randCandidate is a random event someone might send to the room now:
// a message, a state event, a membership change (joins through restricted
// rules, knocks, invites, kicks, bans, unbans), a power levels edit, a join
// rules change, a redaction or (v1-5) an aliases event. The description
// names it in failure messages.
func (rm *room) randCandidate() (*event.Event, string) {
	r := rm.r
	pick := func() string {
		if r.IntN(10) == 0 {
			return outsider
		}
		return rm.users[r.IntN(len(rm.users))]
	}
	sender := pick()
	if len(rm.senders) > 0 {
		sender = rm.senders[r.IntN(len(rm.senders))]
	}
	var tmpl event.Template
	var signers []string
	var desc string
	switch kind := r.IntN(8); kind {
	case 0:
		typ := []string{typeMessage, "org.example.custom"}[r.IntN(2)]
		tmpl = rm.template(sender, typ, nil, `{"body":"hi"}`)
		desc = "message " + typ
	case 1:
		typ := []string{typeTopic, typeName, "org.example.custom"}[r.IntN(3)]
		sk := []string{"", sender, pick(), "@"}[r.IntN(4)]
		tmpl = rm.template(sender, typ, &sk, `{"topic":"t","name":"n"}`)
		desc = fmt.Sprintf("state %s %q", typ, sk)
	case 2, 3:
		target := sender
		if r.IntN(2) == 0 {
			target = pick()
		}
		m := []string{"join", "join", "invite", "leave", "ban", "knock", "unknown"}[r.IntN(7)]
		c := map[string]any{"membership": m}
		if m == "join" && rm.rules.RestrictedJoinRule && r.IntN(2) == 0 {
			via := pick()
			c["join_authorised_via_users_server"] = via
			if r.IntN(4) > 0 {
				signers = append(signers, serverOf(via))
			}
		}
		tmpl = rm.template(sender, typeMember, &target, mustJSON(c))
		desc = fmt.Sprintf("member %s -> %s %s (signed by %v)", sender, target, mustJSON(c), signers)
	case 4:
		content := rm.editedPowerLevels()
		tmpl = rm.template(sender, typePowerLevels, ptr(""), content)
		desc = "power levels " + content
	case 5:
		content := rm.randJoinRules()
		tmpl = rm.template(sender, typeJoinRules, ptr(""), content)
		desc = "join rules " + content
	case 6:
		ids := sortedKeys(rm.events)
		tmpl = rm.template(sender, typeRedaction, nil, `{}`)
		tmpl.Redacts = ids[r.IntN(len(ids))]
		desc = "redaction of " + tmpl.Redacts
	case 7:
		if !rm.rules.SpecialCasedAliasesAuth {
			tmpl = rm.template(sender, typeHistoryVisibility, ptr(""), `{"history_visibility":"shared"}`)
			desc = "history visibility"
			break
		}
		sk := serverOf(sender)
		if r.IntN(3) == 0 {
			sk = "other.example"
		}
		tmpl = rm.template(sender, typeAliases, &sk, `{"aliases":["#a:`+sk+`"]}`)
		desc = "aliases " + sk
	}
	desc = "by " + sender + ": " + desc
	return rm.build(tmpl, signers...), desc
}

// editedPowerLevels is the current power levels with one to three random
// changes: a user's level, a top-level level, an events or notifications
// entry, a user removed.
func (rm *room) editedPowerLevels() string {
	r := rm.r
	pl := map[string]any{}
	if cur, ok := rm.state[auth.StateKey{Type: typePowerLevels}]; ok {
		if err := json.Unmarshal(cur.Content(), &pl); err != nil {
			rm.t.Fatal(err)
		}
	}
	sub := func(k string) map[string]any {
		m, ok := pl[k].(map[string]any)
		if !ok {
			m = map[string]any{}
			pl[k] = m
		}
		return m
	}
	for range 1 + r.IntN(3) {
		switch r.IntN(6) {
		case 0, 1:
			sub("users")[rm.users[r.IntN(len(rm.users))]] = randLevel(r)
		case 2:
			pl[[]string{"ban", "kick", "redact", "invite", "state_default", "events_default", "users_default"}[r.IntN(7)]] = randLevel(r)
		case 3:
			sub("events")[[]string{typeName, typePowerLevels, typeTopic, "org.example.custom"}[r.IntN(4)]] = randLevel(r)
		case 4:
			sub("notifications")["room"] = randLevel(r)
		case 5:
			delete(sub("users"), rm.users[r.IntN(len(rm.users))])
		}
	}
	return mustJSON(pl)
}

// TestAuthDecisionsAgreeWithGomatrixserverlib checks random candidate
// events against random rooms of every room version with both
// implementations of the authorization rules, given the room's current
// state.
func TestAuthDecisionsAgreeWithGomatrixserverlib(t *testing.T) {
	for _, rules := range versions(t, gmslKnows) {
		t.Run("v"+string(rules.ID), func(t *testing.T) {
			r, n := newRand(t, 60)
			accepted, total := 0, 0
			deviations := map[string]int{}
			for i := range n {
				rm := newRandomRoom(t, r, rules)
				gs := gState(t, rm, rm.state)
				for j := range 10 {
					ev, desc := rm.randCandidate()
					ours := auth.Allowed(rules, ev, stateMap(rm.state))
					theirs := gomatrixserverlib.Allowed(rm.gEvents[ev.EventID()], gs, userIDForSender)
					total++
					if ours == nil {
						accepted++
					}
					if (ours == nil) != (theirs == nil) {
						if d := knownGmslDeviation(rm, ev, rm.state, ours, theirs); d != "" {
							deviations[d]++
							continue
						}
						t.Errorf("room %d, candidate %d, %s\nours:   %v\ntheirs: %v\nevent: %s\nstate:\n%s",
							i, j, desc, ours, theirs, ev.JSON(), dumpState(rm.state))
					}
				}
			}
			t.Logf("%d of %d candidates accepted; known gomatrixserverlib deviations: %v", accepted, total, deviations)
		})
	}
}

// dumpState lists the state for failure messages.
func dumpState(state map[auth.StateKey]*event.Event) string {
	var s string
	for _, k := range sortedStateKeys(state) {
		s += fmt.Sprintf("  %s %q %s %s\n", k.Type, k.StateKey, state[k].Sender(), state[k].Content())
	}
	return s
}
