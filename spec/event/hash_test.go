package event

import (
	"errors"
	"testing"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/roomversion"
)

func TestEventIDsFollowTheRoomVersionFormat(t *testing.T) {
	var hash [32]byte
	for i := range hash {
		hash[i] = byte(i * 9) // includes bytes that encode to '+', '/', '-' and '_'
	}
	cases := []struct {
		name    string
		version roomversion.ID
		want    string
		err     error
	}{
		{"version 1 assigns event IDs, so none is derived", "1", "", ErrUnsupportedRules},
		{"version 2 assigns event IDs, so none is derived", "2", "", ErrUnsupportedRules},
		{"version 3 writes standard unpadded base64", "3", "$" + b64.Encode(hash[:]), nil},
		{"version 4 writes URL-safe unpadded base64", "4", "$" + b64.EncodeURLSafe(hash[:]), nil},
		{"version 11 writes URL-safe unpadded base64", "11", "$" + b64.EncodeURLSafe(hash[:]), nil},
		{"version 12 writes URL-safe unpadded base64", "12", "$" + b64.EncodeURLSafe(hash[:]), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EventIDFromReferenceHash(rulesFor(t, tc.version), hash)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("EventIDFromReferenceHash = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
	if b64.Encode(hash[:]) == b64.EncodeURLSafe(hash[:]) {
		t.Fatal("the test hash does not tell the alphabets apart")
	}
}

func TestVersion12RoomIDIsTheCreateEventsReferenceHash(t *testing.T) {
	rules := rulesFor(t, "12")
	create := buildCreate(t, rules)
	h, err := ReferenceHash(rules, create.JSON())
	if err != nil {
		t.Fatalf("ReferenceHash: %v", err)
	}
	if want := "!" + b64.EncodeURLSafe(h[:]); create.RoomID() != want {
		t.Errorf("room ID %s, want %s", create.RoomID(), want)
	}
	if CreateEventIDFromRoomID(create.RoomID()) != create.EventID() {
		t.Errorf("CreateEventIDFromRoomID(%s) = %s, want %s", create.RoomID(), CreateEventIDFromRoomID(create.RoomID()), create.EventID())
	}
}

func TestHashesIgnoreWhatTheyDoNotCover(t *testing.T) {
	rules := rulesFor(t, "11")
	base := `"type":"m.room.message","room_id":"!r:x","sender":"@u:x","content":{"body":"a"},"depth":1,"origin_server_ts":1,"prev_events":[],"auth_events":[]`
	plain := []byte(`{` + base + `}`)
	for _, f := range []struct {
		name    string
		hash    func(roomversion.Rules, []byte) ([32]byte, error)
		ignored string
	}{
		{"content hash", ContentHash, `"hashes":{"sha256":"x"},"signatures":{"x":{"ed25519:1":"y"}},"unsigned":{"age":1}`},
		{"reference hash", ReferenceHash, `"signatures":{"x":{"ed25519:1":"y"}},"unsigned":{"age":1}`},
	} {
		t.Run("the "+f.name+" ignores "+f.ignored, func(t *testing.T) {
			a, err := f.hash(rules, plain)
			if err != nil {
				t.Fatal(err)
			}
			b, err := f.hash(rules, []byte(`{`+base+`,`+f.ignored+`}`))
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Errorf("%s changed", f.name)
			}
		})
		t.Run("the "+f.name+" refuses invalid JSON", func(t *testing.T) {
			if _, err := f.hash(rules, []byte(`{"type":`)); !errors.Is(err, ErrInvalidJSON) {
				t.Errorf("err = %v, want ErrInvalidJSON", err)
			}
		})
	}
	t.Run("the reference hash covers hashes", func(t *testing.T) {
		a, _ := ReferenceHash(rules, plain)
		b, _ := ReferenceHash(rules, []byte(`{`+base+`,"hashes":{"sha256":"x"}}`))
		if a == b {
			t.Error("reference hash ignores hashes")
		}
	})
	t.Run("the reference hash ignores redactable content but the content hash does not", func(t *testing.T) {
		other := []byte(`{` + base[:len(base)-len(`"content":{"body":"a"},"depth":1,"origin_server_ts":1,"prev_events":[],"auth_events":[]`)] +
			`"content":{"body":"b"},"depth":1,"origin_server_ts":1,"prev_events":[],"auth_events":[]}`)
		ra, _ := ReferenceHash(rules, plain)
		rb, _ := ReferenceHash(rules, other)
		ca, _ := ContentHash(rules, plain)
		cb, _ := ContentHash(rules, other)
		if ra != rb || ca == cb {
			t.Errorf("reference hashes equal %v, content hashes equal %v", ra == rb, ca == cb)
		}
	})
}
