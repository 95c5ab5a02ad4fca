package syncapi

import (
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// TestRedactedChildrenLeaveTheirRelations covers both orders of a
// redaction and its target: a child redacted after it is stored loses
// its relation, and one whose redaction came first never gets one. The
// thread whose replies are all redacted leaves the thread list.
func TestRedactedChildrenLeaveTheirRelations(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, b := startAlone(t, db)
		key := testKey(t)

		root := buildEvent(t, key, 1, "m.room.message", nil, `{"body":"root"}`)
		thread := `{"body":"r","m.relates_to":{"rel_type":"m.thread","event_id":"` + root.EventID() + `"}}`
		early := buildEvent(t, key, 2, "m.room.message", nil, thread)
		late := buildEvent(t, key, 3, "m.room.message", nil, thread)
		redactEarly := buildEvent(t, key, 4, "m.room.redaction", nil, `{"redacts":"`+early.EventID()+`"}`)
		redactLate := buildEvent(t, key, 5, "m.room.redaction", nil, `{"redacts":"`+late.EventID()+`"}`)
		outputs := []api.OutputEvent{
			{EventID: root.EventID(), Event: root.JSON()},
			{EventID: redactEarly.EventID(), Event: redactEarly.JSON(), RedactsEventID: early.EventID()},
			{EventID: early.EventID(), Event: early.JSON()},
			{EventID: late.EventID(), Event: late.JSON()},
		}
		publish := func(first int, oes ...api.OutputEvent) {
			for i, oe := range oes {
				oe.Version, oe.Sequence, oe.RoomID, oe.RoomVersion = api.OutputEventVersion, int64(first+i), "!room:test", "11"
				if err := b.Publish(ctx, api.OutputSubject, oe); err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		publish(1, outputs...)
		waitForPosition(t, s, 4)
		if n := count(`SELECT COUNT(*) FROM syncapi_relations WHERE parent_id = $1`, root.EventID()); n != 1 {
			t.Errorf("relations of the root = %d, want only the reply not redacted on arrival", n)
		}
		if n := count(`SELECT COUNT(*) FROM syncapi_threads WHERE root_id = $1`, root.EventID()); n != 1 {
			t.Errorf("thread rows = %d, want 1", n)
		}
		publish(5, api.OutputEvent{EventID: redactLate.EventID(), Event: redactLate.JSON(), RedactsEventID: late.EventID()})
		waitForPosition(t, s, 5)
		if n := count(`SELECT COUNT(*) FROM syncapi_relations WHERE parent_id = $1`, root.EventID()); n != 0 {
			t.Errorf("relations of the root after both redactions = %d, want 0", n)
		}
		if n := count(`SELECT COUNT(*) FROM syncapi_threads WHERE root_id = $1`, root.EventID()); n != 0 {
			t.Errorf("thread rows after its last reply was redacted = %d, want 0", n)
		}
	})
}

// TestBackfillRecordsRelationsOfOlderEvents has the backfill read events
// stored before syncapi_relations existed (simulated by emptying it).
func TestBackfillRecordsRelationsOfOlderEvents(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, b := startAlone(t, db)
		if _, err := s.backfill.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		key := testKey(t)
		root := buildEvent(t, key, 1, "m.room.message", nil, `{"body":"root"}`)
		reply := buildEvent(t, key, 2, "m.room.message", nil, `{"body":"r","m.relates_to":{"rel_type":"m.thread","event_id":"`+root.EventID()+`"}}`)
		edit := buildEvent(t, key, 3, "m.room.message", nil,
			`{"body":"*","m.new_content":{"body":"e"},"m.relates_to":{"rel_type":"m.replace","event_id":"`+root.EventID()+`"}}`)
		for i, ev := range []*event.Event{root, reply, edit} {
			oe := api.OutputEvent{Version: api.OutputEventVersion, Sequence: int64(i + 1), RoomID: "!room:test", RoomVersion: "11",
				EventID: ev.EventID(), Event: ev.JSON()}
			if err := b.Publish(ctx, api.OutputSubject, oe); err != nil {
				t.Fatal(err)
			}
		}
		waitForPosition(t, s, 3)
		for _, q := range []string{`DELETE FROM syncapi_relations`, `DELETE FROM syncapi_threads`,
			`INSERT INTO syncapi_relations_backfill (pending_upto) VALUES (3)`} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		s.backfillRelations(ctx)

		rows, err := db.Query(ctx, `SELECT event_id, rel_type FROM syncapi_relations WHERE parent_id = $1 ORDER BY stream_pos`, root.EventID())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var id, relType string
			if err := rows.Scan(&id, &relType); err != nil {
				t.Fatal(err)
			}
			got = append(got, relType+" "+id)
		}
		rows.Close()
		want := []string{"m.thread " + reply.EventID(), "m.replace " + edit.EventID()}
		if !slices.Equal(got, want) {
			t.Errorf("backfilled relations = %v, want %v", got, want)
		}
		var latest, pending int64
		if err := db.QueryRow(ctx, `SELECT latest_pos FROM syncapi_threads WHERE root_id = $1`, root.EventID()).Scan(&latest); err != nil || latest != 2 {
			t.Errorf("thread latest position = %d (%v), want 2", latest, err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM syncapi_relations_backfill`).Scan(&pending); err != nil || pending != 0 {
			t.Errorf("backfill rows left = %d (%v), want none", pending, err)
		}
	})
}

// waitForPosition waits until the consumer has stored the event at pos.
func waitForPosition(t *testing.T, s *SyncAPI, pos int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cur, err := s.currentPosition(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if cur >= pos {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream position %d, want %d", cur, pos)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testKey(t *testing.T) signing.SigningKey {
	t.Helper()
	id, _ := signing.NewKeyID("ed25519", "test")
	key, err := signing.GenerateSigningKey(rand.Reader, id)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
