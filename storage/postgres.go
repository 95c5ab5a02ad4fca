package storage

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens a database/sql pool over pgx. pgx prepares each
// distinct query once per connection and caches it, so repeated queries skip
// parsing and planning without the callers preparing statements.
func openPostgres(ctx context.Context, cfg Config, log *slog.Logger) (*DB, error) {
	pgCfg, err := pgx.ParseConfig(cfg.PostgresDSN)
	if err != nil {
		// pgx redacts the password from parse errors.
		return nil, fmt.Errorf("storage: invalid PostgresDSN: %w", oneLineError{err})
	}
	if pgCfg.ConnectTimeout <= 0 || pgCfg.ConnectTimeout > cfg.ConnectTimeout {
		pgCfg.ConnectTimeout = cfg.ConnectTimeout
	}
	where := fmt.Sprintf("%s:%d (database %q, user %q)", pgCfg.Host, pgCfg.Port, pgCfg.Database, pgCfg.User)

	pool := stdlib.OpenDB(*pgCfg)
	pool.SetMaxOpenConns(cfg.MaxOpenConns)
	pool.SetMaxIdleConns(cfg.MaxIdleConns)
	pool.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	pool.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)

	pingCtx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if err := pool.PingContext(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("storage: cannot connect to PostgreSQL at %s: %w", where, oneLineError{err})
	}
	log.Info("database opened", "backend", BackendPostgres, "server", where, "max_conns", cfg.MaxOpenConns)
	return &DB{cfg: cfg, log: log, dialect: postgresDialect{}, writer: pool, reader: pool}, nil
}
