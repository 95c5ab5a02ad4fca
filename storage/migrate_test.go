package storage_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// roomMigrations are three steps; the third inserts a row, which shows
// whether it ran more than once.
var roomMigrations = []storage.Migration{
	{Version: 1, Name: "rooms", Up: `CREATE TABLE rooms (room_nid BIGSERIAL PRIMARY KEY, room_id TEXT NOT NULL UNIQUE)`},
	{Version: 2, Name: "room version", Up: `ALTER TABLE rooms ADD COLUMN room_version TEXT NOT NULL DEFAULT '10'`},
	{Version: 3, Name: "seed", Up: `INSERT INTO rooms (room_id) VALUES ('!seed:example.org')`},
}

func TestMigrateAppliesEachVersionOnce(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "roomserver", roomMigrations[:2]...)
		mustMigrate(t, db, "roomserver", roomMigrations...)
		mustMigrate(t, db, "roomserver", roomMigrations...)
		mustMigrate(t, db, "syncapi", storage.Migration{Version: 1, Name: "positions", Up: `CREATE TABLE positions (pos BIGINT)`})

		if n := count(t, db, "SELECT COUNT(*) FROM rooms"); n != 1 {
			t.Errorf("seed rows = %d, want 1: a migration ran twice or not at all", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM schema_migrations WHERE component = $1", "roomserver"); n != 3 {
			t.Errorf("roomserver bookkeeping rows = %d, want 3", n)
		}
		versions, err := db.SchemaVersions(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(versions) != 2 || versions["roomserver"] != 3 || versions["syncapi"] != 1 {
			t.Errorf("SchemaVersions = %v, want roomserver:3 syncapi:1", versions)
		}
	})
}

func TestSchemaVersionsOfAFreshDatabaseIsEmpty(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		versions, err := db.SchemaVersions(t.Context())
		if err != nil || len(versions) != 0 {
			t.Errorf("SchemaVersions = %v, %v; want an empty map", versions, err)
		}
	})
}

func TestMigrateRefusesADatabaseNewerThanTheBinary(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "roomserver", roomMigrations...)
		err := db.Migrate(t.Context(), "roomserver", roomMigrations[:2])
		if !errors.Is(err, storage.ErrSchemaNewer) {
			t.Fatalf("Migrate with fewer migrations = %v, want ErrSchemaNewer", err)
		}
		const want = "database schema for roomserver is at version 3 but this binary knows up to 2: upgrade ocomms or restore a backup"
		if err.Error() != want {
			t.Errorf("error = %q\nwant %q", err, want)
		}
		if schemaErr, ok := errors.AsType[*storage.SchemaNewerError](err); !ok || schemaErr.DatabaseVersion != 3 || schemaErr.KnownVersion != 2 {
			t.Errorf("error = %#v, want a SchemaNewerError for versions 3 and 2", err)
		}
	})
}

func TestMigrateRejectsBadNumbering(t *testing.T) {
	tests := []struct {
		name       string
		migrations []storage.Migration
		wantInErr  string
	}{
		{"a gap in the versions", []storage.Migration{roomMigrations[0], roomMigrations[2]}, "without gaps"},
		{"versions not starting at 1", roomMigrations[1:], "without gaps"},
		{"versions out of order", []storage.Migration{roomMigrations[1], roomMigrations[0]}, "without gaps"},
		{"a migration without a script", []storage.Migration{{Version: 1, Name: "empty"}}, "Up script"},
	}
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := db.Migrate(t.Context(), "roomserver", tt.migrations)
				if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
					t.Fatalf("Migrate = %v, want an error mentioning %q", err, tt.wantInErr)
				}
				versions, err := db.SchemaVersions(t.Context())
				if err != nil || versions["roomserver"] != 0 {
					t.Errorf("SchemaVersions = %v, %v; want nothing applied", versions, err)
				}
			})
		}
	})
}

func TestAFailingMigrationLeavesNoPartialSchema(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		broken := storage.Migration{Version: 2, Name: "half done", Up: `
			CREATE TABLE members (room_nid BIGINT NOT NULL, user_id TEXT NOT NULL);
			INSERT INTO no_such_table VALUES (1);`}
		err := db.Migrate(t.Context(), "roomserver", []storage.Migration{roomMigrations[0], broken})
		if err == nil || !strings.Contains(err.Error(), "version 2 (half done)") {
			t.Fatalf("Migrate = %v, want an error naming version 2 (half done)", err)
		}
		versions, err := db.SchemaVersions(t.Context())
		if err != nil || versions["roomserver"] != 1 {
			t.Errorf("SchemaVersions = %v, %v; want roomserver at 1", versions, err)
		}
		// The table the failed migration created first must be gone:
		// creating it again must work.
		mustExec(t, db, "CREATE TABLE members (room_nid BIGINT NOT NULL)")
	})
}

func TestConcurrentMigrateCallsApplyEachMigrationOnce(t *testing.T) {
	const processes = 4
	forEachConfig(t, func(t *testing.T, cfg storage.Config) {
		dbs := make([]*storage.DB, processes)
		for i := range dbs {
			dbs[i] = storagetest.Open(t, cfg)
		}
		var wg sync.WaitGroup
		errs := make(chan error, processes)
		for _, db := range dbs {
			wg.Go(func() { errs <- db.Migrate(t.Context(), "roomserver", roomMigrations) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Migrate: %v", err)
			}
		}
		if n := count(t, dbs[0], "SELECT COUNT(*) FROM rooms"); n != 1 {
			t.Errorf("seed rows = %d, want 1: a migration ran more than once", n)
		}
	})
}
