package bus_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
)

// waitTimeout bounds every wait in these tests; the happy path takes
// milliseconds, so hitting it means the behaviour is broken.
const waitTimeout = 10 * time.Second

// greeting is a versioned message of the kind components define.
type greeting struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

func (greeting) MessageType() string { return "test.greeting" }
func (greeting) MessageVersion() int { return 2 }

// testStreams are the streams most tests use: one durable work stream and
// one fan-out stream.
var testStreams = []bus.StreamSpec{
	{Name: "WORK", Subjects: []string{"work.>"}},
	{Name: "FANOUT", Subjects: []string{"fanout.>"}, MaxAge: time.Minute},
}

func ensureTestStreams(t *testing.T, b *bus.Bus) {
	t.Helper()
	if err := b.EnsureStreams(t.Context(), testStreams...); err != nil {
		t.Fatalf("ensure test streams: %v", err)
	}
}

func publish(t *testing.T, b *bus.Bus, subject string, n int, opts ...bus.PublishOption) {
	t.Helper()
	if err := b.Publish(t.Context(), subject, greeting{Text: "hello", N: n}, opts...); err != nil {
		t.Fatalf("publish %s #%d: %v", subject, n, err)
	}
}

// inbox records what handlers saw, safe for concurrent handlers.
type inbox struct {
	mu   sync.Mutex
	msgs []bus.Message
	ns   []int
}

func (in *inbox) add(t *testing.T, m bus.Message) {
	t.Helper()
	var g greeting
	if err := m.Decode(&g); err != nil {
		t.Errorf("decode: %v", err)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, m)
	in.ns = append(in.ns, g.N)
}

// handler acknowledges every message.
func (in *inbox) handler(t *testing.T) bus.Handler {
	t.Helper()
	return func(_ context.Context, m bus.Message) error {
		in.add(t, m)
		return nil
	}
}

func (in *inbox) numbers() []int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.ns)
}

func (in *inbox) messages() []bus.Message {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.msgs)
}

func (in *inbox) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.ns)
}

// waitUntil polls cond until it holds or waitTimeout passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", waitTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func consume(t *testing.T, b *bus.Bus, durable string, h bus.Handler, opts ...bus.ConsumeOption) bus.Subscription {
	t.Helper()
	sub, err := b.Consume(t.Context(), "WORK", durable, h, opts...)
	if err != nil {
		t.Fatalf("consume WORK/%s: %v", durable, err)
	}
	return sub
}

func closeBus(t *testing.T, b *bus.Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Fatalf("close bus: %v", err)
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}
