package syncapi

import (
	"context"
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/storage"
)

// BenchmarkTimestampToEvent finds the event closest to a time in the
// middle of a room of 50,000 events, by scanning the room (how rooms
// waiting for the timestamp backfill are searched) and by the index, on
// SQLite.
func BenchmarkTimestampToEvent(b *testing.B) {
	const events = 50_000
	ctx := b.Context()
	db, log := benchDB(b)
	err := db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		for pos := int64(1); pos <= events; pos++ {
			// A second apart, with some clock skew between senders.
			ts := 1_700_000_000_000 + pos*1000 + (pos%7)*300
			if _, err := tx.Exec(ctx, `INSERT INTO syncapi_events (stream_pos, event_id, room_id, room_version, type, sender,
				depth, contains_url, event_json, origin_ts) VALUES ($1, $2, '!big:bench', '11', 'm.room.message', '@alice:bench', $1, false, $3, $4)`,
				pos, fmt.Sprint("$e", pos), fmt.Sprintf(`{"origin_server_ts":%d,"content":{"body":"message %d"}}`, ts, pos), ts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s := New(db, nil, config.Defaults(), nil, oneDevice{}, nil, log)
	vis := &visibility{spans: []visibilitySpan{{value: "world_readable"}}}
	target := int64(1_700_000_000_000 + events/2*1000 + 1)
	for _, search := range []struct {
		name string
		fn   func(context.Context, string, int64, int64, direction, *visibility) (*timestampToEventResponse, error)
	}{{"scan", s.closestByTimestamp}, {"index", s.closestByIndex}} {
		for _, dir := range []struct {
			name string
			d    direction
		}{{"f", forwards}, {"b", backwards}} {
			b.Run(search.name+"/dir="+dir.name, func(b *testing.B) {
				for b.Loop() {
					found, err := search.fn(ctx, "!big:bench", events, target, dir.d, vis)
					if err != nil || found == nil {
						b.Fatalf("found %v, %v", found, err)
					}
				}
			})
		}
	}
}
