package syncapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
	capi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// startAlone runs the sync API on db with an embedded bus, without the
// components that publish to it: tests publish their messages directly.
func startAlone(t *testing.T, db *storage.DB) (*SyncAPI, *bus.Bus) {
	t.Helper()
	ctx := t.Context()
	b := bustest.Embedded(t)(t)
	if err := db.Migrate(ctx, "syncapi", migrations); err != nil {
		t.Fatal(err)
	}
	// Every stream the component consumes must exist before it starts.
	var streams []bus.StreamSpec
	for _, specs := range [][]bus.StreamSpec{api.Streams(), wakeUpStreams(), capi.AccountDataStreams(),
		capi.KeyStreams(), capi.ReceiptsStreams(), capi.PushRulesStreams(), capi.TypingStreams(), capi.PresenceStreams(), capi.ErasureStreams()} {
		streams = append(streams, specs...)
	}
	if err := b.EnsureStreams(ctx, streams...); err != nil {
		t.Fatal(err)
	}
	s := New(db, b, config.Defaults(), nil, nil, nil, storagetest.Logger(t))
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s, b
}

func TestAccountDataConsumerKeepsTheNewestRevisionOnce(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		s, b := startAlone(t, db)

		update := func(evType string, rev int64, content string) capi.AccountDataUpdate {
			return capi.AccountDataUpdate{Version: capi.AccountDataUpdateVersion, UserID: "@alice:test", Type: evType,
				Content: json.RawMessage(content), Revision: rev}
		}
		// Revision 2 overtook revision 1, and is then delivered again: only
		// its first delivery takes a position.
		for _, u := range []capi.AccountDataUpdate{
			update("org.example", 2, `{"v":2}`),
			update("org.example", 1, `{"v":1}`),
			update("org.example", 2, `{"v":2}`),
			update("org.example.marker", 1, `{}`),
		} {
			if err := b.Publish(ctx, capi.AccountDataSubject, u); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			tok, err := s.currentPositions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccountData == 2 {
				break
			}
			if tok.AccountData > 2 || time.Now().After(deadline) {
				t.Fatalf("account data position is %d, want 2: one per change", tok.AccountData)
			}
			time.Sleep(10 * time.Millisecond)
		}
		var content string
		var pos int64
		if err := db.QueryRow(ctx, `SELECT content, stream_pos FROM syncapi_account_data WHERE user_id = '@alice:test' AND type = 'org.example'`).
			Scan(&content, &pos); err != nil {
			t.Fatal(err)
		}
		if content != `{"v":2}` || pos != 1 {
			t.Errorf("stored %s at %d, want revision 2's content at position 1", content, pos)
		}
	})
}
