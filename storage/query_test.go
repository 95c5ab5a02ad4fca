package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

var itemsTable = storage.Migration{Version: 1, Name: "items", Up: `
	CREATE TABLE items (
		id      BIGSERIAL PRIMARY KEY,
		name    TEXT NOT NULL UNIQUE,
		hits    BIGINT NOT NULL DEFAULT 0,
		active  BOOLEAN NOT NULL DEFAULT TRUE,
		payload BYTEA,
		json    JSONB
	);
	CREATE INDEX items_active ON items (active);`}

func TestPlaceholdersBindByNumberOnEveryBackend(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		tests := []struct {
			name  string
			query string
			args  []any
			want  string
		}{
			{"in order", "SELECT CAST($1 AS TEXT) || CAST($2 AS TEXT)", []any{"a", "b"}, "ab"},
			{"out of order", "SELECT CAST($2 AS TEXT) || CAST($1 AS TEXT)", []any{"a", "b"}, "ba"},
			{"repeated", "SELECT CAST($1 AS TEXT) || CAST($2 AS TEXT) || CAST($1 AS TEXT)", []any{"a", "b"}, "aba"},
			{"next to a literal holding a dollar", "SELECT '$2' || CAST($1 AS TEXT)", []any{"x"}, "$2x"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got string
				if err := db.QueryRow(t.Context(), tt.query, tt.args...).Scan(&got); err != nil {
					t.Fatalf("%s: %v", tt.query, err)
				}
				if got != tt.want {
					t.Errorf("%s = %q, want %q", tt.query, got, tt.want)
				}
			})
		}
	})
}

func TestPortableTypesRoundTrip(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "test", itemsTable)
		ctx := t.Context()
		payload := []byte{0, 1, 2, 0xff}
		var id int64
		err := db.ExecReturning(ctx, "INSERT INTO items (name, active, payload, json) VALUES ($1, $2, $3, $4) RETURNING id",
			"a", false, payload, `{"k":1}`).Scan(&id)
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		var (
			active  bool
			gotData []byte
			doc     string
		)
		err = db.QueryRow(ctx, "SELECT active, payload, json FROM items WHERE id = $1", id).Scan(&active, &gotData, &doc)
		if err != nil {
			t.Fatalf("select: %v", err)
		}
		if active || string(gotData) != string(payload) || strings.ReplaceAll(doc, " ", "") != `{"k":1}` {
			t.Errorf("read back active=%v payload=%x json=%q, want false %x {\"k\":1}", active, gotData, doc, payload)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM items WHERE active = $1", false); n != 1 {
			t.Errorf("rows with active = false: %d, want 1", n)
		}
	})
}

func TestUpsertAndReturningBehaveAlike(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "test", itemsTable)
		ctx := t.Context()
		const upsert = `INSERT INTO items (name, hits) VALUES ($1, 1)
			ON CONFLICT (name) DO UPDATE SET hits = items.hits + excluded.hits
			RETURNING id, hits`
		var firstID, id, hits int64
		if err := db.ExecReturning(ctx, upsert, "a").Scan(&firstID, &hits); err != nil || hits != 1 {
			t.Fatalf("first upsert: hits=%d err=%v, want 1 and no error", hits, err)
		}
		err := db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
			return tx.ExecReturning(ctx, upsert, "a").Scan(&id, &hits)
		})
		if err != nil || id != firstID || hits != 2 {
			t.Fatalf("second upsert: id=%d hits=%d err=%v, want id %d, hits 2", id, hits, err, firstID)
		}
	})
}

func TestDeletedIDsAreNeverHandedOutAgain(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "test", itemsTable)
		ctx := t.Context()
		var first, second int64
		if err := db.ExecReturning(ctx, "INSERT INTO items (name) VALUES ($1) RETURNING id", "a").Scan(&first); err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, "DELETE FROM items WHERE id = $1", first)
		if err := db.ExecReturning(ctx, "INSERT INTO items (name) VALUES ($1) RETURNING id", "b").Scan(&second); err != nil {
			t.Fatal(err)
		}
		if second <= first {
			t.Errorf("ID after deleting %d is %d, want a larger one", first, second)
		}
	})
}

func TestIsUniqueViolationRecognisesDuplicateKeys(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "test", itemsTable)
		mustExec(t, db, "INSERT INTO items (name) VALUES ($1)", "a")
		_, dupErr := db.Exec(t.Context(), "INSERT INTO items (name) VALUES ($1)", "a")
		_, pkErr := db.Exec(t.Context(), "INSERT INTO items (id, name) VALUES ((SELECT MAX(id) FROM items), $1)", "b")
		_, nullErr := db.Exec(t.Context(), "INSERT INTO items (name) VALUES (NULL)")
		tests := []struct {
			name string
			err  error
			want bool
		}{
			{"a duplicate unique column is a unique violation", dupErr, true},
			{"a duplicate primary key is a unique violation", pkErr, true},
			{"a wrapped duplicate is a unique violation", fmt.Errorf("add item: %w", dupErr), true},
			{"a NOT NULL violation is not a unique violation", nullErr, false},
			{"no error is not a unique violation", nil, false},
			{"an unrelated error is not a unique violation", sql.ErrNoRows, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := storage.IsUniqueViolation(tt.err); got != tt.want {
					t.Errorf("IsUniqueViolation(%v) = %v, want %v", tt.err, got, tt.want)
				}
				if tt.err != nil && storage.IsSerializationFailure(tt.err) {
					t.Errorf("IsSerializationFailure(%v) = true, want false", tt.err)
				}
			})
		}
	})
}

func TestQueryRowReportsNoRows(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "test", itemsTable)
		var id int64
		err := db.QueryRow(t.Context(), "SELECT id FROM items WHERE name = $1", "missing").Scan(&id)
		if !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("Scan of no rows = %v, want sql.ErrNoRows", err)
		}
	})
}
