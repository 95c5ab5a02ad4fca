package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
)

func TestStateNeeded(t *testing.T) {
	create, pl, jr := StateKey{typeCreate, ""}, StateKey{typePowerLevels, ""}, StateKey{typeJoinRules, ""}
	mem := func(u string) StateKey { return StateKey{typeMember, u} }
	tests := []struct {
		name     string
		versions string
		evType   string
		stateKey *string
		sender   string
		content  string
		want     []StateKey
	}{
		{name: "a create event cites nothing", versions: "1-12", evType: typeCreate, stateKey: ptr(""), sender: alice, content: `{}`},
		{name: "a message cites create, power levels and the sender", versions: "1-11", evType: "m.room.message", sender: carol, content: `{}`,
			want: []StateKey{create, pl, mem(carol)}},
		{name: "a message does not cite create in version 12", versions: "12", evType: "m.room.message", sender: carol, content: `{}`,
			want: []StateKey{pl, mem(carol)}},
		{name: "a join cites the join rules and the sender once", versions: "1-11", evType: typeMember, stateKey: ptr(carol), sender: carol, content: `{"membership":"join"}`,
			want: []StateKey{create, pl, mem(carol), jr}},
		{name: "an invite cites the target and the join rules", versions: "12", evType: typeMember, stateKey: ptr(dave), sender: carol, content: `{"membership":"invite"}`,
			want: []StateKey{pl, mem(carol), mem(dave), jr}},
		{name: "a kick cites the target but not the join rules", versions: "1-11", evType: typeMember, stateKey: ptr(dave), sender: bob, content: `{"membership":"leave"}`,
			want: []StateKey{create, pl, mem(bob), mem(dave)}},
		{name: "a ban cites the target but not the join rules", versions: "12", evType: typeMember, stateKey: ptr(dave), sender: bob, content: `{"membership":"ban"}`,
			want: []StateKey{pl, mem(bob), mem(dave)}},
		{name: "a knock cites the join rules", versions: "7-11", evType: typeMember, stateKey: ptr(frank), sender: frank, content: `{"membership":"knock"}`,
			want: []StateKey{create, pl, mem(frank), jr}},
		{name: "a third-party invite cites the invite of its token", versions: "1-11", evType: typeMember, stateKey: ptr(dave), sender: carol,
			content: `{"membership":"invite","third_party_invite":{"display_name":"d","signed":{"mxid":"@dave:a.example","token":"tok","signatures":{}}}}`,
			want:    []StateKey{create, pl, mem(carol), mem(dave), jr, {typeThirdPartyInvite, "tok"}}},
		{name: "a third-party invite without a token cites no invite", versions: "1-11", evType: typeMember, stateKey: ptr(dave), sender: carol,
			content: `{"membership":"invite","third_party_invite":{"signed":{}}}`,
			want:    []StateKey{create, pl, mem(carol), mem(dave), jr}},
		{name: "a restricted join cites the authorising user", versions: "8-11", evType: typeMember, stateKey: ptr(mallory), sender: mallory,
			content: fmt.Sprintf(`{"membership":"join",%q:%q}`, keyAuthorisingUser, carol),
			want:    []StateKey{create, pl, mem(mallory), jr, mem(carol)}},
		{name: "an authorising user is not cited before version 8", versions: "1-7", evType: typeMember, stateKey: ptr(mallory), sender: mallory,
			content: fmt.Sprintf(`{"membership":"join",%q:%q}`, keyAuthorisingUser, carol),
			want:    []StateKey{create, pl, mem(mallory), jr}},
		{name: "an authorising user is not cited for a leave", versions: "8-11", evType: typeMember, stateKey: ptr(mallory), sender: mallory,
			content: fmt.Sprintf(`{"membership":"leave",%q:%q}`, keyAuthorisingUser, carol),
			want:    []StateKey{create, pl, mem(mallory)}},
	}
	for _, tc := range tests {
		for _, v := range versionRange(t, tc.versions) {
			t.Run(fmt.Sprintf("v%s/%s", v, tc.name), func(t *testing.T) {
				got, err := StateNeeded(mustRules(t, v), tc.evType, tc.stateKey, tc.sender, json.RawMessage(tc.content))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func TestStateNeededRejectsMembershipEventsThatCannotPass(t *testing.T) {
	rules := mustRules(t, "11")
	for name, tc := range map[string]struct {
		stateKey *string
		content  string
	}{
		"without a state key":            {nil, `{"membership":"join"}`},
		"without a membership":           {ptr(carol), `{}`},
		"with a membership not a string": {ptr(carol), `{"membership":true}`},
		"with content not an object":     {ptr(carol), `"join"`},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := StateNeeded(rules, typeMember, tc.stateKey, carol, json.RawMessage(tc.content)); !errors.Is(err, ErrInvalidContent) {
				t.Fatalf("want ErrInvalidContent, got %v", err)
			}
		})
	}
}

// cite sets the event's auth_events to the state events of the keys and
// returns those events.
func cite(r *room, e *testEvent, keys ...StateKey) []event.PDU {
	var out []event.PDU
	e.auth = nil
	for _, k := range keys {
		a := r.state.StateEvent(k.Type, k.StateKey)
		if a == nil {
			r.t.Fatalf("fixture has no %v", k)
		}
		out = append(out, a)
		e.auth = append(e.auth, a.EventID())
	}
	return out
}

func TestCheckAuthEvents(t *testing.T) {
	create, pl, jr := StateKey{typeCreate, ""}, StateKey{typePowerLevels, ""}, StateKey{typeJoinRules, ""}
	mem := func(u string) StateKey { return StateKey{typeMember, u} }
	tests := []struct {
		name     string
		versions string
		// build returns the event and its auth events.
		build func(r *room) (*testEvent, []event.PDU)
		want  Rule
	}{
		{name: "auth events rules allow a message citing its selection", versions: "1-11",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				return e, cite(r, e, create, pl, mem(carol))
			}},
		{name: "auth events rules allow a message citing part of its selection", versions: "1-11",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				return e, cite(r, e, create, mem(carol))
			}},
		{name: "auth events rules allow a version 12 message without the create event", versions: "12",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				return e, cite(r, e, pl, mem(carol))
			}},
		{name: "auth events rules allow a restricted join citing the authorising user", versions: "8-11",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := restrictedJoin(carol)(r).(*testEvent)
				return e, cite(r, e, create, pl, jr, mem(carol))
			}},
		{name: "auth events rules allow the create event without auth events", versions: "1-12",
			build: func(r *room) (*testEvent, []event.PDU) { return r.create, nil }},
		{name: "duplicate rule rejects two events for one type and state key", versions: "1-12",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				// Version 12 events do not cite the create event; the
				// duplicate is the sender's membership in every version.
				keys := []StateKey{pl, mem(carol)}
				if !r.rules.RoomIDFromCreateEvent {
					keys = append(keys, create)
				}
				auth := cite(r, e, keys...)
				old := &testEvent{id: "$old:a.example", roomID: r.id, typ: typeMember, stateKey: ptr(carol), sender: carol, content: []byte(`{"membership":"join"}`)}
				e.auth = append(e.auth, old.id)
				return e, append(auth, old)
			},
			want: RuleAuthEventsDuplicate},
		{name: "selection rule rejects a message citing the join rules", versions: "1-12",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				return e, cite(r, e, pl, mem(carol), jr)
			},
			want: RuleAuthEventsSelection},
		{name: "selection rule rejects a message citing another user's membership", versions: "1-12",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				return e, cite(r, e, pl, mem(carol), mem(bob))
			},
			want: RuleAuthEventsSelection},
		{name: "selection rule rejects citing the create event in version 12", versions: "12",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				return e, cite(r, e, create, pl, mem(carol))
			},
			want: RuleAuthEventsSelection},
		{name: "selection rule rejects an authorising user before version 8", versions: "1-7",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := restrictedJoin(carol)(r).(*testEvent)
				return e, cite(r, e, create, pl, jr, mem(carol))
			},
			want: RuleAuthEventsSelection},
		{name: "selection rule rejects a message event among the auth events", versions: "1-12",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				m := r.ev("m.room.message", "-", carol, `{}`)
				auth := cite(r, e, pl)
				e.auth = append(e.auth, m.id)
				return e, append(auth, m)
			},
			want: RuleAuthEventsSelection},
		{name: "rejected rule rejects citing a rejected event", versions: "1-12",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				auth := cite(r, e, pl, mem(carol))
				auth[0].(*testEvent).rejected = true
				return e, auth
			},
			want: RuleAuthEventsRejected},
		{name: "create rule rejects auth events without the create event", versions: "1-11",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				return e, cite(r, e, pl, mem(carol))
			},
			want: RuleAuthEventsCreate},
		{name: "room rule rejects an auth event from another room", versions: "1-12",
			build: func(r *room) (*testEvent, []event.PDU) {
				e := r.ev("m.room.message", "-", carol, `{}`)
				auth := cite(r, e, pl, mem(carol))
				auth[1].(*testEvent).roomID = "!elsewhere:o.example"
				if !r.rules.RoomIDFromCreateEvent {
					auth = append(auth, r.create)
					e.auth = append(e.auth, r.create.id)
				}
				return e, auth
			},
			want: RuleAuthEventsRoomID},
	}
	for _, tc := range tests {
		for _, v := range versionRange(t, tc.versions) {
			t.Run(fmt.Sprintf("v%s/%s", v, tc.name), func(t *testing.T) {
				r := newRoom(t, v)
				e, auth := tc.build(r)
				wantRule(t, CheckAuthEvents(r.rules, e, auth), tc.want)
			})
		}
	}
}

