package syncapi

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/storage"
)

// benchDB is a migrated SQLite database of the sync API for a benchmark,
// closed when it ends, with a logger that discards.
func benchDB(b *testing.B) (*storage.DB, *slog.Logger) {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	db, err := storage.Open(b.Context(), storage.Config{Backend: storage.BackendSQLite, SQLitePath: filepath.Join(b.TempDir(), "bench.db")}, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(b.Context(), "syncapi", migrations); err != nil {
		b.Fatal(err)
	}
	return db, log
}

// BenchmarkAttachBundles measures loading the bundled aggregations of a
// page of 50 events, each a thread root with 21 replies, 3 edits and a
// reference, 1,250 related events in all, on SQLite.
func BenchmarkAttachBundles(b *testing.B) {
	ctx := b.Context()
	db, log := benchDB(b)
	const room, alice = "!room:bench", "@alice:bench"
	pos := int64(0)
	insert := func(tx *storage.Tx, evType, parent, relType string) (string, error) {
		pos++
		id := fmt.Sprintf("$e%d", pos)
		content := `{"body":"x"}`
		if parent != "" {
			content = fmt.Sprintf(`{"body":"x","m.new_content":{"body":"y"},"m.relates_to":{"rel_type":%q,"event_id":%q}}`, relType, parent)
		}
		pdu := fmt.Sprintf(`{"type":%q,"sender":%q,"room_id":%q,"content":%s,"origin_server_ts":%d}`, evType, alice, room, content, pos)
		if _, err := tx.Exec(ctx, `INSERT INTO syncapi_events (stream_pos, event_id, room_id, room_version, type, sender,
			depth, contains_url, event_json) VALUES ($1, $2, $3, '11', $4, $5, $1, FALSE, $6)`, pos, id, room, evType, alice, pdu); err != nil {
			return "", err
		}
		if parent != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO syncapi_relations (event_id, room_id, parent_id, rel_type, event_type,
				sender, origin_ts, depth, stream_pos) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)`, id, room, parent, relType, evType, alice, pos); err != nil {
				return "", err
			}
		}
		return id, nil
	}
	var page []*eventRow
	err := db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO syncapi_room_state (room_id, event_id, type, state_key, membership, added_pos)
			VALUES ($1, '$join', 'm.room.member', $2, 'join', 0)`, room, alice); err != nil {
			return err
		}
		for range 50 {
			root, err := insert(tx, "m.room.message", "", "")
			if err != nil {
				return err
			}
			page = append(page, &eventRow{eventID: root, roomID: room, evType: "m.room.message", sender: alice, pos: pos})
			for i := range 25 {
				relType := "m.thread"
				switch {
				case i%10 == 3:
					relType = "m.replace"
				case i == 24:
					relType = "m.reference"
				}
				if _, err := insert(tx, "m.room.message", root, relType); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s := New(db, nil, config.Defaults(), nil, nil, nil, log)
	vis, err := s.visibilityFor(ctx, alice, room, pos)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		for _, e := range page {
			e.relations = nil
		}
		if err := s.attachBundles(ctx, alice, pos, roomEvents{vis: vis, events: page}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if r := page[0].relations; r == nil || r.thread == nil || r.thread.count != 21 || r.replace == nil || len(r.references) != 1 {
		b.Fatalf("bundle of the first event = %+v, want 21 replies, an edit, a reference", r)
	}
}
