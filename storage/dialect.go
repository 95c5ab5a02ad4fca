package storage

import "context"

// dialect is everything that differs between the two databases; the SQL of
// queries and migrations is written once, in PostgreSQL's syntax, and the
// dialect adapts it. Text search is the one place where the two have
// nothing in common (pg_trgm, FTS5): the dialect gives the DDL of a
// TextIndex and the SQL of a ranked match against it (textsearch.go).
type dialect interface {
	// rebind adapts a query written with PostgreSQL's $N placeholders.
	rebind(query string) string
	// migrationDDL adapts a migration written in the portable vocabulary.
	migrationDDL(ddl string) (string, error)
	// lockMigrations makes concurrent Migrate calls from several processes
	// take turns; it runs first in every migration transaction.
	lockMigrations(ctx context.Context, tx *Tx) error
	// tableExistsQuery returns one boolean: whether the table named by $1
	// exists.
	tableExistsQuery() string
	// textIndexDDL creates a TextIndex over rows the table may already
	// hold.
	textIndexDDL(ix TextIndex) string
	// textSearch is DB.TextSearch.
	textSearch(ix TextIndex, alias string, terms []string, arg func(any) string) TextSearch
}

type postgresDialect struct{}

// migrationsLockKey is the pg_advisory_xact_lock key of Migrate, one for all
// components so migrations of different components never interleave.
const migrationsLockKey int64 = 0x6f636f6d6d73 // "ocomms"

func (postgresDialect) rebind(query string) string { return query }

func (postgresDialect) migrationDDL(ddl string) (string, error) { return ddl, nil }

func (postgresDialect) lockMigrations(ctx context.Context, tx *Tx) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationsLockKey)
	return err
}

func (postgresDialect) tableExistsQuery() string {
	return "SELECT to_regclass($1) IS NOT NULL"
}

func (postgresDialect) textIndexDDL(ix TextIndex) string { return postgresTextIndexDDL(ix) }

func (postgresDialect) textSearch(ix TextIndex, alias string, terms []string, arg func(any) string) TextSearch {
	return postgresTextSearch(ix, alias, terms, arg)
}

type sqliteDialect struct{}

func (sqliteDialect) rebind(query string) string { return postgresToSQLitePlaceholders(query) }

func (sqliteDialect) migrationDDL(ddl string) (string, error) { return postgresDDLToSQLite(ddl) }

// lockMigrations has nothing to do: transactions begin IMMEDIATE, so the
// migration transaction already holds the database's only write lock.
func (sqliteDialect) lockMigrations(context.Context, *Tx) error { return nil }

func (sqliteDialect) tableExistsQuery() string {
	return "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1)"
}

func (sqliteDialect) textIndexDDL(ix TextIndex) string { return sqliteTextIndexDDL(ix) }

func (sqliteDialect) textSearch(ix TextIndex, alias string, terms []string, arg func(any) string) TextSearch {
	return sqliteTextSearch(ix, alias, terms, arg)
}
