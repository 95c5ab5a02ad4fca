package storage

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// PostgreSQL SQLSTATE codes, https://www.postgresql.org/docs/current/errcodes-appendix.html
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// IsUniqueViolation reports whether err, or an error it wraps, is a unique or
// primary key constraint violation, on either database.
func IsUniqueViolation(err error) bool {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code == pgUniqueViolation
	}
	if sqErr, ok := errors.AsType[*sqlite.Error](err); ok {
		code := sqErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsSerializationFailure reports whether err, or an error it wraps, means
// the transaction lost a conflict with a concurrent one and would succeed if
// run again from the start: a PostgreSQL serialization failure or deadlock,
// or SQLite's busy (the write lock is held by another process beyond the
// busy timeout). WithTx retries these by itself.
func IsSerializationFailure(err error) bool {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code == pgSerializationFailure || pgErr.Code == pgDeadlockDetected
	}
	if sqErr, ok := errors.AsType[*sqlite.Error](err); ok {
		// The low byte is the primary code; extended codes such as
		// SQLITE_BUSY_SNAPSHOT keep it.
		return sqErr.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}
