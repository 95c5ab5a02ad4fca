// Package bustest runs tests against every kind of bus the server supports:
// an embedded server (always) and the external NATS named by
// OCOMMS_TEST_NATS. Each test gets its own deployment prefix, so tests run
// in parallel on one external server without seeing each other, and its
// streams are deleted afterwards.
//
// Set OCOMMS_TEST_BUS_LOG=debug (or info, warn, error) to see bus logs.
package bustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ocomms/ocomms/bus"
)

// EnvNATS names the environment variable with the external server's URL.
const EnvNATS = "OCOMMS_TEST_NATS"

// openTimeout bounds how long a test waits for a bus connection or close.
const openTimeout = 10 * time.Second

// externalProbeTimeout bounds the first connection to OCOMMS_TEST_NATS.
const externalProbeTimeout = 3 * time.Second

// NewBus opens another connection to the test's bus server: a separate
// instance, with its own consumers and subscriptions. It is closed when the
// test that asked for it ends; closing it earlier is fine.
type NewBus func(t *testing.T) *bus.Bus

// ForEach runs fn as subtest "embedded" and, when OCOMMS_TEST_NATS is set,
// as subtest "external". Without the variable the external subtest is
// skipped on a developer machine and fails in CI (CI=true).
func ForEach(t *testing.T, fn func(t *testing.T, newBus NewBus)) {
	t.Helper()
	t.Run("embedded", func(t *testing.T) {
		fn(t, Embedded(t))
	})
	t.Run("external", func(t *testing.T) {
		fn(t, External(t))
	})
}

// Embedded starts an embedded bus server in a temporary directory for the
// duration of t.
func Embedded(t *testing.T) NewBus {
	t.Helper()
	return start(t, bus.Config{DataDir: t.TempDir()})
}

// External connects to the server in OCOMMS_TEST_NATS for the duration of
// t, failing t if it is unreachable and skipping t when the variable is unset
// outside CI.
func External(t *testing.T) NewBus {
	t.Helper()
	return start(t, bus.Config{URLs: []string{externalURL(t)}})
}

// externalURL is OCOMMS_TEST_NATS, or the end of the test: skipped on a
// developer machine without it, failed in CI.
func externalURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv(EnvNATS)
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must set %s to the URL of a NATS server with JetStream", EnvNATS)
		}
		t.Skipf("%s is not set; set it to a NATS server with JetStream to run the external bus tests", EnvNATS)
	}
	return url
}

func start(t *testing.T, cfg bus.Config) NewBus {
	t.Helper()
	cfg.Prefix = uniquePrefix(t)
	log := logger()

	wait := openTimeout
	if len(cfg.URLs) > 0 {
		// Every external subtest pays this when the server is down; keep
		// the failure quick but allow a slow CI machine its first connect.
		wait = externalProbeTimeout
	}
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	root, err := bus.Open(ctx, cfg, log)
	if err != nil {
		if len(cfg.URLs) > 0 {
			t.Fatalf("%s=%s is set but unusable: %v", EnvNATS, cfg.URLs[0], err)
		}
		t.Fatalf("open embedded bus: %v", err)
	}
	if len(cfg.URLs) > 0 {
		// Registered before any bus's Close so it runs after all of them:
		// nothing can recreate a consumer mid-cleanup.
		t.Cleanup(func() { deleteStreams(t, cfg) })
	}
	closeOnCleanup(t, root)

	var n atomic.Int64
	return func(t *testing.T) *bus.Bus {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), openTimeout)
		defer cancel()
		b, err := root.ConnectAnother(ctx, fmt.Sprintf("ocomms-test-%d", n.Add(1)))
		if err != nil {
			t.Fatalf("connect another bus: %v", err)
		}
		closeOnCleanup(t, b)
		return b
	}
}

func closeOnCleanup(t *testing.T, b *bus.Bus) {
	t.Helper()
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanup runs.
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		if err := b.Close(ctx); err != nil {
			t.Errorf("close bus: %v", err)
		}
	})
}

func uniquePrefix(t *testing.T) string {
	t.Helper()
	var raw [6]byte
	if _, err := rand.Read(raw[:]); err != nil {
		t.Fatalf("random bus prefix: %v", err)
	}
	return "test" + hex.EncodeToString(raw[:])
}

// ExternalConfig returns a configuration for the server in
// OCOMMS_TEST_NATS with a prefix of the test's own, whose streams are
// deleted when the test ends. It skips or fails like External. Tests that
// start whole servers use it.
func ExternalConfig(t *testing.T) bus.Config {
	t.Helper()
	cfg := bus.Config{URLs: []string{externalURL(t)}, Prefix: uniquePrefix(t)}
	t.Cleanup(func() { deleteStreams(t, cfg) })
	return cfg
}

// deleteStreams removes the test's streams (and with them its consumers)
// from the shared external server, so test runs leave nothing behind.
func deleteStreams(t *testing.T, cfg bus.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	nc, err := nats.Connect(cfg.URLs[0], nats.Name("ocomms-test-cleanup"))
	if err != nil {
		t.Errorf("connect to delete test streams: %v", err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Errorf("jetstream to delete test streams: %v", err)
		return
	}
	names := js.StreamNames(ctx, jetstream.WithStreamListSubject(cfg.Prefix+".>"))
	var doomed []string
	for name := range names.Name() {
		doomed = append(doomed, name)
	}
	if err := names.Err(); err != nil {
		t.Errorf("list test streams: %v", err)
	}
	for _, name := range doomed {
		if err := js.DeleteStream(ctx, name); err != nil {
			t.Errorf("delete test stream %s: %v", name, err)
		}
	}
}

func logger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("OCOMMS_TEST_BUS_LOG"))); err != nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
