package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one message from a durable consumer. Returning nil
// acknowledges the message; an error has it redelivered after a backoff,
// unless it is wrapped with Permanent.
type Handler func(ctx context.Context, m Message) error

// Subscription is a running consumer or fan-out subscription.
type Subscription interface {
	// Stop ends delivery and returns once no handler of this subscription
	// is running. Messages fetched but not yet handled go back to the
	// stream for the other instances straight away.
	Stop()
}

// Consume joins the durable consumer named durable on stream, creating it or
// updating its settings first, and runs handler for each message: delivery
// is at least once. Every instance that consumes the same stream and durable
// shares the messages, each going to one of them.
//
// The subscription stops when ctx is done or Stop is called; handlers
// receive ctx, so cancelling it also aborts their work (the message is then
// redelivered).
func (b *Bus) Consume(ctx context.Context, stream, durable string, handler Handler, opts ...ConsumeOption) (Subscription, error) {
	o := defaultConsumeOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("consume %s/%s: %w", stream, durable, err)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       durable,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.ackWait,
		MaxDeliver:    o.maxDeliver,
	}
	// A single filter uses the older field so the common case also works on
	// servers before 2.10, which reject FilterSubjects.
	if filters := b.names.subjects(o.filter); len(filters) == 1 {
		cfg.FilterSubject = filters[0]
	} else {
		cfg.FilterSubjects = filters
	}
	if o.ordered {
		cfg.MaxAckPending = 1
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, b.names.stream(stream), cfg)
	if err != nil {
		return nil, fmt.Errorf("consume %s/%s: %w", stream, durable, err)
	}

	s := &durableSub{
		b:       b,
		ctx:     ctx,
		handler: handler,
		opts:    o,
		log:     b.log.With("stream", stream, "durable", durable),
		slots:   make(chan struct{}, o.concurrency),
	}
	if err := b.track(s); err != nil {
		return nil, fmt.Errorf("consume %s/%s: %w", stream, durable, err)
	}
	s.cc, err = cons.Consume(s.receive,
		jetstream.PullMaxMessages(o.prefetch),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			s.log.Warn("bus consumer error", "err", err)
		}),
	)
	if err != nil {
		b.untrack(s)
		return nil, fmt.Errorf("consume %s/%s: %w", stream, durable, err)
	}
	s.stopOnDone = context.AfterFunc(ctx, s.Stop)
	return s, nil
}

type durableSub struct {
	b       *Bus
	ctx     context.Context
	handler Handler
	opts    consumeOptions
	log     *slog.Logger

	cc         jetstream.ConsumeContext
	stopOnDone func() bool
	stopping   atomic.Bool
	stopOnce   sync.Once
	// receiving is held for reading by every receive call, so Stop can wait
	// for the one in progress: once the drained subscription is removed, the
	// consume context reports itself closed even if its last handler is
	// still running.
	receiving sync.RWMutex
	// slots bounds concurrent handlers; receive blocks when all are taken,
	// which stops this instance from fetching more than it can handle.
	slots    chan struct{}
	inflight sync.WaitGroup
}

// receive runs on the consumer's delivery goroutine, one message at a time.
func (s *durableSub) receive(msg jetstream.Msg) {
	s.receiving.RLock()
	defer s.receiving.RUnlock()
	if s.stopping.Load() {
		s.handBack(msg)
		return
	}
	if s.opts.concurrency == 1 {
		s.handle(msg)
		return
	}
	s.slots <- struct{}{}
	s.inflight.Go(func() {
		defer func() { <-s.slots }()
		s.handle(msg)
	})
}

func (s *durableSub) handle(msg jetstream.Msg) {
	m, err := s.b.message(msg)
	if err != nil {
		s.log.Error("bus dropped a message without jetstream metadata", "err", err)
		s.settle(msg.Term(), "term")
		return
	}
	stopKeepAlive := s.keepAlive(msg)
	err = s.handler(s.ctx, m)
	stopKeepAlive()

	switch {
	case err == nil:
		s.settle(msg.Ack(), "ack")
	case isPermanent(err):
		s.log.Error("bus dropped a message its handler cannot process",
			"subject", m.Subject, "seq", m.Sequence, "err", err)
		// Plain Term: servers before 2.10 ignore a term that carries a reason,
		// and the reason is in the log line above.
		s.settle(msg.Term(), "term")
	case s.stopping.Load():
		s.handBack(msg)
	default:
		delay := s.opts.retryDelay(m.Delivered)
		lvl := slog.LevelWarn
		if s.opts.maxDeliver > 0 && m.Delivered >= uint64(s.opts.maxDeliver) {
			// The server discards the message after this attempt.
			lvl = slog.LevelError
		}
		s.log.Log(s.ctx, lvl, "bus handler failed; message will be redelivered",
			"subject", m.Subject, "seq", m.Sequence, "attempt", m.Delivered, "retry_in", delay, "err", err)
		s.settle(msg.NakWithDelay(delay), "nak")
	}
}

// keepAlive tells the server the message is still being worked on every
// half ack-wait, so a slow handler is not mistaken for a dead instance and
// the message handed to another one while it still runs. Call the returned
// func when the handler returns.
func (s *durableSub) keepAlive(msg jetstream.Msg) (stop func()) {
	every := s.opts.ackWait / 2
	var (
		mu   sync.Mutex
		done bool
		t    *time.Timer
	)
	mu.Lock()
	defer mu.Unlock()
	t = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		if err := msg.InProgress(); err != nil {
			s.log.Warn("bus could not extend a message's ack wait", "err", err)
			return
		}
		t.Reset(every)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		done = true
		t.Stop()
	}
}

// handBack returns an unhandled message for immediate redelivery, typically
// to another instance while this one shuts down.
func (s *durableSub) handBack(msg jetstream.Msg) {
	s.settle(msg.Nak(), "nak")
}

func (s *durableSub) settle(err error, what string) {
	if err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		// The server will redeliver after ack wait, so this is a delay, not
		// a loss.
		s.log.Warn("bus could not "+what+" a message", "err", err)
	}
}

// Stop must not be called from the subscription's own handler: it waits for
// that handler to return.
func (s *durableSub) Stop() {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		s.stopOnDone()
		// Drain, not Stop: buffered messages still pass through receive,
		// which hands them back instead of letting them sit out ack wait.
		s.cc.Drain()
		select {
		case <-s.cc.Closed():
		case <-s.b.closed:
		}
		// Taking the write lock waits out a receive still in progress; every
		// later one sees stopping and starts no handler.
		s.receiving.Lock()
		s.receiving.Unlock()
		s.inflight.Wait()
		s.b.untrack(s)
	})
}
