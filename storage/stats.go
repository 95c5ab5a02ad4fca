package storage

import "database/sql"

// PoolStats are the counters of one connection pool, for metrics.
type PoolStats struct {
	// Pool is "primary" for PostgreSQL, "writer" or "reader" for SQLite.
	Pool string
	sql.DBStats
}

// Stats returns the counters of every pool behind the DB. Wait counts on the
// SQLite writer show writers queueing for the single write connection.
func (db *DB) Stats() []PoolStats {
	if db.reader == db.writer {
		return []PoolStats{{Pool: "primary", DBStats: db.writer.Stats()}}
	}
	return []PoolStats{
		{Pool: "writer", DBStats: db.writer.Stats()},
		{Pool: "reader", DBStats: db.reader.Stats()},
	}
}
