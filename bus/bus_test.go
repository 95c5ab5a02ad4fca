package bus_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
)

func openEmbedded(t *testing.T, dir string) *bus.Bus {
	t.Helper()
	started := time.Now()
	b, err := bus.Open(t.Context(), bus.Config{DataDir: dir, Prefix: "restart"}, nil)
	if err != nil {
		t.Fatalf("open embedded bus in %s: %v", dir, err)
	}
	t.Logf("embedded Open took %s", time.Since(started))
	return b
}

func TestEmbeddedDataSurvivesARestartOfTheServer(t *testing.T) {
	dir := t.TempDir()
	first := openEmbedded(t, dir)
	ensureTestStreams(t, first)
	var in inbox
	sub := consume(t, first, "survivor", in.handler(t))
	publish(t, first, "work.a", 1)
	waitUntil(t, "the first message is handled", func() bool { return in.count() == 1 })
	sub.Stop()
	publish(t, first, "work.a", 2) // acknowledged by the stream, not yet consumed
	closeBus(t, first)

	second := openEmbedded(t, dir)
	defer closeBus(t, second)
	consume(t, second, "survivor", in.handler(t))
	waitUntil(t, "the stored message arrives after the restart", func() bool { return in.count() >= 2 })
	if got := in.numbers(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("numbers = %v, want [1 2]: the consumer position or the message was lost", got)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  bus.Config
		want string
	}{
		{"an embedded bus without a data directory is rejected", bus.Config{}, "DataDir"},
		{"an embedded bus with replicas is rejected", bus.Config{DataDir: t.TempDir(), Replicas: 3}, "replicas"},
		{"a prefix with a dot is rejected", bus.Config{DataDir: t.TempDir(), Prefix: "a.b"}, "prefix"},
		{"an unwritable data directory is rejected", bus.Config{DataDir: unwritableDir(t)}, "jetstream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := bus.Open(t.Context(), tt.cfg, nil)
			if err == nil {
				closeBus(t, b)
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// unwritableDir is a path below a regular file, which no user, root
// included, can create.
func unwritableDir(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(file, "jetstream")
}

func TestOpenGivesUpOnAnUnreachableServerWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	b, err := bus.Open(ctx, bus.Config{URLs: []string{"nats://127.0.0.1:1"}}, nil)
	if err == nil {
		closeBus(t, b)
		t.Fatal("Open succeeded against a closed port")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the context deadline", err)
	}
}

func TestHealthyFollowsTheConnection(t *testing.T) {
	bustest.ForEach(t, func(t *testing.T, newBus bustest.NewBus) {
		b := newBus(t)
		if err := b.Healthy(); err != nil {
			t.Fatalf("Healthy on an open bus: %v", err)
		}
		closeBus(t, b)
		if err := b.Healthy(); err == nil {
			t.Fatal("Healthy on a closed bus reported no error")
		}
		if err := b.Close(t.Context()); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

func TestClosingTheOwnerShutsTheEmbeddedServerDown(t *testing.T) {
	owner := openEmbedded(t, t.TempDir())
	other, err := owner.ConnectAnother(t.Context(), "other")
	if err != nil {
		t.Fatalf("connect another: %v", err)
	}
	defer closeBus(t, other)
	closeBus(t, owner)
	waitUntil(t, "the other connection notices the server is gone", func() bool { return other.Healthy() != nil })
}

func TestOpenWarnsAndGivesUpAfterTheConnectTimeout(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	started := time.Now()
	b, err := bus.Open(t.Context(), bus.Config{URLs: []string{"nats://127.0.0.1:1"}, ConnectTimeout: 500 * time.Millisecond}, log)
	if err == nil {
		closeBus(t, b)
		t.Fatal("Open succeeded against a closed port")
	}
	if waited := time.Since(started); waited > 5*time.Second {
		t.Errorf("Open gave up after %s, want about the connect timeout", waited)
	}
	for _, want := range []string{"nats://127.0.0.1:1", "no connection within 500ms", "last attempt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v is not a deadline", err)
	}
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "nats://127.0.0.1:1") {
		t.Errorf("no warning naming the URL while waiting:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer that NATS callbacks may write to while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
