package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// openSQLite opens one writer connection and a pool of read-only connections
// on the same file.
//
// WAL lets readers run while the writer commits, and synchronous=FULL syncs
// the log on every commit so an acknowledged write survives a power cut, not
// only a process crash. Transactions begin IMMEDIATE so a writer takes the
// write lock up front and never deadlocks upgrading a read lock against
// another process (an admin command) doing the same.
func openSQLite(ctx context.Context, cfg Config, log *slog.Logger) (*DB, error) {
	path, err := filepath.Abs(cfg.SQLitePath)
	if err != nil {
		return nil, fmt.Errorf("storage: SQLite path %q: %w", cfg.SQLitePath, err)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("storage: cannot open SQLite database %s: directory %s does not exist", path, dir)
	}

	writerParams := sqliteParams(cfg)
	writerParams.Set("_journal_mode", "WAL")
	writerParams.Set("_synchronous", "FULL")
	writerParams.Set("_txlock", "immediate")
	writer, err := sql.Open("sqlite", path+"?"+writerParams.Encode())
	if err != nil {
		return nil, fmt.Errorf("storage: open SQLite writer %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	// The writer lives as long as the DB: closing it would let the WAL be
	// checkpointed and removed under the read-only connections.
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	db := &DB{cfg: cfg, log: log, dialect: sqliteDialect{}, writer: writer}
	if err := db.checkSQLiteWriter(ctx, path); err != nil {
		writer.Close()
		return nil, err
	}

	// mode=ro takes effect only in a file: URI; the path is escaped so that
	// '%' or '#' in a directory name survive.
	readerParams := sqliteParams(cfg)
	readerParams.Set("mode", "ro")
	readerDSN := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?" + readerParams.Encode()
	reader, err := sql.Open("sqlite", readerDSN)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("storage: open SQLite readers %s: %w", path, err)
	}
	reader.SetMaxOpenConns(cfg.MaxOpenConns)
	reader.SetMaxIdleConns(cfg.MaxIdleConns)
	reader.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	reader.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	db.reader = reader

	pingCtx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if err := reader.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: cannot open SQLite database %s for reading: %w", path, oneLineError{err})
	}
	log.Info("database opened", "backend", BackendSQLite, "path", path, "readers", cfg.MaxOpenConns)
	return db, nil
}

// sqliteParams are the driver settings of every connection.
func sqliteParams(cfg Config) url.Values {
	v := url.Values{}
	v.Set("_busy_timeout", strconv.FormatInt(max(1, cfg.BusyTimeout.Milliseconds()), 10))
	v.Set("_foreign_keys", "1")
	v.Set("_time_format", "sqlite")
	return v
}

// checkSQLiteWriter opens the writer connection and verifies the settings
// durability depends on. SQLite keeps its old journal mode without an error
// when WAL is impossible (some network file systems), so it is read back.
func (db *DB) checkSQLiteWriter(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, db.cfg.ConnectTimeout)
	defer cancel()
	var mode string
	if err := db.writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("storage: cannot open SQLite database %s: %w", path, oneLineError{err})
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("storage: SQLite database %s: journal mode is %q, not WAL (is it on a network file system?)", path, mode)
	}
	var sync int
	if err := db.writer.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("storage: SQLite database %s: read synchronous setting: %w", path, err)
	}
	const synchronousFull = 2
	if sync < synchronousFull {
		return fmt.Errorf("storage: SQLite database %s: synchronous is %d, want FULL (2)", path, sync)
	}
	return nil
}
