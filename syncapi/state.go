package syncapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// stateRow is one state event's time in a room's state: it is part of the
// state at position p when added <= p and (removed is 0 or removed > p).
type stateRow struct {
	roomID     string
	eventID    string
	evType     string
	stateKey   string
	membership string
	added      int64
	removed    int64 // 0 while current
}

func (r stateRow) activeAt(p int64) bool {
	return r.added <= p && (r.removed == 0 || r.removed > p)
}

const stateColumns = `room_id, event_id, type, state_key, COALESCE(membership, ''), added_pos, COALESCE(removed_pos, 0) FROM syncapi_room_state`

func scanState(rows *sql.Rows) ([]stateRow, error) {
	defer rows.Close()
	var out []stateRow
	for rows.Next() {
		var r stateRow
		if err := rows.Scan(&r.roomID, &r.eventID, &r.evType, &r.stateKey, &r.membership, &r.added, &r.removed); err != nil {
			return nil, fmt.Errorf("scanning room state: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading room state: %w", err)
	}
	return out, nil
}

// stateAt returns the room's state at stream position pos, optionally only
// events of one type.
func (s *SyncAPI) stateAt(ctx context.Context, roomID string, pos int64, evType string) ([]stateRow, error) {
	q := `SELECT ` + stateColumns + ` WHERE room_id = $1 AND added_pos <= $2 AND (removed_pos IS NULL OR removed_pos > $2)`
	args := []any{roomID, pos}
	if evType != "" {
		q += ` AND type = $3`
		args = append(args, evType)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY added_pos`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the state of %s at %d: %w", roomID, pos, err)
	}
	return scanState(rows)
}

// stateChanges returns the state events that a client holding the state at
// position from lacks, when its timeline starts after position start and
// ends at upTo: those in the state at upTo or at start but not at from.
// (Events in the timeline are removed by the caller.) This is the state
// section of a sync, as the spec describes it for limited timelines, and it
// also carries state that a timeline filter hid.
func (s *SyncAPI) stateChanges(ctx context.Context, roomID string, from, start, upTo int64) ([]stateRow, error) {
	rows, err := s.db.Query(ctx, `SELECT `+stateColumns+` WHERE room_id = $1 AND added_pos > $2 AND added_pos <= $3
		AND ((removed_pos IS NULL OR removed_pos > $3) OR (added_pos <= $4 AND (removed_pos IS NULL OR removed_pos > $4)))
		ORDER BY added_pos`, roomID, from, upTo, start)
	if err != nil {
		return nil, fmt.Errorf("reading state changes of %s: %w", roomID, err)
	}
	return scanState(rows)
}

// membershipHistory returns every membership event of the user up to
// position upTo, in every room (or one room when roomID is set).
func (s *SyncAPI) membershipHistory(ctx context.Context, userID, roomID string, upTo int64) ([]stateRow, error) {
	q := `SELECT ` + stateColumns + ` WHERE state_key = $1 AND type = 'm.room.member' AND added_pos <= $2`
	args := []any{userID, upTo}
	if roomID != "" {
		q += ` AND room_id = $3`
		args = append(args, roomID)
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY added_pos`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading memberships of %s: %w", userID, err)
	}
	return scanState(rows)
}

// membersWith returns the m.room.member state of the given users at pos.
func (s *SyncAPI) membersWith(ctx context.Context, roomID string, pos int64, userIDs []string) ([]stateRow, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	args := []any{roomID, pos}
	marks := make([]string, len(userIDs))
	for i, u := range userIDs {
		args = append(args, u)
		marks[i] = fmt.Sprintf("$%d", i+3)
	}
	rows, err := s.db.Query(ctx, `SELECT `+stateColumns+` WHERE room_id = $1 AND type = 'm.room.member'
		AND state_key IN (`+strings.Join(marks, ", ")+`) AND added_pos <= $2 AND (removed_pos IS NULL OR removed_pos > $2)`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading members of %s: %w", roomID, err)
	}
	return scanState(rows)
}

// roomSummary is the summary of a joined room in /sync.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3sync (RoomSummary)
type roomSummary struct {
	Heroes       []string `json:"m.heroes"`
	JoinedCount  int      `json:"m.joined_member_count"`
	InvitedCount int      `json:"m.invited_member_count"`
}

// summaryAt computes the summary at pos: the first five other members by
// stream order among the joined and invited ones (or, in a room everyone
// else left, among the former members), and the member counts.
func (s *SyncAPI) summaryAt(ctx context.Context, roomID, userID string, pos int64) (*roomSummary, error) {
	members, err := s.stateAt(ctx, roomID, pos, "m.room.member")
	if err != nil {
		return nil, err
	}
	sum := &roomSummary{Heroes: []string{}}
	var former []string
	for _, m := range members {
		switch m.membership {
		case "join":
			sum.JoinedCount++
		case "invite":
			sum.InvitedCount++
		}
		if m.stateKey == userID {
			continue
		}
		switch m.membership {
		case "join", "invite":
			if len(sum.Heroes) < 5 {
				sum.Heroes = append(sum.Heroes, m.stateKey)
			}
		case "leave", "ban":
			former = append(former, m.stateKey)
		}
	}
	if len(sum.Heroes) == 0 && len(former) > 0 {
		sum.Heroes = former[:min(5, len(former))]
	}
	return sum, nil
}

// visibilityHistory returns the m.room.history_visibility values the room
// had, each with the positions it held.
func (s *SyncAPI) visibilityHistory(ctx context.Context, roomID string) ([]visibilitySpan, error) {
	rows, err := s.db.Query(ctx, `SELECT s.added_pos, COALESCE(s.removed_pos, 0), e.event_json
		FROM syncapi_room_state s JOIN syncapi_events e ON e.event_id = s.event_id
		WHERE s.room_id = $1 AND s.type = 'm.room.history_visibility' AND s.state_key = ''
		ORDER BY s.added_pos`, roomID)
	if err != nil {
		return nil, fmt.Errorf("reading history visibility of %s: %w", roomID, err)
	}
	defer rows.Close()
	var out []visibilitySpan
	for rows.Next() {
		var v visibilitySpan
		var js string
		if err := rows.Scan(&v.added, &v.removed, &js); err != nil {
			return nil, fmt.Errorf("scanning history visibility: %w", err)
		}
		var pdu struct {
			Content struct {
				HistoryVisibility string `json:"history_visibility"`
			} `json:"content"`
		}
		_ = json.Unmarshal([]byte(js), &pdu)
		v.value = pdu.Content.HistoryVisibility
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading history visibility: %w", err)
	}
	return out, nil
}

// stateEvents loads the events of state rows, in the rows' order.
func (s *SyncAPI) stateEvents(ctx context.Context, rows []stateRow) ([]*eventRow, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.eventID
	}
	var out []*eventRow
	for len(ids) > 0 {
		// Bounded IN lists keep SQLite under its variable limit.
		n := min(len(ids), 500)
		evs, err := s.eventsByID(ctx, ids[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
		ids = ids[n:]
	}
	return out, nil
}
