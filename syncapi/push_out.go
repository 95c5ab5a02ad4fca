package syncapi

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/storage"
	syncout "github.com/ocomms/ocomms/syncapi/api"
)

// pushOutboxTable holds the pushes recorded with their notifications and
// not yet published on syncout.PushSubject.
const pushOutboxTable = "syncapi_push_outbox"

// enqueuePushes writes one push per notification into the outbox, in the
// transaction that records the notifications: a push is sent if and only
// if the notification exists, whatever crashes in between.
func (s *SyncAPI) enqueuePushes(ctx context.Context, tx *storage.Tx, ev *event.Event, notifs []notification) error {
	for _, n := range notifs {
		actions, err := json.Marshal(n.actions)
		if err != nil {
			return fmt.Errorf("encoding push actions: %w", err)
		}
		if err := s.pushOut.Enqueue(ctx, tx, syncout.Push{
			Version: syncout.PushVersion, UserID: n.userID, RoomID: ev.RoomID(), EventID: ev.EventID(),
			Actions: actions, Highlight: n.highlight,
		}); err != nil {
			return err
		}
	}
	return nil
}
