package syncapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	syncout "github.com/ocomms/ocomms/syncapi/api"
)

// PushEvent describes a stored event for a push to userID
// (syncout.PushDetails): the event's fields, the names of its sender and
// room from the room's current state, and the user's unread count.
func (s *SyncAPI) PushEvent(ctx context.Context, userID, eventID string) (syncout.PushEvent, bool, error) {
	ev, err := s.eventByID(ctx, eventID)
	if err != nil || ev == nil {
		return syncout.PushEvent{}, false, err
	}
	var p pduFields
	if err := json.Unmarshal(ev.pdu, &p); err != nil {
		return syncout.PushEvent{}, false, fmt.Errorf("decoding %s: %w", eventID, err)
	}
	out := syncout.PushEvent{Type: p.Type, Sender: p.Sender, StateKey: p.StateKey, Content: p.Content}
	for _, f := range []struct {
		evType, stateKey, field string
		dst                     *string
	}{
		{"m.room.member", p.Sender, "displayname", &out.SenderDisplayName},
		{"m.room.name", "", "name", &out.RoomName},
		{"m.room.canonical_alias", "", "alias", &out.RoomAlias},
	} {
		if *f.dst, err = s.currentStateString(ctx, ev.roomID, f.evType, f.stateKey, f.field); err != nil {
			return syncout.PushEvent{}, false, err
		}
	}
	if out.Unread, err = s.totalUnread(ctx, userID); err != nil {
		return syncout.PushEvent{}, false, err
	}
	return out, true, nil
}

// currentStateString is a string field of the content of a current state
// event, or "" when the room has no such event or field.
func (s *SyncAPI) currentStateString(ctx context.Context, roomID, evType, stateKey, field string) (string, error) {
	var js string
	err := s.db.QueryRow(ctx, `SELECT e.event_json FROM syncapi_room_state rs JOIN syncapi_events e ON e.event_id = rs.event_id
		WHERE rs.room_id = $1 AND rs.type = $2 AND rs.state_key = $3 AND rs.removed_pos IS NULL`, roomID, evType, stateKey).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading %s of %s: %w", evType, roomID, err)
	}
	var ev struct {
		Content map[string]any `json:"content"`
	}
	_ = json.Unmarshal([]byte(js), &ev)
	v, _ := ev.Content[field].(string)
	return v, nil
}

// totalUnread counts the user's unread notifications in every room they
// are joined to, as /sync's unread_notifications would sum them up.
func (s *SyncAPI) totalUnread(ctx context.Context, userID string) (int, error) {
	now, err := s.currentPositions(ctx)
	if err != nil {
		return 0, err
	}
	// Only rooms with a notification after the user's unthreaded receipt
	// can have unread ones; the rest is skipped without counting.
	rows, err := s.db.Query(ctx, `SELECT n.room_id FROM syncapi_notifications n
		WHERE n.user_id = $1 AND n.stream_pos <= $2
		AND n.stream_pos > COALESCE((SELECT MAX(r.event_pos) FROM syncapi_receipts r
			WHERE r.room_id = n.room_id AND r.user_id = n.user_id AND r.thread_id = ''), 0)
		AND EXISTS (SELECT 1 FROM syncapi_room_state rs WHERE rs.room_id = n.room_id AND rs.type = 'm.room.member'
			AND rs.state_key = n.user_id AND rs.membership = 'join' AND rs.removed_pos IS NULL)
		GROUP BY n.room_id`, userID, now.Rooms)
	if err != nil {
		return 0, fmt.Errorf("listing rooms with notifications: %w", err)
	}
	var rooms []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return 0, fmt.Errorf("listing rooms with notifications: %w", err)
		}
		rooms = append(rooms, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("listing rooms with notifications: %w", err)
	}
	total := 0
	for _, r := range rooms {
		byThread, err := s.unreadByThread(ctx, userID, r, now)
		if err != nil {
			return 0, err
		}
		for _, c := range byThread {
			total += c.NotificationCount
		}
	}
	return total, nil
}
