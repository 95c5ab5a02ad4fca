package storage_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

func TestOpenExplainsWhyItCannotStart(t *testing.T) {
	tests := []struct {
		name      string
		cfg       storage.Config
		wantInErr string
	}{
		{
			name:      "an unknown backend is named",
			cfg:       storage.Config{Backend: "mysql"},
			wantInErr: `backend "mysql" is not supported`,
		},
		{
			name:      "a sqlite backend without a path is refused",
			cfg:       storage.Config{Backend: storage.BackendSQLite},
			wantInErr: "needs SQLitePath",
		},
		{
			name:      "an in-memory sqlite database is refused",
			cfg:       storage.Config{Backend: storage.BackendSQLite, SQLitePath: ":memory:"},
			wantInErr: "must be a plain file path",
		},
		{
			name:      "a sqlite file in a missing directory names the directory",
			cfg:       storage.Config{Backend: storage.BackendSQLite, SQLitePath: filepath.Join(t.TempDir(), "missing", "ocomms.db")},
			wantInErr: "missing does not exist",
		},
		{
			name:      "a postgres backend without a DSN is refused",
			cfg:       storage.Config{Backend: storage.BackendPostgres},
			wantInErr: "needs PostgresDSN",
		},
		{
			name: "an unreachable postgres server is named",
			cfg: storage.Config{Backend: storage.BackendPostgres, ConnectTimeout: 2 * time.Second,
				PostgresDSN: "postgres://ocomms:secret@127.0.0.1:1/ocomms?sslmode=disable"},
			wantInErr: `cannot connect to PostgreSQL at 127.0.0.1:1 (database "ocomms", user "ocomms")`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			db, err := storage.Open(t.Context(), tt.cfg, nil)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded, want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantInErr) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.wantInErr)
			}
			if strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, "secret") {
				t.Errorf("error = %q, want one line without the password", msg)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Open took %v to fail, want it bounded by the connect timeout", took)
			}
		})
	}
}

func TestOpenDatabaseAnswersAndReportsPools(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		if err := db.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		var want []string
		switch db.Backend() {
		case storage.BackendSQLite:
			want = []string{"writer", "reader"}
		case storage.BackendPostgres:
			want = []string{"primary"}
		default:
			t.Fatalf("Backend() = %q", db.Backend())
		}
		stats := db.Stats()
		if len(stats) != len(want) {
			t.Fatalf("Stats() has %d pools, want %v", len(stats), want)
		}
		for i, s := range stats {
			if s.Pool != want[i] || s.OpenConnections < 1 {
				t.Errorf("pool %d = %q with %d open connections, want %q with at least 1", i, s.Pool, s.OpenConnections, want[i])
			}
		}
	})
}

func TestSQLiteDatabaseSurvivesReopening(t *testing.T) {
	cfg := storagetest.SQLiteConfig(t)
	db := storagetest.Open(t, cfg)
	mustMigrate(t, db, "test", itemsTable)
	mustExec(t, db, "INSERT INTO items (name) VALUES ('kept')")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	reopened := storagetest.Open(t, cfg)
	if n := count(t, reopened, "SELECT COUNT(*) FROM items WHERE name = 'kept'"); n != 1 {
		t.Errorf("rows after reopening = %d, want 1", n)
	}
}
