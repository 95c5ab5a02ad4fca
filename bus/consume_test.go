package bus_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
)

func TestConsumeReceivesPublishedMessagesWithTypeAndVersion(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		var in inbox
		consume(t, b, "roundtrip", in.handler(t))

		publish(t, b, "work.room1", 1, bus.WithHeader("X-Trace", "abc"))
		publish(t, b, "work.room2", 2)
		waitUntil(t, "both messages arrive", func() bool { return in.count() == 2 })

		msgs := in.messages()
		if got := in.numbers(); !slices.Equal(got, []int{1, 2}) {
			t.Errorf("numbers = %v, want [1 2]", got)
		}
		first := msgs[0]
		checks := []struct {
			name      string
			got, want any
		}{
			{"subject has no deployment prefix", first.Subject, "work.room1"},
			{"type header comes from the struct", first.Type(), "test.greeting"},
			{"version header comes from the struct", first.Version(), 2},
			{"extra headers are kept", first.Headers.Get("X-Trace"), "abc"},
			{"first delivery counts one", first.Delivered, uint64(1)},
			{"stream sequence starts at one", first.Sequence, uint64(1)},
			{"sequence increases", msgs[1].Sequence, uint64(2)},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
			}
		}
		if first.Published.IsZero() {
			t.Error("published time is zero")
		}
	})
}

func TestPublishWithTheSameMsgIDStoresOneMessage(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		publish(t, b, "work.a", 1, bus.WithMsgID("$event1"))
		publish(t, b, "work.a", 1, bus.WithMsgID("$event1"))
		publish(t, b, "work.a", 2, bus.WithMsgID("$event2"))

		var in inbox
		consume(t, b, "dedupe", in.handler(t))
		waitUntil(t, "the message after the duplicate arrives", func() bool {
			return slices.Contains(in.numbers(), 2)
		})
		if got := in.numbers(); !slices.Equal(got, []int{1, 2}) {
			t.Errorf("numbers = %v, want [1 2]", got)
		}
	})
}

func TestPublishToASubjectWithoutStreamFails(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		if err := b.Publish(t.Context(), "nowhere.x", greeting{}); err == nil {
			t.Fatal("publish to a subject no stream stores succeeded")
		}
	})
}

func TestHandlerErrorRedeliversTheMessage(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		var (
			attempts atomic.Int32
			done     = make(chan bus.Message, 1)
		)
		consume(t, b, "retry", func(_ context.Context, m bus.Message) error {
			if attempts.Add(1) < 3 {
				return errors.New("database briefly unavailable")
			}
			done <- m
			return nil
		}, bus.WithRetryBackoff(10*time.Millisecond, 50*time.Millisecond))
		publish(t, b, "work.a", 1)

		select {
		case m := <-done:
			if m.Delivered != 3 {
				t.Errorf("delivered = %d on success, want 3", m.Delivered)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("message not handled after %d attempts", attempts.Load())
		}
	})
}

func TestPermanentErrorDropsTheMessageAndMovesOn(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		var in inbox
		var poisoned atomic.Int32
		consume(t, b, "poison", func(ctx context.Context, m bus.Message) error {
			var g greeting
			if err := m.Decode(&g); err == nil && g.N == 1 {
				poisoned.Add(1)
				return bus.Permanent(errors.New("cannot ever process"))
			}
			return in.handler(t)(ctx, m)
		}, bus.WithOrderedDelivery(), bus.WithRetryBackoff(10*time.Millisecond, 10*time.Millisecond))
		publish(t, b, "work.a", 1)
		publish(t, b, "work.a", 2)

		waitUntil(t, "the message after the poisoned one arrives", func() bool { return in.count() == 1 })
		if got := poisoned.Load(); got != 1 {
			t.Errorf("poisoned message handled %d times, want 1", got)
		}
	})
}

