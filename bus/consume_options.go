package bus

import (
	"errors"
	"fmt"
	"time"
)

// ConsumeOption adjusts a durable consumer.
type ConsumeOption func(*consumeOptions)

type consumeOptions struct {
	filter      []string
	ordered     bool
	maxDeliver  int
	ackWait     time.Duration
	retryMin    time.Duration
	retryMax    time.Duration
	concurrency int
	prefetch    int
}

func defaultConsumeOptions() consumeOptions {
	return consumeOptions{
		maxDeliver:  -1,
		ackWait:     30 * time.Second,
		retryMin:    time.Second,
		retryMax:    time.Minute,
		concurrency: 1,
		prefetch:    32,
	}
}

// WithFilterSubjects delivers only messages on these subjects (without the
// deployment prefix, wildcards allowed) instead of the whole stream. More
// than one subject needs nats-server 2.10 or later.
func WithFilterSubjects(subjects ...string) ConsumeOption {
	return func(o *consumeOptions) { o.filter = append(o.filter, subjects...) }
}

// WithOrderedDelivery hands out one message at a time across every instance
// sharing the durable (MaxAckPending 1): message N+1 is not delivered until
// N is acknowledged, even after a handler error. This orders delivery per
// subject and across subjects, at the cost of throughput; it overrides
// WithConcurrency and WithPrefetch.
func WithOrderedDelivery() ConsumeOption {
	return func(o *consumeOptions) { o.ordered = true }
}

// WithMaxDeliver gives up on a message after n delivery attempts. The
// default is unlimited, which is what room events need: dropping one would
// corrupt every later state. A value below 1 restores unlimited.
func WithMaxDeliver(n int) ConsumeOption {
	return func(o *consumeOptions) {
		if n < 1 {
			n = -1
		}
		o.maxDeliver = n
	}
}

// WithAckWait is how long the server waits before redelivering a message
// whose instance vanished (default 30s). A running handler keeps its message
// alive for as long as it runs, so this does not bound handler time.
func WithAckWait(d time.Duration) ConsumeOption {
	return func(o *consumeOptions) { o.ackWait = d }
}

// WithRetryBackoff sets the delay before a message is redelivered after its
// handler returned an error: first minDelay, doubling per attempt up to
// maxDelay (default 1s up to 1m).
func WithRetryBackoff(minDelay, maxDelay time.Duration) ConsumeOption {
	return func(o *consumeOptions) { o.retryMin, o.retryMax = minDelay, maxDelay }
}

// WithConcurrency runs up to n handlers at once in this instance (default 1).
// Messages then complete out of order.
func WithConcurrency(n int) ConsumeOption {
	return func(o *consumeOptions) { o.concurrency = n }
}

// WithPrefetch is how many messages this instance fetches ahead of its
// handlers (default 32). Fetched messages are reserved for this instance, so
// a smaller number shares work more evenly between instances and a larger
// one saves round trips.
func WithPrefetch(n int) ConsumeOption {
	return func(o *consumeOptions) { o.prefetch = n }
}

func (o *consumeOptions) validate() error {
	if o.ordered {
		o.concurrency, o.prefetch = 1, 1
	}
	switch {
	case o.concurrency < 1:
		return fmt.Errorf("concurrency %d is below 1", o.concurrency)
	case o.prefetch < 1:
		return fmt.Errorf("prefetch %d is below 1", o.prefetch)
	case o.ackWait < time.Second:
		return fmt.Errorf("ack wait %s is below one second", o.ackWait)
	case o.retryMin <= 0 || o.retryMax < o.retryMin:
		return fmt.Errorf("retry backoff %s..%s is not a positive range", o.retryMin, o.retryMax)
	}
	return nil
}

// retryDelay is the wait before attempt delivered+1.
func (o *consumeOptions) retryDelay(delivered uint64) time.Duration {
	d := o.retryMin
	for i := uint64(1); i < delivered && d < o.retryMax; i++ {
		d *= 2
	}
	return min(d, o.retryMax)
}

// permanentError marks a handler error that no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps a handler error to say that redelivering the message can
// never succeed (for example a body that does not decode), so the bus drops
// it with an error log instead of retrying it forever.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err: err}
}

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
