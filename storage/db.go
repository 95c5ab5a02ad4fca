package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// ErrWriteInsideTx is returned when code running inside WithTx writes through
// the *DB instead of the *Tx it was given. On SQLite that write would wait
// forever for the single writer connection the transaction holds; on
// PostgreSQL it would silently escape the transaction.
var ErrWriteInsideTx = errors.New("storage: write through *DB inside WithTx: use the *Tx passed to the function")

// DB is a database handle shared by the components. Reads (Query, QueryRow)
// go to a pool of readers; writes (Exec, ExecReturning, WithTx) go to the
// writer. On PostgreSQL both are the same pool; on SQLite the writer is a
// single connection, so writers queue in the process instead of failing with
// "database is locked".
//
// A DB is safe for concurrent use.
type DB struct {
	cfg     Config
	log     *slog.Logger
	dialect dialect
	writer  *sql.DB
	reader  *sql.DB
}

// Querier is what *DB and *Tx have in common, so table code can be written
// once and called both inside and outside a transaction.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *Row
	ExecReturning(ctx context.Context, query string, args ...any) *Row
}

var (
	_ Querier = (*DB)(nil)
	_ Querier = (*Tx)(nil)
)

// Open connects to the database described by cfg and checks that it answers
// within cfg.ConnectTimeout. The error names the database and the reason on
// one line, fit for a startup preflight.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*DB, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch cfg.Backend {
	case BackendSQLite:
		return openSQLite(ctx, cfg, log)
	default:
		return openPostgres(ctx, cfg, log)
	}
}

// Backend returns BackendSQLite or BackendPostgres.
func (db *DB) Backend() string { return db.cfg.Backend }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("storage: ping %s: %w", db.cfg.Backend, err)
	}
	if db.reader != db.writer {
		if err := db.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("storage: ping %s readers: %w", db.cfg.Backend, err)
		}
	}
	return nil
}

// Close closes every connection. Readers close first so that the SQLite
// writer, closing last, checkpoints the write-ahead log into the database
// file.
func (db *DB) Close() error {
	var errs []error
	if db.reader != db.writer {
		if err := db.reader.Close(); err != nil {
			errs = append(errs, fmt.Errorf("storage: close readers: %w", err))
		}
	}
	if err := db.writer.Close(); err != nil {
		errs = append(errs, fmt.Errorf("storage: close writer: %w", err))
	}
	return errors.Join(errs...)
}

// Exec runs a statement that returns no rows on the writer, in a
// transaction of its own. Unlike WithTx it is not retried on conflicts.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if db.insideWriteTx(ctx) {
		return nil, ErrWriteInsideTx
	}
	return db.writer.ExecContext(ctx, db.dialect.rebind(query), args...)
}

// Query runs a read-only query on a reader. The caller must close the rows.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.reader.QueryContext(ctx, db.dialect.rebind(query), args...)
}

// QueryRow runs a read-only query expected to return at most one row on a
// reader. Scan reports sql.ErrNoRows when there is none.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return &Row{row: db.reader.QueryRowContext(ctx, db.dialect.rebind(query), args...)}
}

// ExecReturning runs a statement that changes data and returns one row,
// such as "INSERT ... RETURNING id", on the writer. Both databases support
// RETURNING; it must go through the writer because SQLite readers are
// read-only.
func (db *DB) ExecReturning(ctx context.Context, query string, args ...any) *Row {
	if db.insideWriteTx(ctx) {
		return &Row{err: ErrWriteInsideTx}
	}
	return &Row{row: db.writer.QueryRowContext(ctx, db.dialect.rebind(query), args...)}
}

// Row is the result of QueryRow or ExecReturning.
type Row struct {
	row *sql.Row
	err error
}

// Scan copies the row's columns into dest; see sql.Row.Scan.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.row.Scan(dest...)
}

// Err reports an error from running the query without scanning.
func (r *Row) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.row.Err()
}

// oneLineError keeps a driver error's chain for errors.Is/As while printing
// it on one line: drivers report multi-address connection failures over
// several lines, which a log line or startup message must not be.
type oneLineError struct{ err error }

func (e oneLineError) Error() string {
	return strings.Join(strings.Fields(e.err.Error()), " ")
}

func (e oneLineError) Unwrap() error { return e.err }
