package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/storage"
)

// serverMigrations are the process's own tables, outside any component.
var serverMigrations = []storage.Migration{
	{Version: 1, Name: "server_info", Up: `CREATE TABLE server_info (
		info_key TEXT PRIMARY KEY,
		info_value TEXT NOT NULL
	)`},
}

// ErrServerNameChanged stops a start whose configured server_name differs
// from the one the database was created with: every user ID, room and
// signature in it names the old one.
var ErrServerNameChanged = errors.New("server_name does not match the database")

func (s *Server) migrate(ctx context.Context) error {
	if err := s.db.Migrate(ctx, "server", serverMigrations); err != nil {
		return fmt.Errorf("migrating server tables: %w", err)
	}
	for _, c := range s.components {
		if err := s.db.Migrate(ctx, c.Name(), c.Migrations()); err != nil {
			return fmt.Errorf("migrating %s: %w", c.Name(), err)
		}
	}
	return s.claimServerName(ctx)
}

func (s *Server) claimServerName(ctx context.Context) error {
	return s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		var stored string
		err := tx.QueryRow(ctx, `SELECT info_value FROM server_info WHERE info_key = 'server_name'`).Scan(&stored)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.Exec(ctx, `INSERT INTO server_info (info_key, info_value) VALUES ('server_name', $1)`, s.cfg.ServerName)
			return err
		case err != nil:
			return fmt.Errorf("reading server_name from the database: %w", err)
		case stored != s.cfg.ServerName:
			return fmt.Errorf("%w: the configuration says %q but the database was created for %q; server_name cannot change once the server has data", ErrServerNameChanged, s.cfg.ServerName, stored)
		}
		return nil
	})
}
