package syncapi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// searchBenchMessages is the size of the benchmark's message history.
const searchBenchMessages = 100_000

var (
	benchWords = strings.Fields(`the meeting release deploy server client message search index budget review design
		coffee lunch weekend holiday invoice customer ticket bug feature planning roadmap sprint standup database`)
	benchPhrases = []string{"我们今天去北京吃烤鸭", "東京タワーに行きました", "明天的会议改到下午三点", "서울에서 만나요"}
)

// BenchmarkSearch measures POST /search's work (query, visibility,
// formatting) over 100,000 messages in 20 rooms, of which the user is in
// 10, on SQLite, and on PostgreSQL when OCOMMS_TEST_POSTGRES is set.
func BenchmarkSearch(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkSearch(b, storagetest.NewSQLite(b)) })
	if os.Getenv(storagetest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { benchmarkSearch(b, storagetest.NewPostgres(b)) })
	}
}

func benchmarkSearch(b *testing.B, db *storage.DB) {
	ctx := b.Context()
	if err := db.Migrate(ctx, "syncapi", migrations); err != nil {
		b.Fatal(err)
	}
	const alice = "@alice:bench"
	if err := fillSearchBench(ctx, db, alice); err != nil {
		b.Fatal(err)
	}
	s := New(db, nil, config.Defaults(), nil, nil, nil, slog.New(slog.DiscardHandler))
	device := &httpapi.Device{UserID: alice, DeviceID: "BENCH"}
	for _, c := range []struct {
		name   string
		term   string
		recent bool
	}{
		{"rare word ranked", "zanzibar", false},
		{"two common words ranked", "invoice budget", false},
		{"common word ranked", "the", false},
		{"common word recent", "meeting", true},
		{"Chinese phrase", "北京吃", false},
		{"two characters", "会议", true},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, err := parseSearch(&roomEventsCriteria{SearchTerm: &c.term, OrderBy: map[bool]string{true: "recent"}[c.recent]}, "")
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				res, err := s.searchRoomEvents(ctx, device, p)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Results) == 0 {
					b.Fatalf("no results for %q", c.term)
				}
			}
		})
	}
}

// fillSearchBench stores the messages, with their searchable text, the
// way the consumer would, in transactions of 5,000.
func fillSearchBench(ctx context.Context, db *storage.DB, alice string) error {
	rnd := rand.New(rand.NewPCG(1, 2))
	const rooms = 20
	pos := int64(0)
	for r := range rooms / 2 {
		pos++
		if _, err := db.Exec(ctx, `INSERT INTO syncapi_room_state (room_id, event_id, type, state_key, membership, added_pos)
			VALUES ($1, $2, 'm.room.member', $3, 'join', $4)`, fmt.Sprintf("!r%d:bench", r), fmt.Sprintf("$join%d", r), alice, pos); err != nil {
			return err
		}
	}
	for pos < searchBenchMessages {
		err := db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
			for range 5000 {
				pos++
				room := fmt.Sprintf("!r%d:bench", rnd.IntN(rooms))
				sender := fmt.Sprintf("@u%d:bench", rnd.IntN(50))
				var body string
				switch {
				case rnd.IntN(1000) == 0:
					body = "a rare zanzibar sighting"
				case rnd.IntN(10) == 0:
					body = benchPhrases[rnd.IntN(len(benchPhrases))]
				default:
					words := make([]string, 4+rnd.IntN(12))
					for i := range words {
						words[i] = benchWords[rnd.IntN(len(benchWords))]
					}
					body = strings.Join(words, " ")
				}
				pdu := fmt.Sprintf(`{"type":"m.room.message","sender":%q,"room_id":%q,"content":{"msgtype":"m.text","body":%q},"origin_server_ts":%d}`,
					sender, room, body, pos)
				if _, err := tx.Exec(ctx, `INSERT INTO syncapi_events (stream_pos, event_id, room_id, room_version, type, sender,
					depth, contains_url, event_json) VALUES ($1, $2, $3, '11', 'm.room.message', $4, $1, FALSE, $5)`,
					pos, fmt.Sprintf("$e%d", pos), room, sender, pdu); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO syncapi_search (stream_pos, room_id, sender, type, field, body)
					VALUES ($1, $2, $3, 'm.room.message', 'content.body', $4)`, pos, room, sender, body); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	_, err := db.Exec(ctx, `UPDATE syncapi_stream_positions SET position = $1 WHERE stream = 'room_events'`, pos)
	if err == nil && db.Backend() == storage.BackendPostgres {
		_, err = db.Exec(ctx, `ANALYZE`)
	}
	return err
}
