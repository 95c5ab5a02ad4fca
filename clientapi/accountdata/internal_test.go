package accountdata

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/bus/bustest"
	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// startComponent builds the component on db and b and starts it.
func startComponent(t *testing.T, db *storage.DB, b *bus.Bus) *AccountData {
	t.Helper()
	ctx := t.Context()
	a := New(db, b, nil, storagetest.Logger(t))
	if err := db.Migrate(ctx, a.Name(), a.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := b.EnsureStreams(ctx, a.Streams()...); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	return a
}

func TestOtherComponentsSetServerManagedAccountDataAndReadIgnoredUsers(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		ctx := t.Context()
		b := bustest.Embedded(t)(t)
		a := startComponent(t, db, b)
		var ad api.AccountData = a

		updates := make(chan api.AccountDataUpdate, 8)
		sub, err := b.Consume(ctx, api.AccountDataStream, "test", func(_ context.Context, m bus.Message) error {
			var u api.AccountDataUpdate
			if err := m.Decode(&u); err != nil {
				return bus.Permanent(err)
			}
			updates <- u
			return nil
		}, bus.WithFilterSubjects(api.AccountDataSubject), bus.WithOrderedDelivery())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sub.Stop)

		// m.fully_read is refused to clients but set by the read markers.
		const room = "!r:test"
		if err := ad.SetRoomAccountData(ctx, "@alice:test", room, "m.fully_read", json.RawMessage(`{"event_id":"$e1"}`)); err != nil {
			t.Fatal(err)
		}
		if err := ad.SetRoomAccountData(ctx, "@alice:test", room, "m.fully_read", json.RawMessage(`{"event_id": "$e2"}`)); err != nil {
			t.Fatal(err)
		}
		if err := ad.SetAccountData(ctx, "@alice:test", "m.ignored_user_list", json.RawMessage(`{"ignored_users":{"@bob:test":{}}}`)); err != nil {
			t.Fatal(err)
		}
		if err := ad.SetAccountData(ctx, "@alice:test", "org.example", json.RawMessage(`[1]`)); err == nil {
			t.Error("content that is not an object was accepted")
		}

		want := []api.AccountDataUpdate{
			{Version: 1, UserID: "@alice:test", RoomID: room, Type: "m.fully_read", Content: json.RawMessage(`{"event_id":"$e1"}`), Revision: 1},
			{Version: 1, UserID: "@alice:test", RoomID: room, Type: "m.fully_read", Content: json.RawMessage(`{"event_id":"$e2"}`), Revision: 2},
			{Version: 1, UserID: "@alice:test", Type: "m.ignored_user_list", Content: json.RawMessage(`{"ignored_users":{"@bob:test":{}}}`), Revision: 1},
		}
		for i, w := range want {
			select {
			case u := <-updates:
				if u.UserID != w.UserID || u.RoomID != w.RoomID || u.Type != w.Type || string(u.Content) != string(w.Content) || u.Revision != w.Revision || u.Version != w.Version {
					t.Errorf("update %d = %+v (%s), want %+v (%s)", i, u, u.Content, w, w.Content)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("update %d was not published", i)
			}
		}

		ignored, err := ad.IgnoredUsers(ctx, "@alice:test")
		if err != nil || len(ignored) != 1 || !ignored["@bob:test"] {
			t.Errorf("IgnoredUsers = %v, %v", ignored, err)
		}
		if none, err := ad.IgnoredUsers(ctx, "@carol:test"); err != nil || len(none) != 0 {
			t.Errorf("IgnoredUsers of a user who ignores no one = %v, %v", none, err)
		}
	})
}
