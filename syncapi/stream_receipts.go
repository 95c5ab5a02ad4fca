package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
)

// Receipt types /sync delivers.
const (
	receiptRead        = "m.read"
	receiptReadPrivate = "m.read.private"
)

// receiptsSection puts m.receipt events in rooms.join[].ephemeral: on an
// incremental sync the receipts that changed in the range, for rooms the
// sync tells about for the first time every current receipt. Private
// receipts go to their owner only. A change of the user's own receipts
// also lists the room, whose unread counts changed with it.
func (s *SyncAPI) receiptsSection() section {
	return section{
		name:     streamReceipts,
		position: func(t *syncToken) *int64 { return &t.Receipts },
		add:      s.addReceipts,
	}
}

type receiptRow struct {
	roomID, userID, receiptType, threadID, eventID string
	ts                                             int64
}

func (s *SyncAPI) addReceipts(ctx context.Context, sc *syncContext, from, to int64) error {
	userID := sc.req.device.UserID
	byRoom := map[string][]receiptRow{}
	joined := make(map[string]bool, len(sc.joined))
	for _, r := range sc.joined {
		joined[r] = true
	}
	if !sc.full && from < to {
		rows, err := s.receiptRows(ctx, `SELECT room_id, user_id, receipt_type, thread_id, event_id, ts FROM syncapi_receipts
			WHERE stream_pos > $1 AND stream_pos <= $2 ORDER BY stream_pos`, from, to)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if joined[r.roomID] && !sc.newlyJoined[r.roomID] {
				byRoom[r.roomID] = append(byRoom[r.roomID], r)
			}
		}
	}
	for _, roomID := range sc.joined {
		if !sc.newlyJoined[roomID] {
			continue
		}
		rows, err := s.receiptRows(ctx, `SELECT room_id, user_id, receipt_type, thread_id, event_id, ts FROM syncapi_receipts
			WHERE room_id = $1 AND stream_pos <= $2`, roomID, to)
		if err != nil {
			return err
		}
		byRoom[roomID] = rows
	}
	ef := &sc.req.filter.Room.Ephemeral
	for roomID, rows := range byRoom {
		content := map[string]map[string]map[string]receiptEntry{}
		own := false
		for _, r := range rows {
			if r.userID == userID {
				own = true
			} else if r.receiptType == receiptReadPrivate {
				continue
			}
			byType := content[r.eventID]
			if byType == nil {
				byType = map[string]map[string]receiptEntry{}
				content[r.eventID] = byType
			}
			if byType[r.receiptType] == nil {
				byType[r.receiptType] = map[string]receiptEntry{}
			}
			byType[r.receiptType][r.userID] = receiptEntry{TS: r.ts, ThreadID: r.threadID}
		}
		if own {
			sc.joinedRoom(roomID)
		}
		if len(content) == 0 || !allows(ef.Types, ef.NotTypes, "m.receipt", true) || !allows(ef.Rooms, ef.NotRooms, roomID, false) {
			continue
		}
		ev, err := json.Marshal(receiptEvent{Type: "m.receipt", Content: content})
		if err != nil {
			return fmt.Errorf("encoding receipts of %s: %w", roomID, err)
		}
		jr := sc.joinedRoom(roomID)
		jr.Ephemeral.Events = append(jr.Ephemeral.Events, ev)
	}
	return nil
}

// receiptEvent is the m.receipt event: event ID -> receipt type -> user
// ID -> receipt.
// https://spec.matrix.org/latest/client-server-api/#mreceipt
type receiptEvent struct {
	Type    string                                        `json:"type"`
	Content map[string]map[string]map[string]receiptEntry `json:"content"`
}

type receiptEntry struct {
	TS       int64  `json:"ts"`
	ThreadID string `json:"thread_id,omitempty"`
}

func (s *SyncAPI) receiptRows(ctx context.Context, query string, args ...any) ([]receiptRow, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading receipts: %w", err)
	}
	defer rows.Close()
	var out []receiptRow
	for rows.Next() {
		var r receiptRow
		if err := rows.Scan(&r.roomID, &r.userID, &r.receiptType, &r.threadID, &r.eventID, &r.ts); err != nil {
			return nil, fmt.Errorf("reading receipts: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
