package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// streamReceipts names the receipt stream in syncapi_stream_positions.
const streamReceipts = "receipts"

// receiptsConsumerName is the durable consumer of the client API's
// receipts shared by every syncapi instance.
const receiptsConsumerName = "syncapi_receipts"

// receiptEventWait is how long a receipt waits for the event it
// acknowledges to reach this component: clients often send a receipt for
// their own message right after sending it, before the room event
// consumer stored it.
const receiptEventWait = 5 * time.Second

// handleReceipt stores a user's receipt under the next receipt stream
// position, unless the user already has a receipt of that type and
// thread for the same or a later event: as in Synapse, receipts only move
// forward, and a redelivered receipt changes nothing.
func (s *SyncAPI) handleReceipt(ctx context.Context, m bus.Message) error {
	var rc clientapi.Receipt
	if err := m.Decode(&rc); err != nil {
		return bus.Permanent(err)
	}
	if rc.Version != clientapi.ReceiptVersion {
		return fmt.Errorf("receipt has version %d, this syncapi reads %d", rc.Version, clientapi.ReceiptVersion)
	}
	eventPos, err := s.waitForEventPos(ctx, rc.RoomID, rc.EventID)
	if err != nil {
		return err
	}
	var pos int64
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		var have int64
		err := tx.QueryRow(ctx, `SELECT event_pos FROM syncapi_receipts
			WHERE room_id = $1 AND user_id = $2 AND receipt_type = $3 AND thread_id = $4`,
			rc.RoomID, rc.UserID, rc.Type, rc.ThreadID).Scan(&have)
		switch {
		case err == nil && have >= eventPos:
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("reading the current receipt: %w", err)
		}
		if pos, err = nextPosition(ctx, tx, streamReceipts); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO syncapi_receipts (room_id, user_id, receipt_type, thread_id, event_id, event_pos, ts, stream_pos)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (room_id, user_id, receipt_type, thread_id) DO UPDATE SET event_id = excluded.event_id,
				event_pos = excluded.event_pos, ts = excluded.ts, stream_pos = excluded.stream_pos`,
			rc.RoomID, rc.UserID, rc.Type, rc.ThreadID, rc.EventID, eventPos, rc.TS, pos)
		if err != nil {
			return fmt.Errorf("storing receipt: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("receipt of %s in %s: %w", rc.UserID, rc.RoomID, err)
	}
	if pos == 0 {
		return nil
	}
	wu := wakeUp{Stream: streamReceipts, Position: pos, RoomID: rc.RoomID}
	if rc.Type == receiptReadPrivate {
		// Only its owner sees a private receipt.
		wu = wakeUp{Stream: streamReceipts, Position: pos, UserIDs: []string{rc.UserID}}
	}
	s.wake(ctx, wu)
	return nil
}

// waitForEventPos is the room stream position of the acknowledged event,
// waiting up to receiptEventWait for the event to be stored. An event
// that never arrives (one the roomserver keeps outside the timeline) is
// taken to be at the current end of the room stream.
func (s *SyncAPI) waitForEventPos(ctx context.Context, roomID, eventID string) (int64, error) {
	deadline := time.Now().Add(receiptEventWait)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		var pos int64
		err := s.db.QueryRow(ctx, `SELECT stream_pos FROM syncapi_events WHERE event_id = $1 AND room_id = $2`,
			eventID, roomID).Scan(&pos)
		if err == nil {
			return pos, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("looking up event %s: %w", eventID, err)
		}
		if time.Now().After(deadline) {
			err := s.db.QueryRow(ctx, `SELECT position FROM syncapi_stream_positions WHERE stream = $1`, streamRoomEvents).Scan(&pos)
			if err != nil {
				return 0, fmt.Errorf("reading the room stream position: %w", err)
			}
			s.log.Warn("receipt for an event not in the timeline; placing it at the end of the room stream",
				"room_id", roomID, "event_id", eventID)
			return pos, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
	}
}
