// Package background runs a component's long-lived goroutine (a
// publisher, a sweeper) so that it outlives the start-up context and ends
// only when Stop says so.
package background

import (
	"context"
	"sync"
)

// Loop is one goroutine that can be started once and stopped.
type Loop struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs fn in a goroutine with a context that Stop cancels. It
// reports false, running nothing, when the loop is already running.
func (l *Loop) Start(fn func(ctx context.Context)) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		fn(ctx)
	}(l.done)
	return true
}

// Stop cancels the loop and waits for fn to return, or for ctx to end.
// It reports whether the loop was running.
func (l *Loop) Stop(ctx context.Context) (bool, error) {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.cancel = nil
	l.mu.Unlock()
	if cancel == nil {
		return false, nil
	}
	cancel()
	select {
	case <-done:
		return true, nil
	case <-ctx.Done():
		return true, ctx.Err()
	}
}
