package background_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/background"
)

func TestLoopRunsOnceUntilStopped(t *testing.T) {
	var l background.Loop
	started := make(chan struct{})
	if !l.Start(func(ctx context.Context) { close(started); <-ctx.Done() }) {
		t.Fatal("first Start did not run")
	}
	<-started
	if l.Start(func(context.Context) { t.Error("second Start ran") }) {
		t.Error("second Start reported running")
	}
	if running, err := l.Stop(t.Context()); !running || err != nil {
		t.Errorf("Stop = %v, %v", running, err)
	}
	if running, err := l.Stop(t.Context()); running || err != nil {
		t.Errorf("second Stop = %v, %v", running, err)
	}
}

func TestStopGivesUpWhenItsContextEnds(t *testing.T) {
	var l background.Loop
	release := make(chan struct{})
	defer close(release)
	l.Start(func(context.Context) { <-release })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := l.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want the deadline", err)
	}
}
