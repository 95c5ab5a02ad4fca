// Package ratelimit bounds how fast one caller (a user, a device or a
// client address) may use an endpoint: a token bucket per key, with memory
// bounded by evicting keys that have been idle long enough to be full
// again.
//
// https://spec.matrix.org/latest/client-server-api/#rate-limiting
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/spec/errcode"
)

// maxKeys caps the buckets kept at once. When it is reached, buckets that
// are full (idle) are dropped; if none is idle the oldest half goes, which
// at worst forgives some callers early rather than growing without bound.
const maxKeys = 100_000

// Limiter is a set of token buckets with one configuration, keyed by
// caller. It is safe for concurrent use. Each instance of the server
// counts on its own: behind a load balancer the effective limit is the
// configured one times the instances a caller reaches.
type Limiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

// New returns a limiter allowing cfg.PerSecond requests per second per key
// on average, with bursts of cfg.Burst.
func New(cfg config.RateLimit) *Limiter {
	return &Limiter{
		limit:   rate.Limit(cfg.PerSecond),
		burst:   cfg.Burst,
		now:     time.Now,
		buckets: make(map[string]*bucket),
	}
}

// Allow takes one request from key's bucket. When the bucket is empty it
// takes nothing and says how long until a request would be allowed.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.bucketLocked(key, now)
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Hour
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Peek says whether key could make a request now without taking it, for
// endpoints that only count requests that succeed (a registration takes
// several requests through user-interactive authentication).
func (l *Limiter) Peek(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, found := l.buckets[key]
	if !found {
		return true, 0
	}
	tokens := b.lim.TokensAt(now)
	if tokens >= 1 {
		return true, 0
	}
	if l.limit <= 0 {
		return false, time.Hour
	}
	return false, time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
}

// Check is Allow as the error a handler returns: nil, or 429
// M_LIMIT_EXCEEDED with retry_after_ms.
func (l *Limiter) Check(key string) error {
	if ok, retry := l.Allow(key); !ok {
		return Exceeded(retry)
	}
	return nil
}

// Exceeded is the 429 M_LIMIT_EXCEEDED answer for a wait of retryAfter
// (the HTTP layer adds the Retry-After header from retry_after_ms).
func Exceeded(retryAfter time.Duration) error {
	ms := int64(math.Ceil(float64(retryAfter) / float64(time.Millisecond)))
	return errcode.LimitExceeded(max(ms, 1))
}

func (l *Limiter) bucketLocked(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys {
			l.evictLocked(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.lastSeen = now
	return b
}

// evictLocked drops buckets that have refilled completely: forgetting them
// changes nothing for their callers.
func (l *Limiter) evictLocked(now time.Time) {
	for k, b := range l.buckets {
		if b.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < maxKeys {
		return
	}
	cutoff := l.oldestHalfCutoffLocked()
	for k, b := range l.buckets {
		if !b.lastSeen.After(cutoff) {
			delete(l.buckets, k)
		}
	}
}

func (l *Limiter) oldestHalfCutoffLocked() time.Time {
	var oldest, newest time.Time
	for _, b := range l.buckets {
		if oldest.IsZero() || b.lastSeen.Before(oldest) {
			oldest = b.lastSeen
		}
		if b.lastSeen.After(newest) {
			newest = b.lastSeen
		}
	}
	return oldest.Add(newest.Sub(oldest) / 2)
}

// Len is the number of keys tracked, for tests and metrics.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
