package ratelimit

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/spec/errcode"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTestLimiter(cfg config.RateLimit) (*Limiter, *clock) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	l := New(cfg)
	l.now = c.now
	return l, c
}

func TestAllowLetsABurstThroughThenAsksToWait(t *testing.T) {
	l, c := newTestLimiter(config.RateLimit{PerSecond: 1, Burst: 3})
	for i := range 3 {
		if ok, _ := l.Allow("alice"); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, retry := l.Allow("alice")
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("fourth request: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := l.Allow("bob"); !ok {
		t.Error("another key shares alice's bucket")
	}
	c.advance(retry)
	if ok, _ := l.Allow("alice"); !ok {
		t.Error("refused after waiting the advised time")
	}
}

func TestARefusedRequestDoesNotTakeFromTheBucket(t *testing.T) {
	l, c := newTestLimiter(config.RateLimit{PerSecond: 1, Burst: 1})
	l.Allow("k")
	for range 5 {
		l.Allow("k")
	}
	c.advance(time.Second)
	if ok, _ := l.Allow("k"); !ok {
		t.Error("refused requests were counted against the caller")
	}
}

func TestCheckAndReserveAnswerLimitExceededWithRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		take func(l *Limiter) error
	}{
		{"check", func(l *Limiter) error { return l.Check("k") }},
		{"reserve", func(l *Limiter) error { _, err := l.Reserve("k"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newTestLimiter(config.RateLimit{PerSecond: 0.5, Burst: 1})
			if err := tt.take(l); err != nil {
				t.Fatal(err)
			}
			err := tt.take(l)
			var e *errcode.Error
			if !errors.As(err, &e) || e.Code != errcode.CodeLimitExceeded || e.Status() != 429 {
				t.Fatalf("got %v", err)
			}
			if ms, ok := e.RetryAfterMs(); !ok || ms < 1900 || ms > 2000 {
				t.Errorf("retry_after_ms %d", ms)
			}
		})
	}
}

func TestIdleKeysAreEvictedWhenTheLimiterIsFull(t *testing.T) {
	l, c := newTestLimiter(config.RateLimit{PerSecond: 10, Burst: 1})
	for i := range maxKeys {
		l.Allow(fmt.Sprint(i))
	}
	c.advance(time.Second)
	l.Allow("newcomer")
	if n := l.Len(); n != 1 {
		t.Errorf("%d keys kept, want only the newcomer", n)
	}
}

func TestBusyKeysAreBoundedToo(t *testing.T) {
	l, c := newTestLimiter(config.RateLimit{PerSecond: 0.001, Burst: 1})
	for i := range maxKeys {
		c.advance(time.Millisecond)
		l.Allow(fmt.Sprint(i))
	}
	l.Allow("newcomer")
	if n := l.Len(); n > maxKeys/2+1 {
		t.Errorf("%d keys kept after eviction", n)
	}
}
