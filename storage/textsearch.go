package storage

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// TextIndex is a substring index over one TEXT column of a table, for
// searching text in any language: it indexes character trigrams rather
// than words, so Chinese or Japanese, written without spaces, is found by
// any part of a phrase just like English. A migration declares it in
// Migration.TextIndexes; queries use it through DB.TextSearch.
//
// PostgreSQL serves it with a GIN index of the pg_trgm extension (shipped
// in contrib), SQLite with an FTS5 table using the trigram tokenizer,
// kept in step with the table by triggers, so writes are plain INSERTs and
// DELETEs on the table in both.
type TextIndex struct {
	// Name names the index; on SQLite it is also the FTS5 table.
	Name string
	// Table and Column are the indexed text.
	Table, Column string
	// Key is an integer column unique in Table (its primary key); SQLite's
	// FTS5 table refers to rows by it.
	Key string
}

// MinIndexedTermLength is the shortest term, in characters, the index can
// find: shorter ones are matched by scanning the rows the other conditions
// of the query leave, which is slow on a large table without them.
const MinIndexedTermLength = 3

// TextSearch is the SQL of a search against a TextIndex, to be assembled
// as "SELECT ..., " + Rank(arg) + " FROM " + From + " WHERE " + Where +
// " ORDER BY 2 DESC".
type TextSearch struct {
	// From is the indexed table under the alias given, with what the
	// match needs joined to it.
	From string
	// Where holds when the row contains every term, ignoring case.
	Where string
	rank  func(arg func(any) string) string
}

// Rank is a number, larger for better matches; it is 0 when every term is
// shorter than MinIndexedTermLength. It binds its own arguments, so a
// query that only counts matches leaves it out: PostgreSQL rejects
// arguments a query does not use.
func (s TextSearch) Rank(arg func(any) string) string {
	if s.rank == nil {
		return noRank
	}
	return s.rank(arg)
}

// TextSearch builds the search of rows whose indexed column contains each
// of terms (at least one, none empty) as a substring, ignoring case. arg
// binds a value and returns its placeholder, as the query being built
// numbers them.
func (db *DB) TextSearch(ix TextIndex, alias string, terms []string, arg func(any) string) TextSearch {
	return db.dialect.textSearch(ix, alias, terms, arg)
}

// likePattern is the LIKE pattern matching term anywhere; the queries
// declare backslash the escape character.
func likePattern(term string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(term) + "%"
}

// noRank is the rank of a search without indexed terms; a plain 0 would
// be read as a column position in ORDER BY.
const noRank = "CAST(0 AS REAL)"

func splitTerms(terms []string) (long, short []string) {
	for _, t := range terms {
		if utf8.RuneCountInString(t) >= MinIndexedTermLength {
			long = append(long, t)
		} else {
			short = append(short, t)
		}
	}
	return long, short
}

// postgresTextIndexDDL creates pg_trgm first when it is missing: a server
// without contrib, or a role that may not create it, fails the migration
// with an error saying what to install.
func postgresTextIndexDDL(ix TextIndex) string {
	return fmt.Sprintf(`DO $$ BEGIN
	CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
	RAISE EXCEPTION 'the text index %[1]s needs the PostgreSQL extension pg_trgm (package postgresql-contrib): %%', SQLERRM
		USING HINT = 'install contrib, or have a superuser run CREATE EXTENSION pg_trgm in this database';
END $$;
CREATE INDEX %[1]s ON %[2]s USING gin (%[3]s gin_trgm_ops);
`, ix.Name, ix.Table, ix.Column)
}

// postgresTextSearch matches with ILIKE, which the trigram index serves,
// and ranks by the trigram similarity of the query and the whole text
// (language-independent; it favours texts about little else) plus ts_rank
// over whole words with the 'simple' configuration, normalised by the
// text's length, which favours exact words where the language has spaces.
func postgresTextSearch(ix TextIndex, alias string, terms []string, arg func(any) string) TextSearch {
	col := alias + "." + ix.Column
	conds := make([]string, len(terms))
	for i, t := range terms {
		conds[i] = col + ` ILIKE ` + arg(likePattern(t)) + ` ESCAPE '\'`
	}
	s := TextSearch{From: ix.Table + " " + alias, Where: strings.Join(conds, " AND ")}
	if long, _ := splitTerms(terms); len(long) > 0 {
		q := strings.Join(long, " ")
		s.rank = func(arg func(any) string) string {
			return fmt.Sprintf("(similarity(%[1]s, %[2]s) + ts_rank(to_tsvector('simple', %[2]s), plainto_tsquery('simple', %[3]s), 1))",
				arg(q), col, arg(q))
		}
	}
	return s
}

// sqliteTextIndexDDL makes an external-content FTS5 table: it stores only
// the index, reading the text from the table, and triggers keep it in step.
// The rebuild indexes rows the table already holds.
func sqliteTextIndexDDL(ix TextIndex) string {
	return fmt.Sprintf(`
CREATE VIRTUAL TABLE %[1]s USING fts5(%[3]s, content='%[2]s', content_rowid='%[4]s', tokenize='trigram');
CREATE TRIGGER %[1]s_insert AFTER INSERT ON %[2]s BEGIN
	INSERT INTO %[1]s (rowid, %[3]s) VALUES (new.%[4]s, new.%[3]s);
END;
CREATE TRIGGER %[1]s_delete AFTER DELETE ON %[2]s BEGIN
	INSERT INTO %[1]s (%[1]s, rowid, %[3]s) VALUES ('delete', old.%[4]s, old.%[3]s);
END;
CREATE TRIGGER %[1]s_update AFTER UPDATE ON %[2]s BEGIN
	INSERT INTO %[1]s (%[1]s, rowid, %[3]s) VALUES ('delete', old.%[4]s, old.%[3]s);
	INSERT INTO %[1]s (rowid, %[3]s) VALUES (new.%[4]s, new.%[3]s);
END;
INSERT INTO %[1]s (%[1]s) VALUES ('rebuild');
`, ix.Name, ix.Table, ix.Column, ix.Key)
}

// sqliteTextSearch matches the terms of three characters or more as FTS5
// phrases (all must occur) and ranks by bm25; shorter terms, which the
// trigram index cannot find, are matched with LIKE on the rows left.
// FTS5's MATCH and bm25 only accept the FTS table under its own name, so
// it is joined unaliased.
func sqliteTextSearch(ix TextIndex, alias string, terms []string, arg func(any) string) TextSearch {
	long, short := splitTerms(terms)
	s := TextSearch{From: ix.Table + " " + alias}
	var conds []string
	if len(long) > 0 {
		phrases := make([]string, len(long))
		for i, t := range long {
			phrases[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
		}
		s.From += fmt.Sprintf(" JOIN %[1]s ON %[1]s.rowid = %[2]s.%[3]s", ix.Name, alias, ix.Key)
		conds = append(conds, ix.Name+" MATCH "+arg(strings.Join(phrases, " ")))
		s.rank = func(func(any) string) string { return "(-bm25(" + ix.Name + "))" }
	}
	for _, t := range short {
		conds = append(conds, alias+"."+ix.Column+" LIKE "+arg(likePattern(t))+` ESCAPE '\'`)
	}
	s.Where = strings.Join(conds, " AND ")
	return s
}
