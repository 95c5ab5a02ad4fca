package auth

import (
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
)

// createEvent is the fixture's create event with the given content.
func createEvent(content string) func(r *room) event.PDU {
	return func(r *room) event.PDU {
		e := *r.create
		e.content = []byte(content)
		return &e
	}
}

func TestAllowedCreate(t *testing.T) {
	runAllowed(t, []allowedCase{
		{name: "create rule allows the fixture's create event", versions: "1-12",
			event: func(r *room) event.PDU { return r.create }},
		{name: "create rule allows a create event without room_version", versions: "11-12",
			event: createEvent(`{}`)},
		{name: "create rule rejects a create event with prev_events", versions: "1-12",
			event: func(r *room) event.PDU {
				e := *r.create
				e.prev = []string{"$x:a.example"}
				return &e
			},
			want: RuleCreatePrevEvents},
		{name: "create rule rejects a room ID on another server than the sender", versions: "1-11",
			event: func(r *room) event.PDU {
				e := *r.create
				e.sender = oscar
				return &e
			},
			want: RuleCreateRoomIDDomain},
		{name: "create rule rejects a create event carrying a room ID", versions: "12",
			event: func(r *room) event.PDU {
				e := *r.create
				e.noRoomID = false
				return &e
			},
			want: RuleCreateRoomID},
		{name: "create rule allows a room ID sender of any server in version 12", versions: "12",
			event: func(r *room) event.PDU {
				e := *r.create
				e.sender = oscar
				return &e
			}},
		{name: "create rule rejects an unknown room version", versions: "1-12",
			event: func(r *room) event.PDU {
				return createEvent(fmt.Sprintf(`{"room_version":"org.example.v99","creator":%q}`, alice))(r)
			},
			want: RuleCreateRoomVersion},
		{name: "create rule rejects a room version that is not a string", versions: "1-12",
			event: func(r *room) event.PDU { return createEvent(fmt.Sprintf(`{"room_version":9,"creator":%q}`, alice))(r) },
			want:  RuleCreateRoomVersion},
		{name: "create rule rejects a create event without creator", versions: "1-10",
			event: createEvent(`{"room_version":"1"}`), want: RuleCreateCreator},
		{name: "create rule needs no creator from version 11", versions: "11-12",
			event: createEvent(`{"room_version":"11"}`)},
		{name: "create rule allows valid additional creators", versions: "12",
			event: createEvent(fmt.Sprintf(`{"additional_creators":[%q,"@x:[::1]:8448"]}`, oscar))},
		{name: "create rule rejects additional creators that are not an array", versions: "12",
			event: createEvent(fmt.Sprintf(`{"additional_creators":%q}`, oscar)), want: RuleCreateAdditionalCreators},
		{name: "create rule rejects an additional creator that is not a string", versions: "12",
			event: createEvent(`{"additional_creators":[1]}`), want: RuleCreateAdditionalCreators},
		{name: "create rule rejects an additional creator that is not a user ID", versions: "12",
			event: createEvent(`{"additional_creators":["alice"]}`), want: RuleCreateAdditionalCreators},
		{name: "create rule rejects an additional creator with an invalid server name", versions: "12",
			event: createEvent(`{"additional_creators":["@a:bad_server"]}`), want: RuleCreateAdditionalCreators},
		{name: "additional creators are not checked before version 12", versions: "1-11",
			event: func(r *room) event.PDU {
				return createEvent(createContent(r.rules, `"additional_creators":"x"`))(r)
			}},
	})
}

func TestValidUserID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"@alice:example.org", true},
		{"@alice:example.org:8448", true},
		{"@alice:1.2.3.4", true},
		{"@alice:[1234:5678::abcd]:80", true},
		{"@:example.org", true},
		{"@Ünïcode:example.org", true},
		{"alice:example.org", false},
		{"@alice", false},
		{"@alice:", false},
		{"@alice:exa_mple.org", false},
		{"@alice:example.org:", false},
		{"@alice:example.org:123456", false},
		{"@alice:[1234:5678::abcd", false},
		{"@alice:[xyz]", false},
		{"@" + string(make([]byte, 250)) + ":example.org", false},
	}
	for _, tc := range tests {
		if got := validUserID(tc.id); got != tc.want {
			t.Errorf("validUserID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
