// Package storage is the database plumbing the components share: opening
// PostgreSQL or an embedded SQLite file, one query API for both, transactions
// that retry on conflicts, and numbered migrations. Components own their
// tables and migrations; nothing here knows about them.
//
// # Writing SQL once
//
// Queries are written in PostgreSQL syntax with $1, $2... placeholders and
// run unchanged on PostgreSQL; on SQLite the placeholders become ?1, ?2...,
// which keep their meaning when repeated or out of order. Stick to SQL both
// databases accept: INSERT ... ON CONFLICT (...) DO UPDATE SET x =
// excluded.x, INSERT/UPDATE/DELETE ... RETURNING, COALESCE, CASE, window
// functions. Bind JSON documents as strings, timestamps as BIGINT
// milliseconds since the Unix epoch, and booleans as Go bools.
//
// # Migration vocabulary
//
// Migrations use PostgreSQL DDL restricted to these types, which SQLite
// receives translated:
//
//	BIGSERIAL PRIMARY KEY   INTEGER PRIMARY KEY AUTOINCREMENT (IDs never reused)
//	BIGINT, INTEGER, SMALLINT, TEXT, REAL, DOUBLE PRECISION   unchanged
//	BOOLEAN                 INTEGER (0 or 1)
//	BYTEA                   BLOB
//	JSON, JSONB             TEXT
//
// BIGSERIAL is only accepted as "BIGSERIAL PRIMARY KEY". The type words are
// recognised outside strings, quoted identifiers and comments, and not where
// a column name stands (after "(", ",", "." or ADD COLUMN), so "json JSONB"
// declares a column named json; elsewhere, quote a column named after a type
// word. CREATE INDEX, UNIQUE, REFERENCES, CHECK and DEFAULT with constants
// are portable as written.
//
// # Usage
//
//	db, err := storage.Open(ctx, cfg, log)
//	...
//	err = db.Migrate(ctx, "roomserver", []storage.Migration{
//		{Version: 1, Name: "events", Up: `CREATE TABLE events (
//			event_nid BIGSERIAL PRIMARY KEY,
//			event_id  TEXT NOT NULL UNIQUE,
//			json      JSONB NOT NULL)`},
//	})
//	err = db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
//		var nid int64
//		return tx.QueryRow(ctx, `INSERT INTO events (event_id, json) VALUES ($1, $2)
//			ON CONFLICT (event_id) DO UPDATE SET event_id = excluded.event_id
//			RETURNING event_nid`, id, string(js)).Scan(&nid)
//	})
package storage
