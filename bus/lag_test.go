package bus_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
)

func TestConsumerLagCountsUnfinishedMessagesPerDurable(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		var in inbox
		// Create the durable, then leave it idle while work piles up.
		consume(t, b, "lagging", in.handler(t)).Stop()
		if _, err := b.Subscribe(t.Context(), "fanout.wake", func(bus.Message) {}); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		for n := 1; n <= 3; n++ {
			publish(t, b, "work.a", n)
		}
		publish(t, b, "fanout.wake", 1)

		lag := consumerLag(t, b)
		if got := lag["WORK/lagging"]; got != 3 {
			t.Errorf("lag of WORK/lagging = %d, want 3", got)
		}
		if keys := slices.Sorted(maps.Keys(lag)); !slices.Equal(keys, []string{"WORK/lagging"}) {
			t.Errorf("lag keys = %v, want only the durable consumer", keys)
		}

		consume(t, b, "lagging", in.handler(t))
		waitUntil(t, "the consumer catches up", func() bool { return consumerLag(t, b)["WORK/lagging"] == 0 })
	})
}

func consumerLag(t *testing.T, b *bus.Bus) map[string]uint64 {
	t.Helper()
	lag, err := b.ConsumerLag(t.Context())
	if err != nil {
		t.Fatalf("consumer lag: %v", err)
	}
	return lag
}
