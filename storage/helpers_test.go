package storage_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// waitTimeout bounds every wait on another goroutine or process, so a bug
// fails the test instead of hanging it.
const waitTimeout = 30 * time.Second

// forEachConfig is ForEachBackend for tests that open the database more than
// once, as several processes would.
func forEachConfig(t *testing.T, fn func(t *testing.T, cfg storage.Config)) {
	t.Helper()
	t.Run(storage.BackendSQLite, func(t *testing.T) { fn(t, storagetest.SQLiteConfig(t)) })
	t.Run(storage.BackendPostgres, func(t *testing.T) { fn(t, storagetest.PostgresConfig(t)) })
}

func mustExec(t *testing.T, q storage.Querier, query string, args ...any) {
	t.Helper()
	if _, err := q.Exec(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func mustMigrate(t *testing.T, db *storage.DB, component string, migrations ...storage.Migration) {
	t.Helper()
	if err := db.Migrate(t.Context(), component, migrations); err != nil {
		t.Fatalf("migrate %s: %v", component, err)
	}
}

func count(t *testing.T, q storage.Querier, query string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// recv waits for a value from ch, failing the test after waitTimeout.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// signalHandler is a slog.Handler that reports log records with a given
// message on a channel, so a test can wait for the moment something is
// logged instead of sleeping.
type signalHandler struct {
	message string
	seen    chan<- struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.message {
		select {
		case h.seen <- struct{}{}:
		default:
		}
	}
	return nil
}

func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }
