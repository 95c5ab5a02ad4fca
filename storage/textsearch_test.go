package storage_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

var notesIndex = storage.TextIndex{Name: "notes_text", Table: "notes", Column: "body", Key: "id"}

// searchNotes returns the ids of the notes matching terms, best first.
func searchNotes(t *testing.T, db *storage.DB, terms ...string) []int64 {
	t.Helper()
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	s := db.TextSearch(notesIndex, "n", terms, arg)
	rows, err := db.Query(t.Context(), `SELECT n.id, `+s.Rank(arg)+` AS rank FROM `+s.From+` WHERE `+s.Where+
		` ORDER BY rank DESC, n.id`, args...)
	if err != nil {
		t.Fatalf("search %q: %v", terms, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var rank float64
		if err := rows.Scan(&id, &rank); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// countNotes counts the matches without ranking them.
func countNotes(t *testing.T, db *storage.DB, terms ...string) int {
	t.Helper()
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	s := db.TextSearch(notesIndex, "n", terms, arg)
	return count(t, db, `SELECT COUNT(*) FROM `+s.From+` WHERE `+s.Where, args...)
}

func TestTextIndexFindsSubstringsInAnyLanguage(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		// Rows inserted before the index exists must be indexed too.
		mustMigrate(t, db, "notes", storage.Migration{Version: 1, Name: "notes", Up: `
CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO notes (id, body) VALUES (1, 'The quick brown fox');`},
			storage.Migration{Version: 2, Name: "notes index", Up: `CREATE INDEX notes_id ON notes (id);`,
				TextIndexes: []storage.TextIndex{notesIndex}})
		for _, n := range []struct {
			id   int64
			body string
		}{
			{2, "我们今天去北京吃烤鸭"},
			{3, "東京タワーに行きました"},
			{4, "a fox, a fox, a brown fox"},
			{5, "100% sure_thing"},
			{6, "to be deleted: fox"},
		} {
			mustExec(t, db, `INSERT INTO notes (id, body) VALUES ($1, $2)`, n.id, n.body)
		}
		mustExec(t, db, `DELETE FROM notes WHERE id = 6`)
		mustExec(t, db, `UPDATE notes SET body = 'no animals' WHERE id = 1`)

		tests := []struct {
			name  string
			terms []string
			want  []int64
		}{
			{"an English word ignoring case", []string{"FOX"}, []int64{4}},
			{"every term must occur", []string{"brown", "fox"}, []int64{4}},
			{"a word part", []string{"rown"}, []int64{4}},
			{"a Chinese phrase inside a sentence", []string{"北京吃"}, []int64{2}},
			{"a Japanese phrase inside a sentence", []string{"タワー"}, []int64{3}},
			{"a term of two characters", []string{"北京"}, []int64{2}},
			{"a short term with a long one", []string{"a", "fox"}, []int64{4}},
			{"LIKE wildcards are literal", []string{"0%"}, []int64{5}},
			{"an underscore is literal", []string{"e_t"}, []int64{5}},
			{"a quote in a term", []string{`"fox`}, nil},
			{"the updated text", []string{"animals"}, []int64{1}},
			{"nothing", []string{"zebra"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := searchNotes(t, db, tt.terms...); !slices.Equal(got, tt.want) {
					t.Errorf("search %q = %v, want %v", tt.terms, got, tt.want)
				}
				if got := countNotes(t, db, tt.terms...); got != len(tt.want) {
					t.Errorf("count %q = %d, want %d", tt.terms, got, len(tt.want))
				}
			})
		}
	})
}

func TestTextSearchRanksCloserMatchesFirst(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		mustMigrate(t, db, "notes", storage.Migration{Version: 1, Name: "notes",
			Up:          `CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL);`,
			TextIndexes: []storage.TextIndex{notesIndex}})
		mustExec(t, db, `INSERT INTO notes (id, body) VALUES (1, 'a long message that mentions the meeting once among many other words of no interest at all')`)
		mustExec(t, db, `INSERT INTO notes (id, body) VALUES (2, 'meeting')`)
		if got := searchNotes(t, db, "meeting"); !slices.Equal(got, []int64{2, 1}) {
			t.Errorf("ranked = %v, want the exact match first: [2 1]", got)
		}
	})
}
