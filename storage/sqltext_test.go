package storage

import "testing"

func TestPostgresPlaceholdersBecomeNumberedSQLitePlaceholders(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  string
	}{
		{"a query without placeholders is unchanged", "SELECT 1", "SELECT 1"},
		{"placeholders keep their numbers", "SELECT a FROM t WHERE b = $1 AND c = $2", "SELECT a FROM t WHERE b = ?1 AND c = ?2"},
		{"a repeated placeholder is rewritten each time", "UPDATE t SET a = $1 WHERE a <> $1", "UPDATE t SET a = ?1 WHERE a <> ?1"},
		{"out-of-order placeholders keep their numbers", "INSERT INTO t (a, b) VALUES ($2, $1)", "INSERT INTO t (a, b) VALUES (?2, ?1)"},
		{"multi-digit placeholders keep every digit", "VALUES ($9, $10, $123)", "VALUES (?9, ?10, ?123)"},
		{"placeholders next to operators and casts are found", "SELECT $1+$2, CAST($3 AS TEXT),$4", "SELECT ?1+?2, CAST(?3 AS TEXT),?4"},
		{"a dollar inside a string literal is left alone", "SELECT '$1', $1", "SELECT '$1', ?1"},
		{"a doubled quote does not end the string literal", "SELECT 'it''s $1' || $2", "SELECT 'it''s $1' || ?2"},
		{"a dollar inside a quoted identifier is left alone", `SELECT "col$1" FROM t WHERE x = $1`, `SELECT "col$1" FROM t WHERE x = ?1`},
		{"a dollar inside a line comment is left alone", "SELECT $1 -- not $2\n, $3", "SELECT ?1 -- not $2\n, ?3"},
		{"a dollar inside a block comment is left alone", "SELECT /* $1 */ $2", "SELECT /* $1 */ ?2"},
		{"a dollar inside an identifier is part of the name", "SELECT a$1 FROM t", "SELECT a$1 FROM t"},
		{"a dollar not followed by a digit is left alone", "SELECT $a, $", "SELECT $a, $"},
		{"an unterminated literal is left for the database to reject", "SELECT $1, 'abc $2", "SELECT ?1, 'abc $2"},
		{"a placeholder at the very end is rewritten", "WHERE a = $1", "WHERE a = ?1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := postgresToSQLitePlaceholders(tt.query); got != tt.want {
				t.Errorf("rewrite(%q)\n got %q\nwant %q", tt.query, got, tt.want)
			}
		})
	}
}
