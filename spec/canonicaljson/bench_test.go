package canonicaljson

import (
	"os"
	"testing"
)

func BenchmarkCanonicalize(b *testing.B) {
	event, err := os.ReadFile("testdata/event.json")
	if err != nil {
		b.Fatal(err)
	}
	canonical, err := Canonicalize(event)
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name string
		in   []byte
	}{{"indented unsorted event", event}, {"canonical event", canonical}} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Canonicalize(bm.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
