package storage

import "strings"

// mapCode returns query with f applied to every run of SQL text that lies
// outside string literals, quoted identifiers and comments; those are copied
// unchanged, so a "$1" or a type word inside them is never rewritten.
//
// Block comments are taken not to nest, as in SQLite: the text is rewritten
// for SQLite, and nested comments are not valid there anyway. An
// unterminated literal or comment runs to the end of the query and is left
// for the database to reject.
func mapCode(query string, f func(code string) string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	start := 0 // start of the current code run
	i := 0
	for i < len(query) {
		end := skipQuoted(query, i)
		if end == i {
			i++
			continue
		}
		b.WriteString(f(query[start:i]))
		b.WriteString(query[i:end])
		start, i = end, end
	}
	b.WriteString(f(query[start:]))
	return b.String()
}

// skipQuoted returns the end of the literal or comment starting at i, or i
// itself when none starts there.
func skipQuoted(s string, i int) int {
	switch {
	case s[i] == '\'' || s[i] == '"':
		q := s[i]
		for j := i + 1; j < len(s); j++ {
			if s[j] != q {
				continue
			}
			if j+1 < len(s) && s[j+1] == q { // doubled quote is an escaped quote
				j++
				continue
			}
			return j + 1
		}
		return len(s)
	case strings.HasPrefix(s[i:], "--"):
		if n := strings.IndexByte(s[i:], '\n'); n >= 0 {
			return i + n + 1
		}
		return len(s)
	case strings.HasPrefix(s[i:], "/*"):
		if n := strings.Index(s[i+2:], "*/"); n >= 0 {
			return i + 2 + n + 2
		}
		return len(s)
	}
	return i
}

// isIdentByte reports whether c can continue an SQL identifier; a "$" right
// after one (as in "a$1") is part of the name, not a placeholder.
func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// postgresToSQLitePlaceholders rewrites PostgreSQL's "$N" placeholders to
// SQLite's "?N", which binds the N-th argument just as "$N" does in
// PostgreSQL: repeated and out-of-order parameters keep their meaning.
func postgresToSQLitePlaceholders(query string) string {
	if !strings.Contains(query, "$") {
		return query
	}
	return mapCode(query, func(code string) string {
		if !strings.Contains(code, "$") {
			return code
		}
		out := []byte(code)
		for i := 0; i+1 < len(out); i++ {
			if out[i] != '$' || out[i+1] < '0' || out[i+1] > '9' {
				continue
			}
			if i > 0 && isIdentByte(out[i-1]) {
				continue
			}
			out[i] = '?'
		}
		return string(out)
	})
}
