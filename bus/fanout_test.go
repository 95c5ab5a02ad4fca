package bus_test

import (
	"slices"
	"testing"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
)

func subscribe(t *testing.T, b *bus.Bus, subject string, in *inbox) bus.Subscription {
	t.Helper()
	sub, err := b.Subscribe(t.Context(), subject, func(m bus.Message) { in.add(t, m) })
	if err != nil {
		t.Fatalf("subscribe %s: %v", subject, err)
	}
	return sub
}

func TestFanOutReachesEveryInstance(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		const total = 20
		publisher := newBus(t)
		ensureTestStreams(t, publisher)
		var inboxes [2]inbox
		for i := range inboxes {
			subscribe(t, newBus(t), "fanout.wake", &inboxes[i])
		}
		for n := 1; n <= total; n++ {
			publish(t, publisher, "fanout.wake", n)
		}

		for i := range inboxes {
			waitUntil(t, "every instance has every message", func() bool { return inboxes[i].count() >= total })
			if got := inboxes[i].numbers(); !slices.Equal(got, seq(1, total)) {
				t.Errorf("instance %d got %v, want 1..%d in order", i, got, total)
			}
			if got := inboxes[i].messages()[0].Subject; got != "fanout.wake" {
				t.Errorf("subject = %q, want fanout.wake", got)
			}
		}
	})
}

func TestFanOutStartsAtSubscribeTime(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		publish(t, b, "fanout.wake", 1)
		var in inbox
		subscribe(t, b, "fanout.wake", &in)
		publish(t, b, "fanout.wake", 2)

		waitUntil(t, "the new message arrives", func() bool { return in.count() >= 1 })
		if got := in.numbers(); !slices.Equal(got, []int{2}) {
			t.Errorf("numbers = %v, want only [2]", got)
		}
	})
}

func TestFanOutDeliversOnlyTheSubscribedSubject(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		var in inbox
		subscribe(t, b, "fanout.typing.>", &in)
		publish(t, b, "fanout.wake", 1)
		publish(t, b, "fanout.typing.room1", 2)

		waitUntil(t, "the typing message arrives", func() bool { return in.count() >= 1 })
		if got := in.numbers(); !slices.Equal(got, []int{2}) {
			t.Errorf("numbers = %v, want only [2]", got)
		}
	})
}

func TestSubscribeToASubjectWithoutStreamFails(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		if _, err := b.Subscribe(t.Context(), "nowhere.x", func(bus.Message) {}); err == nil {
			t.Fatal("subscribe to a subject no stream stores succeeded")
		}
	})
}

func TestFanOutWithDeliverAllStartsAtTheStreamsStart(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		publish(t, b, "fanout.wake", 1)
		publish(t, b, "fanout.other", 2)
		publish(t, b, "fanout.wake", 3)
		tests := []struct {
			name string
			opt  bus.SubscribeOption
			want []int
		}{
			{"deliver all", bus.WithDeliverAll(), []int{1, 3, 4}},
			{"from a sequence", bus.WithStartSequence(3), []int{3, 4}},
		}
		var inboxes [2]inbox
		for i, tc := range tests {
			if _, err := newBus(t).Subscribe(t.Context(), "fanout.wake", func(m bus.Message) { inboxes[i].add(t, m) }, tc.opt); err != nil {
				t.Fatalf("%s: subscribe: %v", tc.name, err)
			}
		}
		publish(t, b, "fanout.wake", 4)
		for i, tc := range tests {
			waitUntil(t, tc.name+": the new message arrives", func() bool { return inboxes[i].count() >= len(tc.want) })
			if got := inboxes[i].numbers(); !slices.Equal(got, tc.want) {
				t.Errorf("%s: numbers = %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}
