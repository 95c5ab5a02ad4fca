package storage

import (
	"fmt"
	"strings"
)

// sqliteType maps a portable type word of migrations (see the package
// documentation) to the SQLite type with the same behaviour, or returns ""
// for any other word. JSON becomes TEXT because a column declared "JSON"
// would get NUMERIC affinity in SQLite and turn the document "1" into the
// integer 1.
func sqliteType(word string) string {
	switch word {
	case "BYTEA":
		return "BLOB"
	case "JSON", "JSONB":
		return "TEXT"
	case "BOOLEAN":
		return "INTEGER"
	}
	return ""
}

// postgresDDLToSQLite rewrites the portable DDL vocabulary for SQLite.
//
// BIGSERIAL must be written "BIGSERIAL PRIMARY KEY" and becomes
// "INTEGER PRIMARY KEY AUTOINCREMENT": AUTOINCREMENT is what makes SQLite, like
// a PostgreSQL sequence, never hand out the ID of a deleted row again, which
// stream positions rely on.
func postgresDDLToSQLite(ddl string) (string, error) {
	var firstErr error
	// before is the code read so far with each comment and literal
	// standing as one space: whether a word is a column name depends on
	// what precedes it, and a comment line between "(" and "json JSONB"
	// must not hide that.
	var before strings.Builder
	out := mapCode(ddl, func(code string) string {
		s, err := rewriteTypeWords(before.String(), code)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		before.WriteString(code)
		before.WriteByte(' ')
		return s
	})
	if firstErr != nil {
		return "", firstErr
	}
	return out, nil
}

// rewriteTypeWords rewrites one run of code; before is the code preceding
// it, for telling column names from types.
func rewriteTypeWords(before, code string) (string, error) {
	var b strings.Builder
	i := 0
	for i < len(code) {
		if !isWordStart(code, i) {
			b.WriteByte(code[i])
			i++
			continue
		}
		j := i
		for j < len(code) && isIdentByte(code[j]) {
			j++
		}
		word := strings.ToUpper(code[i:j])
		switch {
		case word == "BIGSERIAL":
			end, ok := followedByWords(code, j, "PRIMARY", "KEY")
			if !ok {
				return "", fmt.Errorf("storage: migration DDL: BIGSERIAL must be written as \"BIGSERIAL PRIMARY KEY\" (near %q)", excerpt(code, i))
			}
			b.WriteString("INTEGER PRIMARY KEY AUTOINCREMENT")
			j = end
		case sqliteType(word) != "" && !followedByParen(code, j) && !inNamePosition(before+code, len(before)+i):
			b.WriteString(sqliteType(word))
		default:
			b.WriteString(code[i:j])
		}
		i = j
	}
	return b.String(), nil
}

// isWordStart reports whether an identifier starts at i: an identifier
// character not preceded by one, and not a digit (so "1e5" is not a word).
func isWordStart(s string, i int) bool {
	c := s[i]
	if !isIdentByte(c) || c == '$' || c >= '0' && c <= '9' {
		return false
	}
	return i == 0 || !isIdentByte(s[i-1])
}

// followedByWords reports whether the words follow position i, separated by
// whitespace, and returns the end of the last one.
func followedByWords(s string, i int, words ...string) (int, bool) {
	for _, w := range words {
		k := skipSpace(s, i)
		if k == i || len(s)-k < len(w) || !strings.EqualFold(s[k:k+len(w)], w) {
			return i, false
		}
		if k+len(w) < len(s) && isIdentByte(s[k+len(w)]) {
			return i, false
		}
		i = k + len(w)
	}
	return i, true
}

// inNamePosition reports whether the word at i stands where a column name
// does: first in a definition list, qualified, or after ADD COLUMN. This lets
// "json JSONB" declare a column named json.
func inNamePosition(s string, i int) bool {
	k := i
	for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t' || s[k-1] == '\n' || s[k-1] == '\r') {
		k--
	}
	if k == 0 {
		return false
	}
	if c := s[k-1]; c == '(' || c == ',' || c == '.' {
		return true
	}
	start := k
	for start > 0 && isIdentByte(s[start-1]) {
		start--
	}
	return strings.EqualFold(s[start:k], "COLUMN")
}

// followedByParen tells a type word from a function of the same name, such
// as SQLite's json(...).
func followedByParen(s string, i int) bool {
	k := skipSpace(s, i)
	return k < len(s) && s[k] == '('
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

func excerpt(s string, i int) string {
	end := min(len(s), i+40)
	return strings.TrimSpace(s[i:end])
}
