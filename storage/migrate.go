package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Migration is one numbered step of a component's schema. Up is written in
// PostgreSQL syntax with the portable type vocabulary described in the
// package documentation, and may hold several statements.
type Migration struct {
	Version int
	Name    string
	Up      string
	// TextIndexes are created after Up, in the same transaction, over
	// the rows the tables hold by then.
	TextIndexes []TextIndex
}

// ErrSchemaNewer matches (with errors.Is) the error Migrate returns when the
// database was migrated by a newer release than the running one.
var ErrSchemaNewer = errors.New("database schema is newer than this binary")

// SchemaNewerError says which component is ahead and by how much.
type SchemaNewerError struct {
	Component       string
	DatabaseVersion int
	KnownVersion    int
}

func (e *SchemaNewerError) Error() string {
	return fmt.Sprintf("database schema for %s is at version %d but this binary knows up to %d: upgrade ocomms or restore a backup",
		e.Component, e.DatabaseVersion, e.KnownVersion)
}

// Is makes errors.Is(err, ErrSchemaNewer) true.
func (e *SchemaNewerError) Is(target error) bool { return target == ErrSchemaNewer }

// schemaMigrationsDDL is the bookkeeping table; applied_at is in milliseconds
// since the Unix epoch, like Matrix timestamps.
const schemaMigrationsDDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
	component  TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	applied_at BIGINT  NOT NULL,
	PRIMARY KEY (component, version)
)`

// Migrate brings the component's tables up to the last of migrations, which
// must be numbered 1, 2, 3... without gaps. Each migration runs in its own
// transaction together with its row in schema_migrations, so a failing
// migration leaves nothing behind and the next start retries it.
//
// Several processes may call Migrate at once: they take turns, and each
// migration is applied once. When the database holds a version of the
// component newer than the last one known here, Migrate changes nothing and
// returns a *SchemaNewerError.
func (db *DB) Migrate(ctx context.Context, component string, migrations []Migration) error {
	if component == "" {
		return errors.New("storage: migrate: component name is empty")
	}
	for i, m := range migrations {
		if m.Version != i+1 {
			return fmt.Errorf("storage: migrate %s: migrations must be numbered 1, 2, 3... without gaps, but position %d holds version %d", component, i+1, m.Version)
		}
		if m.Name == "" || m.Up == "" {
			return fmt.Errorf("storage: migrate %s: migration %d needs a name and an Up script", component, m.Version)
		}
	}

	err := db.WithTx(ctx, func(ctx context.Context, tx *Tx) error {
		if err := db.dialect.lockMigrations(ctx, tx); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		ddl, err := db.dialect.migrationDDL(schemaMigrationsDDL)
		if err != nil {
			return err
		}
		_, err = tx.tx.ExecContext(ctx, ddl)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: migrate %s: create schema_migrations: %w", component, err)
	}

	for {
		applied := false
		err := db.WithTx(ctx, func(ctx context.Context, tx *Tx) error {
			applied = false
			next, err := db.nextMigration(ctx, tx, component, migrations)
			if err != nil || next == nil {
				return err
			}
			if err := db.apply(ctx, tx, component, *next); err != nil {
				return err
			}
			applied = true
			return nil
		})
		if err != nil {
			return err
		}
		if !applied {
			return nil
		}
	}
}

// nextMigration takes the migrations lock and returns the first migration
// the database lacks, or nil when it is up to date.
func (db *DB) nextMigration(ctx context.Context, tx *Tx, component string, migrations []Migration) (*Migration, error) {
	if err := db.dialect.lockMigrations(ctx, tx); err != nil {
		return nil, fmt.Errorf("storage: migrate %s: lock: %w", component, err)
	}
	var current int
	err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = $1", component).Scan(&current)
	if err != nil {
		return nil, fmt.Errorf("storage: migrate %s: read current version: %w", component, err)
	}
	if current > len(migrations) {
		return nil, &SchemaNewerError{Component: component, DatabaseVersion: current, KnownVersion: len(migrations)}
	}
	if current == len(migrations) {
		return nil, nil
	}
	return &migrations[current], nil
}

func (db *DB) apply(ctx context.Context, tx *Tx, component string, m Migration) error {
	start := time.Now()
	ddl, err := db.dialect.migrationDDL(m.Up)
	if err != nil {
		return fmt.Errorf("storage: migrate %s to version %d (%s): %w", component, m.Version, m.Name, err)
	}
	// The translated script goes to the driver as is: it holds no
	// placeholders, and may hold several statements.
	if _, err := tx.tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("storage: migrate %s to version %d (%s): %w", component, m.Version, m.Name, err)
	}
	for _, ix := range m.TextIndexes {
		if _, err := tx.tx.ExecContext(ctx, db.dialect.textIndexDDL(ix)); err != nil {
			return fmt.Errorf("storage: migrate %s to version %d (%s): text index %s: %w", component, m.Version, m.Name, ix.Name, err)
		}
	}
	_, err = tx.Exec(ctx, "INSERT INTO schema_migrations (component, version, name, applied_at) VALUES ($1, $2, $3, $4)",
		component, m.Version, m.Name, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("storage: migrate %s: record version %d: %w", component, m.Version, err)
	}
	db.log.InfoContext(ctx, "applied schema migration", "component", component, "version", m.Version, "name", m.Name, "took", time.Since(start))
	return nil
}

// SchemaVersions returns the highest applied migration of every component,
// and an empty map for a database that was never migrated. It only reads.
func (db *DB) SchemaVersions(ctx context.Context) (map[string]int, error) {
	versions := map[string]int{}
	var exists bool
	if err := db.QueryRow(ctx, db.dialect.tableExistsQuery(), "schema_migrations").Scan(&exists); err != nil {
		return nil, fmt.Errorf("storage: schema versions: %w", err)
	}
	if !exists {
		return versions, nil
	}
	rows, err := db.Query(ctx, "SELECT component, MAX(version) FROM schema_migrations GROUP BY component")
	if err != nil {
		return nil, fmt.Errorf("storage: schema versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var component string
		var version int
		if err := rows.Scan(&component, &version); err != nil {
			return nil, fmt.Errorf("storage: schema versions: %w", err)
		}
		versions[component] = version
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: schema versions: %w", err)
	}
	return versions, nil
}
