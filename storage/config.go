package storage

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Backend names accepted in Config.Backend.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// Defaults applied by Open to zero-valued Config fields.
const (
	DefaultConnectTimeout   = 5 * time.Second
	DefaultBusyTimeout      = 5 * time.Second
	DefaultPostgresMaxConns = 20
	DefaultSQLiteReaders    = 8
	DefaultTxMaxAttempts    = 8
)

// Config selects and tunes the database. The zero value of every field other
// than Backend and the backend's location means "use the default".
type Config struct {
	// Backend is BackendSQLite or BackendPostgres.
	Backend string
	// SQLitePath is the database file. Its directory must exist. SQLite
	// keeps two companion files next to it (-wal and -shm): back up all three
	// or use the SQLite backup API.
	SQLitePath string
	// PostgresDSN is a libpq connection string, URL or keyword/value form.
	PostgresDSN string

	// MaxOpenConns bounds the PostgreSQL pool, or the SQLite reader pool.
	// SQLite always has exactly one writer connection on top of it.
	MaxOpenConns int
	// MaxIdleConns bounds idle connections kept open; it defaults to
	// MaxOpenConns so a burst does not pay the connection cost twice.
	MaxIdleConns int
	// ConnMaxLifetime recycles connections; zero keeps them forever.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle for longer; zero never does.
	ConnMaxIdleTime time.Duration

	// ConnectTimeout bounds how long Open waits for the first connection,
	// so a server with an unreachable database fails at startup instead of
	// hanging.
	ConnectTimeout time.Duration
	// BusyTimeout is how long a SQLite statement waits for a lock held by
	// another process (an admin command on the same file) before failing
	// with SQLITE_BUSY, which WithTx then retries.
	BusyTimeout time.Duration
	// TxMaxAttempts bounds how many times WithTx runs a transaction that
	// keeps losing conflicts with concurrent ones.
	TxMaxAttempts int
}

// withDefaults returns a copy of c with zero fields filled and checks that
// the backend and its location are usable.
func (c Config) withDefaults() (Config, error) {
	c.Backend = strings.ToLower(strings.TrimSpace(c.Backend))
	switch c.Backend {
	case BackendSQLite:
		if c.SQLitePath == "" {
			return c, errors.New("storage: config: sqlite backend needs SQLitePath")
		}
		if c.SQLitePath == ":memory:" || strings.HasPrefix(c.SQLitePath, "file:") || strings.Contains(c.SQLitePath, "?") {
			return c, fmt.Errorf("storage: config: SQLitePath %q must be a plain file path (in-memory databases and URIs are not supported)", c.SQLitePath)
		}
		if c.MaxOpenConns <= 0 {
			c.MaxOpenConns = DefaultSQLiteReaders
		}
	case BackendPostgres:
		if c.PostgresDSN == "" {
			return c, errors.New("storage: config: postgres backend needs PostgresDSN")
		}
		if c.MaxOpenConns <= 0 {
			c.MaxOpenConns = DefaultPostgresMaxConns
		}
	default:
		return c, fmt.Errorf("storage: config: backend %q is not supported (use %q or %q)", c.Backend, BackendSQLite, BackendPostgres)
	}
	if c.MaxIdleConns <= 0 || c.MaxIdleConns > c.MaxOpenConns {
		c.MaxIdleConns = c.MaxOpenConns
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = DefaultBusyTimeout
	}
	if c.TxMaxAttempts <= 0 {
		c.TxMaxAttempts = DefaultTxMaxAttempts
	}
	return c, nil
}