func TestCheckAuthEventsNeedsEveryCitedEvent(t *testing.T) {
	r := newRoom(t, "11")
	e := r.ev("m.room.message", "-", carol, `{}`)
	auth := cite(r, e, StateKey{typeCreate, ""}, StateKey{typeMember, carol})
	err := CheckAuthEvents(r.rules, e, auth[:1])
	if !errors.Is(err, ErrMissingAuthEvent) || errors.Is(err, ErrNotAllowed) {
		t.Fatalf("want ErrMissingAuthEvent and not a rejection, got %v", err)
	}
}

func TestRequiredSigners(t *testing.T) {
	tests := []struct {
		name    string
		version string
		ev      func(r *room) *testEvent
		want    []string
	}{
		{name: "a message needs its sender's server", version: "11",
			ev: func(r *room) *testEvent { return r.ev("m.room.message", "-", oscar, `{}`) }, want: []string{"o.example"}},
		{name: "a version 1 event also needs the server of its event ID", version: "1",
			ev: func(r *room) *testEvent {
				e := r.ev("m.room.message", "-", oscar, `{}`)
				e.id = "$x:relay.example"
				return e
			},
			want: []string{"o.example", "relay.example"}},
		{name: "a version 3 event ID names no server", version: "3",
			ev: func(r *room) *testEvent {
				e := r.ev("m.room.message", "-", oscar, `{}`)
				e.id = "$abc"
				return e
			},
			want: []string{"o.example"}},
		{name: "a restricted join also needs the authorising server", version: "9",
			ev: func(r *room) *testEvent { return restrictedJoin(oscar)(r).(*testEvent) }, want: []string{"a.example", "o.example"}},
		{name: "an authorising user on the sender's server adds nothing", version: "10",
			ev: func(r *room) *testEvent { return restrictedJoin(carol)(r).(*testEvent) }, want: []string{"a.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoom(t, tc.version)
			if got := RequiredSigners(r.rules, tc.ev(r)); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
