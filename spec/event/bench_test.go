package event

import (
	"encoding/json"
	"testing"

	"github.com/ocomms/ocomms/spec/signing"
)

// benchTemplate is a typical room version 11 message: a few references and
// a formatted body.
func benchTemplate() Template {
	return Template{
		Type: "m.room.message", Sender: "@alice:origin.example", RoomID: "!abcdefghijklmnop:origin.example",
		Content: json.RawMessage(`{"body":"Hello, world! This is a message of typical length.","format":"org.matrix.custom.html",` +
			`"formatted_body":"<b>Hello</b>, world! This is a message of typical length.","msgtype":"m.text","m.mentions":{}}`),
		PrevEvents: []string{"$zRz9jjiT9wZc3Hl9ij_74aCmTjqV3YMlj9sj3Uqxg6o"},
		AuthEvents: []string{
			"$gbHO7IPUHybc7ULFnT7P0r3iWlZFHGmr6zBfEYCUyKw", "$hy1eZFYcgNxMFNNBgCD5fyOzyWRcBkxfNcrUI5ZpZlE",
			"$Nt_z68EwFfPqBeHjzEHGsp461Z4EfNEzR-KH5bOYdOY",
		},
		Depth: 24, OriginServerTS: 1731769874137, Unsigned: json.RawMessage(`{"age_ts":1731769874137}`),
	}
}

func benchEvent(b *testing.B) (*Event, signing.SigningKey) {
	b.Helper()
	key := seededKey(b, "ed25519:k1", 7)
	ev, err := Build(rulesFor(b, "11"), benchTemplate(), "origin.example", key)
	if err != nil {
		b.Fatal(err)
	}
	return ev, key
}

func BenchmarkParse(b *testing.B) {
	ev, _ := benchEvent(b)
	raw, rules := ev.JSON(), ev.Rules()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(rules, raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	rules, key, tmpl := rulesFor(b, "11"), seededKey(b, "ed25519:k1", 7), benchTemplate()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(rules, tmpl, "origin.example", key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyEventSignatures(b *testing.B) {
	ev, key := benchEvent(b)
	keys := keyring(1<<62, map[string]signing.SigningKey{"origin.example": key})
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyEventSignatures(ev.Rules(), ev, keys); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedact(b *testing.B) {
	ev, _ := benchEvent(b)
	raw, rules := ev.JSON(), ev.Rules()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Redact(rules, raw); err != nil {
			b.Fatal(err)
		}
	}
}
