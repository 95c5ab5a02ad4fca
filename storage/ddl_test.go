package storage

import (
	"strings"
	"testing"
)

func TestPortableDDLTranslatesToSQLite(t *testing.T) {
	tests := []struct {
		name string
		ddl  string
		want string
	}{
		{"BIGSERIAL PRIMARY KEY becomes an autoincrementing rowid", "id BIGSERIAL PRIMARY KEY,", "id INTEGER PRIMARY KEY AUTOINCREMENT,"},
		{"type words are matched in any case", "id bigserial  primary\n key, b bytea", "id INTEGER PRIMARY KEY AUTOINCREMENT, b BLOB"},
		{"BYTEA becomes BLOB", "(k TEXT, v BYTEA NOT NULL)", "(k TEXT, v BLOB NOT NULL)"},
		{"JSON and JSONB become TEXT", "(a JSON, b JSONB)", "(a TEXT, b TEXT)"},
		{"BOOLEAN becomes INTEGER", "(done BOOLEAN NOT NULL DEFAULT FALSE)", "(done INTEGER NOT NULL DEFAULT FALSE)"},
		{"portable types are unchanged", "(a BIGINT, b TEXT, c DOUBLE PRECISION)", "(a BIGINT, b TEXT, c DOUBLE PRECISION)"},
		{"a column named after a type word keeps its name", "(json JSONB,\n boolean BOOLEAN)", "(json TEXT,\n boolean INTEGER)"},
		{"an added column named after a type word keeps its name", "ALTER TABLE t ADD COLUMN json JSONB", "ALTER TABLE t ADD COLUMN json TEXT"},
		{"a qualified name is not a type", "CREATE INDEX i ON t (x) WHERE t.json IS NOT NULL", "CREATE INDEX i ON t (x) WHERE t.json IS NOT NULL"},
		{"a function named like a type is not a type", "CHECK (json_valid(doc) AND json(doc) IS NOT NULL)", "CHECK (json_valid(doc) AND json(doc) IS NOT NULL)"},
		{"type words inside identifiers are not types", "(bytea_data BYTEA, is_boolean BOOLEAN)", "(bytea_data BLOB, is_boolean INTEGER)"},
		{"type words inside strings are not types", "(kind TEXT DEFAULT 'BYTEA')", "(kind TEXT DEFAULT 'BYTEA')"},
		{"a column named json after a comment line keeps its name", "CREATE TABLE t (\n-- the document\njson JSONB NOT NULL)", "CREATE TABLE t (\n-- the document\njson TEXT NOT NULL)"},
		{"a column named json after a trailing comment keeps its name", "(a TEXT, -- first\n json JSONB)", "(a TEXT, -- first\n json TEXT)"},
		{"a column named json after a block comment keeps its name", "(a TEXT, /* doc */ json JSONB)", "(a TEXT, /* doc */ json TEXT)"},
		{"an added column named json after a comment keeps its name", "ALTER TABLE t ADD COLUMN -- why\njson JSONB", "ALTER TABLE t ADD COLUMN -- why\njson TEXT"},
		{"a type after a comment is still a type", "(a -- the document\n JSONB)", "(a -- the document\n TEXT)"},
		{"type words inside comments are not types", "-- BYTEA column\n(v BYTEA) /* JSONB */", "-- BYTEA column\n(v BLOB) /* JSONB */"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := postgresDDLToSQLite(tt.ddl)
			if err != nil {
				t.Fatalf("translate(%q): %v", tt.ddl, err)
			}
			if got != tt.want {
				t.Errorf("translate(%q)\n got %q\nwant %q", tt.ddl, got, tt.want)
			}
		})
	}
}

func TestBIGSERIALOutsideAPrimaryKeyIsRejected(t *testing.T) {
	for _, ddl := range []string{
		"CREATE TABLE t (id BIGSERIAL)",
		"CREATE TABLE t (id BIGSERIAL NOT NULL PRIMARY KEY)",
		"CREATE TABLE t (id BIGSERIAL PRIMARY)",
	} {
		_, err := postgresDDLToSQLite(ddl)
		if err == nil || !strings.Contains(err.Error(), "BIGSERIAL PRIMARY KEY") {
			t.Errorf("translate(%q) = %v, want an error asking for BIGSERIAL PRIMARY KEY", ddl, err)
		}
	}
}
