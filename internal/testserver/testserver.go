// Package testserver starts real ocomms servers inside a test: real HTTP on
// loopback, real storage, real bus. Nothing is mocked.
package testserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus/bustest"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/server"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// SharedSecret is the registration.shared_secret of every test server.
const SharedSecret = "ocomms-test-shared-secret"

// Backend is one combination of storage and bus a test runs on.
type Backend struct {
	Name string
	// Configure points cfg at the backend's database and bus.
	Configure func(t *testing.T, cfg *config.Config)
}

// Backends are the SQLite + embedded NATS setup of `make run` and the
// PostgreSQL + external NATS setup of production. The second needs
// OCOMMS_TEST_POSTGRES and OCOMMS_TEST_NATS: skipped without them on a
// developer machine, failed without them in CI.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite+embedded", Configure: func(*testing.T, *config.Config) {}},
		{Name: "postgres+nats", Configure: func(t *testing.T, cfg *config.Config) {
			t.Helper()
			db := storagetest.PostgresConfig(t)
			nats := bustest.ExternalConfig(t)
			cfg.Database.Backend, cfg.Database.PostgresDSN = "postgres", db.PostgresDSN
			cfg.Bus.NATSURLs, cfg.Bus.Prefix = nats.URLs, nats.Prefix
		}},
	}
}

// ForEachBackend runs fn as a subtest per backend.
func ForEachBackend(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// Config returns a configuration for a test server: a temporary data
// directory, every listener on a free loopback port, a bus prefix of its
// own, and the backend's database and bus.
func Config(t *testing.T, b Backend) config.Config {
	t.Helper()
	// The suite may itself run in a container; test data is throwaway.
	t.Setenv("OCOMMS_ALLOW_EPHEMERAL_DATA", "1")
	cfg := config.Defaults()
	cfg.ServerName = "test.ocomms.local"
	cfg.DataDir = t.TempDir()
	cfg.ClientAPI.Listen = "127.0.0.1:0"
	cfg.Federation.Listen = "127.0.0.1:0"
	cfg.Metrics.Listen = "127.0.0.1:0"
	cfg.Limits.ShutdownTimeout = 10 * time.Second
	// Users are provisioned the way the conformance suite does it; rate
	// limits are generous so only tests about them meet them.
	cfg.Registration.SharedSecret = SharedSecret
	generous := config.RateLimit{PerSecond: 1000, Burst: 1000}
	cfg.RateLimits = config.RateLimits{Login: generous, Register: generous, Send: generous}
	// Presence is off: otherwise every sync makes its user online, and the
	// presence change wakes parked syncs that tests of other streams
	// expect to wake for what they send. Presence tests turn it on.
	cfg.Presence.Enabled = false
	b.Configure(t, &cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

// Server is a running test server.
type Server struct {
	*server.Server
	// URL is the client API's base URL, such as http://127.0.0.1:40123.
	URL  string
	stop func()
}

// Start builds and runs a server with cfg until the test ends (or Stop).
func Start(t *testing.T, cfg config.Config) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, storagetest.Logger(t))
	if err != nil {
		cancel()
		t.Fatalf("starting test server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	ts := &Server{Server: srv, URL: "http://" + srv.Addr("client")}
	var stopped bool
	ts.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with error: %v", err)
			}
		case <-time.After(cfg.Limits.ShutdownTimeout + 5*time.Second):
			t.Errorf("server did not stop within its shutdown timeout")
		}
	}
	t.Cleanup(ts.stop)
	ts.waitReady(t)
	return ts
}

// Stop shuts the server down gracefully and waits for it.
func (s *Server) Stop() { s.stop() }

func (s *Server) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 10s: %v", errors.Join(err))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StartTwoInstances starts two servers on cfg, sharing its database and
// bus as instances behind a load balancer do. Only the production backend
// (PostgreSQL and an external NATS) can be shared: on the embedded one,
// whose SQLite file and NATS server belong to one process, t is skipped.
func StartTwoInstances(t *testing.T, b Backend, cfg config.Config) (*Server, *Server) {
	t.Helper()
	if b.Name != "postgres+nats" {
		t.Skip("two instances share PostgreSQL and an external NATS")
	}
	return Start(t, cfg), Start(t, cfg)
}
