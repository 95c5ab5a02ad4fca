package event

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
)

func TestWithUnsignedKeepsTheSignedEvent(t *testing.T) {
	for _, id := range []string{"1", "3", "11", "12"} {
		rules := rulesFor(t, roomversion.ID(id))
		r := newRoom(t, rules)
		create := r.create()
		cases := []struct {
			name     string
			unsigned json.RawMessage
			want     string
		}{
			{"replacing unsigned with an age", json.RawMessage(`{ "age" : 12 }`), `{"age":12}`},
			{"removing unsigned", nil, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name+" in room version "+id+" keeps the ID and signatures", func(t *testing.T) {
				ev, err := create.WithUnsigned(tc.unsigned)
				if err != nil {
					t.Fatalf("WithUnsigned: %v", err)
				}
				if string(ev.Unsigned()) != tc.want || ev.EventID() != create.EventID() {
					t.Errorf("unsigned %s, ID %s", ev.Unsigned(), ev.EventID())
				}
				reparsed, err := Parse(rules, ev.JSON())
				if err != nil || reparsed.EventID() != create.EventID() {
					t.Fatalf("Parse = %v, %v", reparsed, err)
				}
				if err := VerifyEventSignatures(rules, reparsed, keyring(1<<62, map[string]signing.SigningKey{origin: r.key})); err != nil {
					t.Errorf("VerifyEventSignatures: %v", err)
				}
				if err := CheckContentHash(reparsed); err != nil {
					t.Errorf("CheckContentHash: %v", err)
				}
			})
		}
	}
	t.Run("unsigned that is not an object is refused", func(t *testing.T) {
		create := buildCreate(t, rulesFor(t, "11"))
		if _, err := create.WithUnsigned(json.RawMessage(`[]`)); !errors.Is(err, ErrInvalidField) {
			t.Errorf("WithUnsigned = %v, want ErrInvalidField", err)
		}
		if _, err := create.WithUnsigned(json.RawMessage(`{`)); !errors.Is(err, ErrInvalidJSON) {
			t.Errorf("WithUnsigned = %v, want ErrInvalidJSON", err)
		}
	})
}
