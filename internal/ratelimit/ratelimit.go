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
	perSecond float64
	burst     int
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

// bucket holds tokens as of at; it refills at perSecond up to burst. The
// bucket is kept by hand rather than with x/time/rate because a
// Reservation must be able to give its token back after the work it
// guarded, which rate.Reservation only allows before it was due.
type bucket struct {
	tokens   float64
	at       time.Time
	lastSeen time.Time
}

// New returns a limiter allowing cfg.PerSecond requests per second per key
// on average, with bursts of cfg.Burst.
func New(cfg config.RateLimit) *Limiter {
	return &Limiter{
		perSecond: cfg.PerSecond,
		burst:     cfg.Burst,
		now:       time.Now,
		buckets:   make(map[string]*bucket),
	}
}

// Allow takes one request from key's bucket. When the bucket is empty it
// takes nothing and says how long until a request would be allowed.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok, retryAfter = l.takeLocked(key)
	return ok, retryAfter
}

func (l *Limiter) takeLocked(key string) (b *bucket, ok bool, retryAfter time.Duration) {
	now := l.now()
	b = l.bucketLocked(key, now)
	tokens := l.tokensAt(b, now)
	if tokens < 1 {
		if l.perSecond <= 0 || l.burst < 1 {
			return b, false, time.Hour
		}
		return b, false, time.Duration((1 - tokens) / l.perSecond * float64(time.Second))
	}
	b.tokens, b.at = tokens-1, now
	return b, true, 0
}

// tokensAt is what b holds at now, refilled since it was last counted.
func (l *Limiter) tokensAt(b *bucket, now time.Time) float64 {
	tokens := b.tokens
	if elapsed := now.Sub(b.at); elapsed > 0 && l.perSecond > 0 {
		tokens += elapsed.Seconds() * l.perSecond
	}
	return min(tokens, float64(l.burst))
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
		b = &bucket{tokens: float64(l.burst), at: now}
		l.buckets[key] = b
	}
	b.lastSeen = now
	return b
}

// evictLocked drops buckets that have refilled completely: forgetting them
// changes nothing for their callers.
func (l *Limiter) evictLocked(now time.Time) {
	for k, b := range l.buckets {
		if l.tokensAt(b, now) >= float64(l.burst) {
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
