package auth

import (
	"fmt"
	"os"
	"testing"

	"github.com/ocomms/ocomms/spec/event"
)

// benchRoom is a public v11 room with 500 joined members, 50 of them listed
// in the power levels of testdata/power_levels.json.
func benchRoom(b *testing.B) *room {
	b.Helper()
	pl, err := os.ReadFile("testdata/power_levels.json")
	if err != nil {
		b.Fatal(err)
	}
	r := &room{rules: mustRules(b, "11"), id: "!room:example.org", state: testState{}}
	r.create = &testEvent{id: "$create", roomID: r.id, typ: typeCreate, stateKey: ptr(""), sender: "@admin:example.org", content: []byte(`{"room_version":"11"}`)}
	r.state[StateKey{typeCreate, ""}] = r.create
	users := `"@admin:example.org":100`
	for i := range 500 {
		u := fmt.Sprintf("@user%d:example.org", i)
		r.set(typeMember, u, u, fmt.Sprintf(`{"membership":"join","displayname":"User %d","avatar_url":"mxc://example.org/abcdefghijklmnop"}`, i))
		if i < 50 {
			users += fmt.Sprintf(",%q:%d", u, i%3*25)
		}
	}
	r.set(typeMember, "@admin:example.org", "@admin:example.org", `{"membership":"join"}`)
	content := string(pl)
	r.set(typePowerLevels, "", "@admin:example.org", content[:len(content)-2]+`,"users":{`+users+`}}`)
	r.set(typeJoinRules, "", "@admin:example.org", `{"join_rule":"public"}`)
	r.set("m.room.history_visibility", "", "@admin:example.org", `{"history_visibility":"shared"}`)
	return r
}

func BenchmarkAllowed(b *testing.B) {
	r := benchRoom(b)
	if _, err := ParsePowerLevels(r.rules, r.state[StateKey{typePowerLevels, ""}].Content()); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		ev   event.PDU
	}{
		{"member join", r.member("@new:other.example", "@new:other.example", "join")},
		{"message", r.ev("m.room.message", "-", "@user7:example.org", `{"msgtype":"m.text","body":"hello"}`)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if err := Allowed(r.rules, c.ev, r.state); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := Allowed(r.rules, c.ev, r.state); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
