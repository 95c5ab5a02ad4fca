package syncapi

import (
	"slices"
	"testing"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

func searchedPositions(t *testing.T, db *storage.DB) []int64 {
	t.Helper()
	rows, err := db.Query(t.Context(), `SELECT stream_pos FROM syncapi_search ORDER BY stream_pos`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestSearchIndexFollowsEventsAndRedactions checks which events get a
// searchable row: messages, names and topics with text, not an event
// whose redaction arrived first, and not one redacted later.
func TestSearchIndexFollowsEventsAndRedactions(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, b := startAlone(t, db)
		key := testKey(t)
		empty := ""
		msg := buildEvent(t, key, 1, "m.room.message", nil, `{"msgtype":"m.text","body":"hello"}`)
		name := buildEvent(t, key, 2, "m.room.name", &empty, `{"name":"Room"}`)
		noBody := buildEvent(t, key, 3, "m.room.message", nil, `{"msgtype":"m.text"}`)
		early := buildEvent(t, key, 4, "m.room.message", nil, `{"body":"redacted before it came"}`)
		redactEarly := buildEvent(t, key, 5, "m.room.redaction", nil, `{"redacts":"`+early.EventID()+`"}`)
		redactMsg := buildEvent(t, key, 6, "m.room.redaction", nil, `{"redacts":"`+msg.EventID()+`"}`)
		outputs := []api.OutputEvent{
			{EventID: msg.EventID(), Event: msg.JSON()},
			{EventID: name.EventID(), Event: name.JSON(), AddsState: []string{name.EventID()}},
			{EventID: noBody.EventID(), Event: noBody.JSON()},
			{EventID: redactEarly.EventID(), Event: redactEarly.JSON(), RedactsEventID: early.EventID()},
			{EventID: early.EventID(), Event: early.JSON()},
		}
		for i, oe := range outputs {
			oe.Version, oe.Sequence, oe.RoomID, oe.RoomVersion = api.OutputEventVersion, int64(i+1), "!room:test", "11"
			if err := b.Publish(ctx, api.OutputSubject, oe); err != nil {
				t.Fatal(err)
			}
		}
		waitForPosition(t, s, 5)
		if got := searchedPositions(t, db); !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("indexed positions = %v, want the message and the name [1 2]", got)
		}
		oe := api.OutputEvent{Version: api.OutputEventVersion, Sequence: 6, RoomID: "!room:test", RoomVersion: "11",
			EventID: redactMsg.EventID(), Event: redactMsg.JSON(), RedactsEventID: msg.EventID()}
		if err := b.Publish(ctx, api.OutputSubject, oe); err != nil {
			t.Fatal(err)
		}
		waitForPosition(t, s, 6)
		if got := searchedPositions(t, db); !slices.Equal(got, []int64{2}) {
			t.Errorf("indexed positions after the redaction = %v, want [2]", got)
		}
	})
}

// TestBackfillIndexesOlderEventsForSearch has the backfill read events
// stored before syncapi_search existed (simulated by emptying it).
func TestBackfillIndexesOlderEventsForSearch(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, b := startAlone(t, db)
		if _, err := s.backfill.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		key := testKey(t)
		empty := ""
		for i, ev := range []*event.Event{
			buildEvent(t, key, 1, "m.room.message", nil, `{"body":"older words"}`),
			buildEvent(t, key, 2, "m.room.topic", &empty, `{"topic":"a topic"}`),
			buildEvent(t, key, 3, "m.reaction", nil, `{"body":"not searchable"}`),
		} {
			oe := api.OutputEvent{Version: api.OutputEventVersion, Sequence: int64(i + 1), RoomID: "!room:test", RoomVersion: "11",
				EventID: ev.EventID(), Event: ev.JSON()}
			if err := b.Publish(ctx, api.OutputSubject, oe); err != nil {
				t.Fatal(err)
			}
		}
		waitForPosition(t, s, 3)
		for _, q := range []string{`DELETE FROM syncapi_search`, `INSERT INTO syncapi_search_backfill (pending_upto) VALUES (3)`} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		s.runBackfill(ctx, searchBackfill)
		if got := searchedPositions(t, db); !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("backfilled positions = %v, want [1 2]", got)
		}
		var pending int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM syncapi_search_backfill`).Scan(&pending); err != nil || pending != 0 {
			t.Errorf("backfill rows left = %d (%v), want none", pending, err)
		}
		// A batch read twice changes nothing.
		if _, err := db.Exec(ctx, `INSERT INTO syncapi_search_backfill (pending_upto) VALUES (3)`); err != nil {
			t.Fatal(err)
		}
		s.runBackfill(ctx, searchBackfill)
		if got := searchedPositions(t, db); !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("positions after a second backfill = %v, want [1 2]", got)
		}
	})
}
