package difftest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/ocomms/ocomms/spec/b64"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// Event types whose content the redaction algorithms treat specially, and
// some that they do not.
const (
	typeCreate            = "m.room.create"
	typeMember            = "m.room.member"
	typeJoinRules         = "m.room.join_rules"
	typePowerLevels       = "m.room.power_levels"
	typeHistoryVisibility = "m.room.history_visibility"
	typeAliases           = "m.room.aliases"
	typeRedaction         = "m.room.redaction"
	typeTopic             = "m.room.topic"
	typeName              = "m.room.name"
	typeMessage           = "m.room.message"
	typeThirdPartyInvite  = "m.room.third_party_invite"
)

var eventTypes = []string{
	typeCreate, typeMember, typeJoinRules, typePowerLevels, typeHistoryVisibility,
	typeAliases, typeRedaction, typeTopic, typeName, typeMessage, "org.example.custom",
}

var testServers = []string{"a.example", "b.example", "c.example:8448", "[::1]:8008"}

// randUser is a user ID on one of the test servers.
func randUser(r *rand.Rand) string {
	return "@" + strings.ToLower(randWord(r, 1, 8)) + ":" + testServers[r.IntN(len(testServers))]
}

// serverOf is the server name of a user ID.
func serverOf(userID string) string {
	_, s, _ := strings.Cut(userID, ":")
	return s
}

// randHashID is "$" + base64 of a random hash, as in room version 3, or
// URL-safe as from version 4.
func randHashID(r *rand.Rand, sigil string, urlSafe bool) string {
	var h [sha256.Size]byte
	for i := range h {
		h[i] = byte(r.Uint32())
	}
	if urlSafe {
		return sigil + b64.EncodeURLSafe(h[:])
	}
	return sigil + b64.Encode(h[:])
}

// randEventID is an event ID of the room version's format.
func randEventID(r *rand.Rand, rules roomversion.Rules) string {
	switch rules.EventIDFormat {
	case roomversion.EventIDServerAssigned:
		return "$" + randWord(r, 4, 18) + ":" + testServers[r.IntN(len(testServers))]
	case roomversion.EventIDReferenceHash:
		return randHashID(r, "$", false)
	default:
		return randHashID(r, "$", true)
	}
}

// randRoomID is a room ID of the room version's format.
func randRoomID(r *rand.Rand, rules roomversion.Rules) string {
	if rules.RoomIDFromCreateEvent {
		return randHashID(r, "!", true)
	}
	return "!" + randWord(r, 6, 18) + ":" + testServers[r.IntN(len(testServers))]
}

// randRefHashes is the ReferenceHashes function of a template whose
// references are random: any event ID gets a random hash.
func randRefHashes(r *rand.Rand) func(string) (map[string]string, bool) {
	return func(string) (map[string]string, bool) {
		return map[string]string{"sha256": randHashID(r, "", false)}, true
	}
}

// randEventTemplate is a plausible event of a random type for the room
// version: special content keys mixed with random ones, random references,
// sometimes an unsigned object.
func randEventTemplate(r *rand.Rand, rules roomversion.Rules) event.Template {
	typ := eventTypes[r.IntN(len(eventTypes))]
	t := event.Template{
		Type:           typ,
		Sender:         randUser(r),
		RoomID:         randRoomID(r, rules),
		Depth:          1 + r.Int64N(1000),
		OriginServerTS: 1_500_000_000_000 + r.Int64N(300_000_000_000),
		OpaqueID:       randWord(r, 4, 18),
	}
	if typ == typeCreate && rules.RoomIDFromCreateEvent {
		t.RoomID = ""
	}
	if typ != typeCreate {
		for range 1 + r.IntN(3) {
			t.PrevEvents = append(t.PrevEvents, randEventID(r, rules))
		}
		for range 1 + r.IntN(4) {
			t.AuthEvents = append(t.AuthEvents, randEventID(r, rules))
		}
	}
	t.ReferenceHashes = randRefHashes(r)
	stateKey := stateKeyFor(r, typ, t.Sender)
	if stateKey != nil {
		t.StateKey = stateKey
	}
	if typ == typeRedaction {
		t.Redacts = randEventID(r, rules)
	}
	t.Content = json.RawMessage(randContent(r, rules, typ, t.Sender, false))
	if r.IntN(4) == 0 {
		t.Unsigned = json.RawMessage(randObject(r, 2))
	}
	return t
}

