package syncapi

import (
	"testing"
	"time"

	"github.com/ocomms/ocomms/roomserver/api"
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
		s, b := startConsumer(t, db)
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
		waitFor := func(pos int64) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				cur, err := s.currentPosition(ctx)
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
		count := func(query string, args ...any) int {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, query, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		publish(1, outputs...)
		waitFor(4)
		if n := count(`SELECT COUNT(*) FROM syncapi_relations WHERE parent_id = $1`, root.EventID()); n != 1 {
			t.Errorf("relations of the root = %d, want only the reply not redacted on arrival", n)
		}
		if n := count(`SELECT COUNT(*) FROM syncapi_threads WHERE root_id = $1`, root.EventID()); n != 1 {
			t.Errorf("thread rows = %d, want 1", n)
		}
		publish(5, api.OutputEvent{EventID: redactLate.EventID(), Event: redactLate.JSON(), RedactsEventID: late.EventID()})
		waitFor(5)
		if n := count(`SELECT COUNT(*) FROM syncapi_relations WHERE parent_id = $1`, root.EventID()); n != 0 {
			t.Errorf("relations of the root after both redactions = %d, want 0", n)
		}
		if n := count(`SELECT COUNT(*) FROM syncapi_threads WHERE root_id = $1`, root.EventID()); n != 0 {
			t.Errorf("thread rows after its last reply was redacted = %d, want 0", n)
		}
	})
}
