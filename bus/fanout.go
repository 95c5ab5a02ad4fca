package bus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Subscribe delivers every message published on subject from now on to this
// instance, whatever other instances subscribe too: it is fan-out, for
// signals that every running instance must see, such as waking the /sync
// requests parked on each syncapi instance. handler runs for one message at
// a time, in stream order. Messages published while the instance was not
// running are not delivered.
//
// The subject must belong to a stream declared with EnsureStreams (short
// MaxAge, limits retention). Each subscription reads it through its own
// ephemeral ordered JetStream consumer rather than a core NATS subscription
// because "every instance gets every message while running" must hold
// across the moments when it briefly is not connected: core NATS drops what
// is published during a reconnect and, silently, whatever a slow handler
// cannot keep up with, while an ordered consumer notices the gap in stream
// sequence and resumes right after the last message it delivered. The price
// is one stored copy per message and a consumer per subscription on the
// server, both cheap next to a /sync that hangs until its timeout.
//
// WithDeliverAll (or WithStartSequence) makes it start earlier, for state
// that every instance rebuilds from what the stream still holds.
//
// The subscription stops when ctx is done or Stop is called.
func (b *Bus) Subscribe(ctx context.Context, subject string, handler func(Message), opts ...SubscribeOption) (Subscription, error) {
	var o subscribeOptions
	for _, opt := range opts {
		opt(&o)
	}
	full := b.names.subject(subject)
	name, err := b.js.StreamNameBySubject(ctx, full)
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: find the stream that stores it: %w", subject, err)
	}
	stream, err := b.js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	// Start from an explicit sequence rather than "new": if the consumer has
	// to be recreated before its first message, "new" would skip whatever
	// arrived in between.
	start := stream.CachedInfo().State.LastSeq + 1
	if o.startSeq > 0 {
		start = o.startSeq
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{full},
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	s := &fanoutSub{b: b, handler: handler, log: b.log.With("subject", subject)}
	if err := b.track(s); err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	s.cc, err = cons.Consume(s.receive, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		s.log.Warn("bus fan-out subscription error", "err", err)
	}))
	if err != nil {
		b.untrack(s)
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	s.stopOnDone = context.AfterFunc(ctx, s.Stop)
	return s, nil
}

// SubscribeOption adjusts a fan-out subscription.
type SubscribeOption func(*subscribeOptions)

type subscribeOptions struct {
	// startSeq is the first stream sequence to deliver; 0 means the
	// first message published after Subscribe.
	startSeq uint64
}

// WithDeliverAll delivers every message the stream still holds on the
// subject before the new ones, so an instance that starts late rebuilds
// the same state as those that were running (within the stream's MaxAge).
func WithDeliverAll() SubscribeOption {
	return WithStartSequence(1)
}

// WithStartSequence delivers from stream sequence seq on (or from the
// oldest message still stored, if that is later); seq 0 keeps the default.
func WithStartSequence(seq uint64) SubscribeOption {
	return func(o *subscribeOptions) { o.startSeq = seq }
}

type fanoutSub struct {
	b          *Bus
	handler    func(Message)
	log        *slog.Logger
	cc         jetstream.ConsumeContext
	stopOnDone func() bool

	// mu is held for reading while the handler runs, so Stop can wait for
	// it by taking the write lock.
	mu      sync.RWMutex
	stopped bool
}

func (s *fanoutSub) receive(msg jetstream.Msg) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.stopped {
		return
	}
	m, err := s.b.message(msg)
	if err != nil {
		s.log.Error("bus skipped a fan-out message without jetstream metadata", "err", err)
		return
	}
	s.handler(m)
}

// Stop must not be called from the subscription's own handler: it waits for
// that handler to return.
func (s *fanoutSub) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	s.stopOnDone()
	s.cc.Stop()
	s.b.untrack(s)
}