// stateKeyFor is the state key an event of the type has: nil for message
// events, a user ID for members, a server name for aliases.
func stateKeyFor(r *rand.Rand, typ, sender string) *string {
	var k string
	switch typ {
	case typeRedaction, typeMessage:
		return nil
	case typeMember:
		k = sender
		if r.IntN(2) == 0 {
			k = randUser(r)
		}
	case typeAliases:
		k = serverOf(sender)
	case "org.example.custom":
		if r.IntN(2) == 0 {
			return nil
		}
		k = randWord(r, 0, 6)
	}
	return &k
}

// randContent is the content of an event of the type: the keys the spec
// defines for it, each present with probability one half, and random
// other keys. With odd, the defined keys sometimes hold values of the
// wrong JSON type, as a malicious or buggy server may send them.
func randContent(r *rand.Rand, rules roomversion.Rules, typ, sender string, odd bool) string {
	c := map[string]any{}
	if err := json.Unmarshal([]byte(randObject(r, 3)), &c); err != nil {
		panic(err)
	}
	maybe := func(k string, v any) {
		if r.IntN(2) == 0 {
			return
		}
		if odd && r.IntN(4) == 0 {
			v = json.RawMessage(randJSON(r, 2, jsonOptions{}))
		}
		c[k] = v
	}
	switch typ {
	case typeCreate:
		c["room_version"] = string(rules.ID)
		if !rules.ImplicitRoomCreator || r.IntN(4) == 0 {
			c["creator"] = sender
		}
		maybe("m.federate", r.IntN(2) == 0)
		maybe("predecessor", map[string]any{"room_id": "!old:a.example", "event_id": "$old:a.example"})
		maybe("type", "m.space")
		if rules.PrivilegedCreators {
			maybe("additional_creators", []string{randUser(r)})
		}
	case typeMember:
		c["membership"] = []string{"join", "invite", "leave", "ban", "knock"}[r.IntN(5)]
		maybe("displayname", randString(r, 10))
		maybe("avatar_url", "mxc://a.example/"+randWord(r, 5, 10))
		maybe("join_authorised_via_users_server", randUser(r))
		maybe("reason", randString(r, 10))
		maybe("is_direct", true)
		maybe("third_party_invite", map[string]any{
			"display_name": randString(r, 5),
			"signed": map[string]any{
				"mxid": randUser(r), "token": randWord(r, 5, 10),
				"signatures": map[string]any{"id.example": map[string]string{"ed25519:0": "c2ln"}},
			},
		})
	case typeJoinRules:
		c["join_rule"] = []string{"public", "invite", "knock", "restricted", "knock_restricted", "private"}[r.IntN(6)]
		maybe("allow", []map[string]string{{"type": "m.room_membership", "room_id": "!other:a.example"}})
	case typePowerLevels:
		for _, k := range []string{"ban", "events_default", "kick", "redact", "state_default", "users_default", "invite"} {
			maybe(k, r.IntN(101))
		}
		maybe("events", map[string]int{typeName: r.IntN(101), typePowerLevels: r.IntN(101)})
		maybe("users", map[string]int{sender: r.IntN(101), randUser(r): r.IntN(101)})
		maybe("notifications", map[string]int{"room": r.IntN(101)})
	case typeHistoryVisibility:
		c["history_visibility"] = []string{"invited", "joined", "shared", "world_readable"}[r.IntN(4)]
	case typeAliases:
		maybe("aliases", []string{"#" + randWord(r, 1, 8) + ":" + serverOf(sender)})
	case typeRedaction:
		maybe("reason", randString(r, 10))
		if odd || !rules.ImplicitRoomCreator {
			maybe("redacts", "$"+randWord(r, 10, 20))
		}
	case typeTopic:
		maybe("topic", randString(r, 20))
	case typeName:
		maybe("name", randString(r, 20))
	case typeMessage:
		c["msgtype"] = "m.text"
		c["body"] = randString(r, 30)
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprint(c, err))
	}
	return string(b)
}
