package rooms

import (
	"context"
	"fmt"
)

// Forgotten is what /sync needs to hide the rooms a user forgot: a room
// stays forgotten until the user's membership changes again (a new invite
// or join brings it back), so the forget is tied to the membership event
// it was made on.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidforget
type Forgotten interface {
	// IsForgotten reports whether the user forgot the room at their
	// current membership.
	IsForgotten(ctx context.Context, userID, roomID string) (bool, error)
	// ForgottenRooms lists the rooms the user forgot at their current
	// membership.
	ForgottenRooms(ctx context.Context, userID string) ([]string, error)
}

var _ Forgotten = (*Rooms)(nil)

func (r *Rooms) storeForgotten(ctx context.Context, userID, roomID, membershipEventID string) error {
	_, err := r.db.Exec(ctx, `INSERT INTO forgotten_rooms (user_id, room_id, event_id, forgotten_ts) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, room_id) DO UPDATE SET event_id = excluded.event_id, forgotten_ts = excluded.forgotten_ts`,
		userID, roomID, membershipEventID, nowMS())
	if err != nil {
		return fmt.Errorf("storing forgotten room %s of %s: %w", roomID, userID, err)
	}
	return nil
}

// IsForgotten implements Forgotten.
func (r *Rooms) IsForgotten(ctx context.Context, userID, roomID string) (bool, error) {
	rooms, err := r.forgottenAt(ctx, userID, roomID)
	if err != nil {
		return false, err
	}
	return len(rooms) == 1, nil
}

// ForgottenRooms implements Forgotten.
func (r *Rooms) ForgottenRooms(ctx context.Context, userID string) ([]string, error) {
	return r.forgottenAt(ctx, userID, "")
}

// forgottenAt lists the user's forgotten rooms (or checks one) whose
// membership has not changed since.
func (r *Rooms) forgottenAt(ctx context.Context, userID, onlyRoom string) ([]string, error) {
	rows, err := r.db.Query(ctx, `SELECT room_id, event_id FROM forgotten_rooms
		WHERE user_id = $1 AND ($2 = '' OR room_id = $2) ORDER BY room_id`, userID, onlyRoom)
	if err != nil {
		return nil, fmt.Errorf("reading forgotten rooms of %s: %w", userID, err)
	}
	type row struct{ roomID, eventID string }
	var candidates []row
	for rows.Next() {
		var rw row
		if err := rows.Scan(&rw.roomID, &rw.eventID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading forgotten rooms of %s: %w", userID, err)
		}
		candidates = append(candidates, rw)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, fmt.Errorf("reading forgotten rooms of %s: %w", userID, err)
	}
	rows.Close()
	var rooms []string
	for _, c := range candidates {
		m, err := r.membership(ctx, c.roomID, userID)
		if err != nil {
			return nil, err
		}
		if m.EventID == c.eventID {
			rooms = append(rooms, c.roomID)
		}
	}
	return rooms, nil
}
