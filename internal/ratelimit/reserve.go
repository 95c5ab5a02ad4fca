package ratelimit

// Reservation is a request taken from a bucket before the work it guards,
// so that concurrent requests cannot all pass a check made before any of
// them is counted. An endpoint that only counts some outcomes (a send
// answered from an earlier transaction, a registration that fails) gives
// the token back with Cancel.
type Reservation struct {
	l      *Limiter
	b      *bucket
	closed bool
}

// Reserve takes one request from key's bucket, or answers 429
// M_LIMIT_EXCEEDED with retry_after_ms and takes nothing. The caller
// settles the reservation with Commit or Cancel; deferring Cancel and
// calling Commit on success does both.
func (l *Limiter) Reserve(key string) (*Reservation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok, retry := l.takeLocked(key)
	if !ok {
		return nil, Exceeded(retry)
	}
	return &Reservation{l: l, b: b}, nil
}

// Commit keeps the request counted; a later Cancel does nothing.
func (r *Reservation) Commit() {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	r.closed = true
}

// Cancel gives the request back to its bucket unless it was committed or
// already cancelled. If the bucket was evicted meanwhile, it was full or
// among the oldest, and the token is simply dropped with it.
func (r *Reservation) Cancel() {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	now := r.l.now()
	r.b.tokens, r.b.at = min(r.l.tokensAt(r.b, now)+1, float64(r.l.burst)), now
}