func TestOrderedDeliveryRetriesAFailedMessageBeforeTheNext(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		var (
			mu    sync.Mutex
			seen  []int // every attempt, in order
			in    inbox
			fails atomic.Int32
		)
		consume(t, b, "ordered", func(ctx context.Context, m bus.Message) error {
			var g greeting
			if err := m.Decode(&g); err != nil {
				return bus.Permanent(err)
			}
			mu.Lock()
			seen = append(seen, g.N)
			mu.Unlock()
			if g.N == 2 && fails.Add(1) <= 2 {
				return errors.New("not yet")
			}
			return in.handler(t)(ctx, m)
		}, bus.WithOrderedDelivery(), bus.WithRetryBackoff(10*time.Millisecond, 20*time.Millisecond))
		t.Cleanup(func() {
			if t.Failed() {
				mu.Lock()
				defer mu.Unlock()
				t.Logf("attempts %v, handled %v", seen, in.numbers())
			}
		})
		for n := 1; n <= 4; n++ {
			publish(t, b, "work.room"+string(rune('a'+n%2)), n)
		}

		waitUntil(t, "all four messages are handled", func() bool { return in.count() == 4 })
		if got := in.numbers(); !slices.Equal(got, seq(1, 4)) {
			t.Errorf("handled order = %v, want [1 2 3 4]", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if want := []int{1, 2, 2, 2, 3, 4}; !slices.Equal(seen, want) {
			t.Errorf("attempt order = %v, want %v", seen, want)
		}
	})
}

func TestFilterSubjectsDeliversOnlyMatchingMessages(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		var in inbox
		consume(t, b, "filtered", in.handler(t), bus.WithFilterSubjects("work.keep.>"))
		publish(t, b, "work.drop.x", 1)
		publish(t, b, "work.keep.x", 2)
		publish(t, b, "work.drop.y", 3)
		publish(t, b, "work.keep.y", 4)

		waitUntil(t, "the last matching message arrives", func() bool { return slices.Contains(in.numbers(), 4) })
		if got := in.numbers(); !slices.Equal(got, []int{2, 4}) {
			t.Errorf("numbers = %v, want [2 4]", got)
		}
	})
}

func TestDurableConsumerResumesAfterItsBusIsReopened(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		publisher := newBus(t)
		ensureTestStreams(t, publisher)
		var in inbox

		worker := newBus(t)
		consume(t, worker, "resume", in.handler(t))
		publish(t, publisher, "work.a", 1)
		waitUntil(t, "the first message arrives", func() bool { return in.count() == 1 })
		closeBus(t, worker)

		publish(t, publisher, "work.a", 2)
		publish(t, publisher, "work.a", 3)

		consume(t, newBus(t), "resume", in.handler(t))
		waitUntil(t, "the messages published while down arrive", func() bool { return in.count() >= 3 })
		if got := in.numbers(); !slices.Equal(got, seq(1, 3)) {
			t.Errorf("numbers = %v, want [1 2 3] with no repeats", got)
		}
	})
}

