package syncapi

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// TestTimestampBackfillFillsOlderEventsAndTheIndexAgreesWithTheScan
// stores events whose origin_server_ts goes back and forth, forgets their
// origin_ts as if stored before the column existed, and checks that the
// room is scanned until the backfill fills them, and that the index then
// gives the scan's answers.
func TestTimestampBackfillFillsOlderEventsAndTheIndexAgreesWithTheScan(t *testing.T) {
	// Out of order and with ties, as servers' clocks give.
	stamps := []int64{1000, 3000, 2000, 2000, 5000, 4000, 2000}
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, b := startAlone(t, db)
		if _, err := s.backfill.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		key := testKey(t)
		for i, ts := range stamps {
			ev := eventAt(t, key, int64(i+1), ts)
			oe := api.OutputEvent{Version: api.OutputEventVersion, Sequence: int64(i + 1), RoomID: "!room:test", RoomVersion: "11",
				EventID: ev.EventID(), Event: ev.JSON()}
			if err := b.Publish(ctx, api.OutputSubject, oe); err != nil {
				t.Fatal(err)
			}
		}
		waitForPosition(t, s, int64(len(stamps)))
		for _, q := range []string{`UPDATE syncapi_events SET origin_ts = NULL`,
			fmt.Sprintf(`INSERT INTO syncapi_origin_ts_backfill (pending_upto) VALUES (%d)`, len(stamps))} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if indexed, err := s.timestampsIndexed(ctx, "!room:test"); err != nil || indexed {
			t.Fatalf("before the backfill indexed = %v (%v), want false", indexed, err)
		}
		if indexed, err := s.timestampsIndexed(ctx, "!other:test"); err != nil || !indexed {
			t.Errorf("a room without old events: indexed = %v (%v), want true", indexed, err)
		}
		s.runBackfill(ctx, originTSBackfill)
		if indexed, err := s.timestampsIndexed(ctx, "!room:test"); err != nil || !indexed {
			t.Fatalf("after the backfill indexed = %v (%v), want true", indexed, err)
		}
		for i, ts := range stamps {
			var got int64
			if err := db.QueryRow(ctx, `SELECT origin_ts FROM syncapi_events WHERE stream_pos = $1`, i+1).Scan(&got); err != nil || got != ts {
				t.Errorf("event %d: origin_ts %d (%v), want %d", i+1, got, err, ts)
			}
		}

		vis := &visibility{spans: []visibilitySpan{{value: "world_readable"}}}
		upTo := int64(len(stamps))
		for _, ts := range []int64{0, 999, 1000, 1500, 2000, 2500, 3000, 4500, 5000, 6000} {
			for _, dir := range []direction{forwards, backwards} {
				t.Run(fmt.Sprint(ts, dir), func(t *testing.T) {
					scan, err := s.closestByTimestamp(ctx, "!room:test", upTo, ts, dir, vis)
					if err != nil {
						t.Fatal(err)
					}
					idx, err := s.closestByIndex(ctx, "!room:test", upTo, ts, dir, vis)
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(scan) != fmt.Sprint(idx) {
						t.Errorf("index found %v, the scan %v", idx, scan)
					}
				})
			}
		}
	})
}

// eventAt is a message with the given origin_server_ts.
func eventAt(t testing.TB, key signing.SigningKey, depth, ts int64) *event.Event {
	t.Helper()
	rules, err := roomversion.Lookup("11")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.Build(rules, event.Template{
		Type: "m.room.message", Sender: "@alice:test", RoomID: "!room:test",
		Content: json.RawMessage(fmt.Sprintf(`{"body":"%d"}`, depth)), Depth: depth, OriginServerTS: ts,
		PrevEvents: []string{}, AuthEvents: []string{},
	}, "test", key)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
