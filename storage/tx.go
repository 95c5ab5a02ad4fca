package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Tx is a transaction started by WithTx. It is only valid inside the
// function WithTx runs, and not safe for concurrent use.
type Tx struct {
	tx      *sql.Tx
	dialect dialect
}

// Exec runs a statement that returns no rows.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, tx.dialect.rebind(query), args...)
}

// Query runs a query. The caller must close the rows before the function
// given to WithTx returns.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, tx.dialect.rebind(query), args...)
}

// QueryRow runs a query expected to return at most one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return &Row{row: tx.tx.QueryRowContext(ctx, tx.dialect.rebind(query), args...)}
}

// ExecReturning runs a statement that changes data and returns one row, such
// as "INSERT ... RETURNING id". Inside a transaction it is the same as
// QueryRow; it exists so that code taking a Querier works with *DB too.
func (tx *Tx) ExecReturning(ctx context.Context, query string, args ...any) *Row {
	return tx.QueryRow(ctx, query, args...)
}

// TxOption changes how WithTx runs a transaction.
type TxOption func(*txOptions)

type txOptions struct {
	isolation sql.IsolationLevel
	readOnly  bool
}

// Serializable runs the transaction at SERIALIZABLE isolation instead of READ
// COMMITTED. Conflicts then fail the transaction, and WithTx retries it.
// SQLite transactions are always serializable.
func Serializable() TxOption {
	return func(o *txOptions) { o.isolation = sql.LevelSerializable }
}

// ReadOnly runs the transaction on a reader: several queries see one
// consistent snapshot without taking the write lock. Writes in it fail.
func ReadOnly() TxOption {
	return func(o *txOptions) { o.readOnly = true }
}

// writeTxKey marks the context of a write transaction's function with its
// DB, to catch writes that bypass the *Tx (see ErrWriteInsideTx).
type writeTxKey struct{}

func (db *DB) insideWriteTx(ctx context.Context) bool {
	owner, _ := ctx.Value(writeTxKey{}).(*DB)
	return owner == db
}

// WithTx runs fn in a transaction and commits it when fn returns nil. It
// rolls back when fn returns an error, which it returns unchanged, or panics,
// in which case the panic continues after the rollback.
//
// When the transaction loses a conflict with a concurrent one (see
// IsSerializationFailure), WithTx rolls back and runs fn again from the start
// after a short random pause, up to Config.TxMaxAttempts times. fn must
// therefore have no effects outside the transaction, or only repeatable ones.
//
// Inside fn, use tx for every statement; writing through db returns
// ErrWriteInsideTx. Return the error of a failed statement: PostgreSQL aborts
// the transaction at the first error, so carrying on would only fail later.
func (db *DB) WithTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error, opts ...TxOption) error {
	o := txOptions{isolation: sql.LevelReadCommitted}
	for _, opt := range opts {
		opt(&o)
	}
	pool := db.writer
	sqlOpts := &sql.TxOptions{Isolation: o.isolation, ReadOnly: o.readOnly}
	if db.cfg.Backend == BackendSQLite {
		// The driver has a single isolation level; naming another is not
		// an error there, but say what actually happens.
		sqlOpts.Isolation = sql.LevelDefault
	}
	if o.readOnly {
		pool = db.reader
	} else {
		if db.insideWriteTx(ctx) {
			return ErrWriteInsideTx
		}
		ctx = context.WithValue(ctx, writeTxKey{}, db)
	}

	for attempt := 1; ; attempt++ {
		err := db.runTx(ctx, pool, sqlOpts, fn)
		if err == nil || !IsSerializationFailure(err) {
			return err
		}
		if attempt >= db.cfg.TxMaxAttempts {
			return fmt.Errorf("storage: transaction still conflicting after %d attempts: %w", attempt, err)
		}
		db.log.DebugContext(ctx, "retrying transaction after a conflict", "attempt", attempt, "err", err)
		if err := waitBeforeRetry(ctx, attempt); err != nil {
			return fmt.Errorf("storage: transaction abandoned while waiting to retry: %w", err)
		}
	}
}

func (db *DB) runTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(ctx context.Context, tx *Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("storage: begin transaction: %w", err)
	}
	// Rolling back in a defer without recover lets a panic (or
	// runtime.Goexit from t.FailNow) continue with its original stack.
	finished := false
	defer func() {
		if !finished {
			_ = sqlTx.Rollback()
		}
	}()

	err = fn(ctx, &Tx{tx: sqlTx, dialect: db.dialect})
	finished = true
	if err != nil {
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			db.log.WarnContext(ctx, "rollback failed", "err", rbErr)
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

// waitBeforeRetry pauses for a random time below an exponentially growing
// bound, so transactions that collided do not collide again in lockstep.
func waitBeforeRetry(ctx context.Context, attempt int) error {
	const (
		base    = 2 * time.Millisecond
		ceiling = 250 * time.Millisecond
	)
	bound := min(ceiling, base<<min(attempt, 16))
	timer := time.NewTimer(rand.N(bound) + time.Millisecond)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
