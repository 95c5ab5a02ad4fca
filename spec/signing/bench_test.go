package signing

import "testing"

func BenchmarkSignJSON(b *testing.B) {
	key := specKey(b)
	event := readFile(b, "event_message.signed.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignJSON("example.org", key, event); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyJSON(b *testing.B) {
	key := specKey(b)
	event, err := SignJSON(specServerName, key, readFile(b, "event_message.signed.json"))
	if err != nil {
		b.Fatal(err)
	}
	public := key.Public()
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyJSON(specServerName, specKeyID, public, event); err != nil {
			b.Fatal(err)
		}
	}
}
