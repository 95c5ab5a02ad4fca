// Package storagetest gives tests a fresh database of each kind.
//
// SQLite always runs. PostgreSQL runs when OCOMMS_TEST_POSTGRES holds a DSN
// of a server where the user may create databases; each test gets its own
// database, created for it and dropped afterwards, so test packages running
// in parallel never see each other's rows. In CI (CI=true) the variable is
// required, so a misconfigured pipeline cannot pass by skipping PostgreSQL.
package storagetest

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/storage"
)

// EnvPostgres names the environment variable holding the PostgreSQL DSN.
const EnvPostgres = "OCOMMS_TEST_POSTGRES"

// adminTimeout bounds creating and dropping a test database.
const adminTimeout = 30 * time.Second

// ForEachBackend runs fn as the subtest "sqlite" and the subtest "postgres",
// each with a fresh, empty database that is closed when the subtest ends.
func ForEachBackend(t *testing.T, fn func(t *testing.T, db *storage.DB)) {
	t.Helper()
	t.Run(storage.BackendSQLite, func(t *testing.T) { fn(t, NewSQLite(t)) })
	t.Run(storage.BackendPostgres, func(t *testing.T) { fn(t, NewPostgres(t)) })
}

// NewSQLite opens a fresh SQLite database in a temporary directory.
func NewSQLite(t testing.TB) *storage.DB {
	t.Helper()
	return Open(t, SQLiteConfig(t))
}

// NewPostgres opens a fresh PostgreSQL database, or skips the test when no
// server is configured on a developer machine.
func NewPostgres(t testing.TB) *storage.DB {
	t.Helper()
	return Open(t, PostgresConfig(t))
}

// SQLiteConfig returns the configuration of a new SQLite file in a temporary
// directory removed after the test. Tests that reopen a database, or open it
// from another process, use it with Open or storage.Open.
func SQLiteConfig(t testing.TB) storage.Config {
	t.Helper()
	return storage.Config{Backend: storage.BackendSQLite, SQLitePath: filepath.Join(t.TempDir(), "ocomms.db")}
}

// PostgresConfig creates an empty PostgreSQL database, dropped after the
// test, and returns its configuration. It skips the test when
// OCOMMS_TEST_POSTGRES is unset outside CI, and fails it when the variable
// is missing in CI or names a server that cannot be reached.
func PostgresConfig(t testing.TB) storage.Config {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must set %s to a PostgreSQL DSN (such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable): storage tests must run on PostgreSQL", EnvPostgres)
		}
		t.Skipf("%s is not set: skipping PostgreSQL (set it to a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvPostgres)
	}
	name := "ocomms_test_" + strings.ToLower(rand.Text())
	admin(t, dsn, "CREATE DATABASE "+name)
	t.Cleanup(func() {
		// FORCE ends connections a test left behind, such as those of a
		// child process it killed.
		admin(t, dsn, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	testDSN, err := withDatabase(dsn, name)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	return storage.Config{Backend: storage.BackendPostgres, PostgresDSN: testDSN}
}

// Open opens the database of cfg and closes it when the test ends.
func Open(t testing.TB, cfg storage.Config) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.Context(), cfg, Logger(t))
	if err != nil {
		t.Fatalf("open %s test database: %v", cfg.Backend, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close %s test database: %v", cfg.Backend, err)
		}
	})
	return db
}

// Logger returns a logger writing to the test's output, shown when the test
// fails or runs with -v.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// admin runs one statement on the server named by dsn, on a connection of
// its own: CREATE and DROP DATABASE cannot run in the database they name,
// nor inside a transaction.
func admin(t testing.TB, dsn, statement string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	db, err := storage.Open(ctx, storage.Config{Backend: storage.BackendPostgres, PostgresDSN: dsn, MaxOpenConns: 1}, nil)
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL is unusable: %v", EnvPostgres, err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, statement); err != nil {
		t.Fatalf("%s: %v", statement, err)
	}
}

// withDatabase returns dsn pointing at another database on the same server.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In the keyword/value form a later keyword overrides an earlier one.
	return dsn + " dbname=" + name, nil
}