func TestInstancesSharingADurableSplitTheMessages(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		const total = 40
		publisher := newBus(t)
		ensureTestStreams(t, publisher)

		var (
			inboxes [2]inbox
			gate    atomic.Bool
		)
		// The first message to arrive anywhere holds its instance until the
		// other instance has handled one, which proves both take part
		// instead of one instance's prefetch hiding the other.
		handler := func(me int) bus.Handler {
			return func(ctx context.Context, m bus.Message) error {
				inboxes[me].add(t, m)
				if gate.CompareAndSwap(false, true) {
					deadline := time.Now().Add(waitTimeout)
					for inboxes[1-me].count() == 0 {
						if time.Now().After(deadline) {
							t.Errorf("instance %d got nothing while instance %d was busy", 1-me, me)
							break
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
				return nil
			}
		}
		for i := range inboxes {
			consume(t, newBus(t), "shared", handler(i), bus.WithPrefetch(1))
		}
		for n := 1; n <= total; n++ {
			publish(t, publisher, "work.a", n)
		}

		all := func() []int {
			return slices.Concat(inboxes[0].numbers(), inboxes[1].numbers())
		}
		waitUntil(t, "every message is handled", func() bool { return len(all()) >= total })
		got := all()
		slices.Sort(got)
		if !slices.Equal(got, seq(1, total)) {
			t.Errorf("handled %v, want each of 1..%d exactly once", got, total)
		}
		if inboxes[0].count() == 0 || inboxes[1].count() == 0 {
			t.Errorf("split %d/%d, want both instances to take part", inboxes[0].count(), inboxes[1].count())
		}
		t.Logf("split %d/%d", inboxes[0].count(), inboxes[1].count())
	})
}

func TestConcurrentHandlersProcessEveryMessageOnce(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		const total = 50
		b := newBus(t)
		ensureTestStreams(t, b)
		var (
			in      inbox
			running atomic.Int32
			peak    atomic.Int32
		)
		consume(t, b, "parallel", func(ctx context.Context, m bus.Message) error {
			now := running.Add(1)
			defer running.Add(-1)
			for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
			}
			return in.handler(t)(ctx, m)
		}, bus.WithConcurrency(4))
		for n := 1; n <= total; n++ {
			publish(t, b, "work.a", n)
		}

		waitUntil(t, "every message is handled", func() bool { return in.count() >= total })
		got := in.numbers()
		slices.Sort(got)
		if !slices.Equal(got, seq(1, total)) {
			t.Errorf("handled %v, want each of 1..%d exactly once", got, total)
		}
		if p := peak.Load(); p > 4 {
			t.Errorf("peak concurrency %d exceeds 4", p)
		}
	})
}

func TestStoppedSubscriptionReceivesNothing(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		ensureTestStreams(t, b)
		var stopped, live inbox
		consume(t, b, "stopped", stopped.handler(t)).Stop()
		consume(t, b, "live", live.handler(t))
		publish(t, b, "work.a", 1)

		// The live consumer on the same stream has it, so the stopped one
		// had every chance to see it too.
		waitUntil(t, "the live consumer gets the message", func() bool { return live.count() == 1 })
		if n := stopped.count(); n != 0 {
			t.Errorf("stopped subscription handled %d messages", n)
		}
	})
}

func TestStopAndCloseWaitForTheRunningHandler(t *testing.T) {
	tests := []struct {
		name     string
		closeBus bool
		opts     []bus.ConsumeOption
	}{
		{"stopping a serial consumer waits for its handler", false, nil},
		{"stopping a concurrent consumer waits for its handlers", false, []bus.ConsumeOption{bus.WithConcurrency(3)}},
		{"closing the bus waits for the handler and delivers its ack", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newBus := bustest.Embedded(t)
			b := newBus(t)
			ensureTestStreams(t, b)
			var (
				started  = make(chan struct{}, 1)
				release  = make(chan struct{})
				finished atomic.Bool
			)
			sub := consume(t, b, "slow", func(context.Context, bus.Message) error {
				started <- struct{}{}
				<-release
				finished.Store(true)
				return nil
			}, tt.opts...)
			publish(t, b, "work.a", 1)
			<-started

			stopped := make(chan bool)
			go func() {
				if tt.closeBus {
					if err := b.Close(context.Background()); err != nil {
						t.Errorf("close: %v", err)
					}
				} else {
					sub.Stop()
				}
				stopped <- finished.Load()
			}()
			// Asserting that something does not happen needs a window; a
			// correct implementation never returns inside it, so this cannot
			// fail spuriously.
			select {
			case <-stopped:
				t.Fatal("returned while the handler was still running")
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			if !<-stopped {
				t.Error("returned before the handler finished")
			}
			if tt.closeBus {
				observer := newBus(t)
				waitUntil(t, "the handler's ack reaches the server", func() bool {
					lag, err := observer.ConsumerLag(t.Context())
					return err == nil && lag["WORK/slow"] == 0
				})
			}
		})
	}
}
