package bus_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
)

func TestEnsureStreamsIsIdempotentAndKeepsMessages(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		publish(t, b, "work.a", 1)

		// A second instance starting up declares the same streams, and a
		// later release may change a limit in place.
		ensureTestStreams(t, newBus(t))
		changed := slices.Clone(testStreams)
		changed[0].MaxAge = time.Hour
		changed[0].Duplicates = time.Minute
		if err := b.EnsureStreams(t.Context(), changed...); err != nil {
			t.Fatalf("update stream limits: %v", err)
		}
		publish(t, b, "work.a", 2)

		var in inbox
		consume(t, b, "after-ensure", in.handler(t))
		waitUntil(t, "both messages arrive", func() bool { return in.count() == 2 })
		if got := in.numbers(); !slices.Equal(got, []int{1, 2}) {
			t.Errorf("numbers = %v, want [1 2]: re-declaring lost messages", got)
		}
	})
}

func TestEnsureStreamsRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec bus.StreamSpec
	}{
		{"a spec without a name is rejected", bus.StreamSpec{Subjects: []string{"x.>"}}},
		{"a spec without subjects is rejected", bus.StreamSpec{Name: "NOSUBJECTS"}},
		{"a name with a dot is rejected", bus.StreamSpec{Name: "A.B", Subjects: []string{"ab.>"}}},
		{"an unknown storage is rejected", bus.StreamSpec{Name: "S", Subjects: []string{"s.>"}, Storage: 7}},
		{"an unknown retention is rejected", bus.StreamSpec{Name: "R", Subjects: []string{"r.>"}, Retention: 7}},
		{"a duplicates window longer than max age is rejected", bus.StreamSpec{
			Name: "D", Subjects: []string{"d.>"}, MaxAge: time.Minute, Duplicates: time.Hour,
		}},
	}
	b := bustest.Embedded(t)(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.EnsureStreams(t.Context(), tt.spec); err == nil {
				t.Fatalf("EnsureStreams(%+v) succeeded", tt.spec)
			}
		})
	}
}

func TestEnsureStreamsRefusesToChangeStorageInPlace(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		changed := testStreams[0]
		changed.Storage = bus.MemoryStorage
		if err := b.EnsureStreams(t.Context(), changed); err == nil {
			t.Fatal("changing a file stream to memory succeeded; it would need a migration")
		}
	})
}

func TestDeploymentsWithDifferentPrefixesShareAServerWithoutMixing(t *testing.T) {
	// Only an external server can be shared; each External call gets its
	// own prefix, as two deployments would.
	mine := bustest.External(t)(t)
	other := bustest.External(t)(t)
	ensureTestStreams(t, mine)
	ensureTestStreams(t, other)
	var in inbox
	consume(t, mine, "isolated", in.handler(t))

	publish(t, other, "work.a", 99)
	publish(t, mine, "work.a", 1)
	waitUntil(t, "this deployment's message arrives", func() bool { return in.count() >= 1 })
	if got := in.numbers(); !slices.Equal(got, []int{1}) {
		t.Errorf("numbers = %v, want [1]", got)
	}
}
