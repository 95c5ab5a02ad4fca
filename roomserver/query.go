package roomserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

// RoomInfo returns the room's ID and version, or api.ErrRoomNotFound.
func (r *Roomserver) RoomInfo(ctx context.Context, roomID string) (api.RoomInfo, error) {
	var version string
	err := r.db.QueryRow(ctx, `SELECT room_version FROM roomserver_rooms WHERE room_id = $1`, roomID).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return api.RoomInfo{}, fmt.Errorf("%w: %s", api.ErrRoomNotFound, roomID)
	}
	if err != nil {
		return api.RoomInfo{}, fmt.Errorf("room info %s: %w", roomID, err)
	}
	return api.RoomInfo{RoomID: roomID, Version: roomversion.ID(version)}, nil
}

// CurrentState returns the room's current state events for the keys, or
// all of them; api.ErrRoomNotFound for an unknown room.
func (r *Roomserver) CurrentState(ctx context.Context, roomID string, keys ...auth.StateKey) ([]*event.Event, error) {
	var (
		nid     int64
		version string
	)
	err := r.db.QueryRow(ctx, `SELECT room_nid, room_version FROM roomserver_rooms WHERE room_id = $1`, roomID).
		Scan(&nid, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", api.ErrRoomNotFound, roomID)
	}
	if err != nil {
		return nil, fmt.Errorf("current state of %s: %w", roomID, err)
	}
	query := selectEvents + ` JOIN roomserver_current_state cs ON cs.event_nid = e.event_nid WHERE cs.room_nid = $1`
	args := []any{nid}
	if len(keys) > 0 {
		cond, keyArgs := keyCondition("cs", 2, keys)
		query += " AND (" + cond + ")"
		args = append(args, keyArgs...)
	}
	query += " ORDER BY cs.event_nid"
	return r.queryEvents(ctx, r.db, query, args...)
}

// eventsPerQuery bounds the IDs of one query, below the parameter limits
// of both databases.
const eventsPerQuery = 500

// Events returns the stored events in the order asked, redacted where a
// redaction applied; unknown IDs are left out.
func (r *Roomserver) Events(ctx context.Context, eventIDs ...string) ([]*event.Event, error) {
	byID := make(map[string]*event.Event, len(eventIDs))
	for chunk := range slices.Chunk(eventIDs, eventsPerQuery) {
		placeholders := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			placeholders[i] = "$" + strconv.Itoa(i+1)
			args[i] = id
		}
		evs, err := r.queryEvents(ctx, r.db, selectEvents+` WHERE e.event_id IN (`+strings.Join(placeholders, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			byID[ev.EventID()] = ev
		}
	}
	ordered := make([]*event.Event, 0, len(byID))
	for _, id := range eventIDs {
		if ev, ok := byID[id]; ok {
			ordered = append(ordered, ev)
			delete(byID, id)
		}
	}
	return ordered, nil
}

// Membership returns the user's current membership in the room and the
// event that set it; api.ErrRoomNotFound for an unknown room.
func (r *Roomserver) Membership(ctx context.Context, roomID, userID string) (api.Membership, error) {
	var (
		nid            int64
		membership, id sql.NullString
	)
	err := r.db.QueryRow(ctx, `SELECT r.room_nid, cs.membership, e.event_id FROM roomserver_rooms r
		LEFT JOIN roomserver_current_state cs ON cs.room_nid = r.room_nid AND cs.type = 'm.room.member' AND cs.state_key = $2
		LEFT JOIN roomserver_events e ON e.event_nid = cs.event_nid
		WHERE r.room_id = $1`, roomID, userID).Scan(&nid, &membership, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return api.Membership{}, fmt.Errorf("%w: %s", api.ErrRoomNotFound, roomID)
	}
	if err != nil {
		return api.Membership{}, fmt.Errorf("membership of %s in %s: %w", userID, roomID, err)
	}
	return api.Membership{Membership: membership.String, EventID: id.String}, nil
}

// RoomsOfUser returns the rooms where the user's current membership is the
// given one, in the order the memberships were set.
func (r *Roomserver) RoomsOfUser(ctx context.Context, userID, membership string) ([]string, error) {
	rows, err := r.db.Query(ctx, `SELECT r.room_id FROM roomserver_current_state cs
		JOIN roomserver_rooms r ON r.room_nid = cs.room_nid
		WHERE cs.state_key = $1 AND cs.membership = $2 AND cs.type = 'm.room.member'
		ORDER BY cs.event_nid`, userID, membership)
	if err != nil {
		return nil, fmt.Errorf("rooms of %s: %w", userID, err)
	}
	defer rows.Close()
	var rooms []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("rooms of %s: %w", userID, err)
		}
		rooms = append(rooms, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rooms of %s: %w", userID, err)
	}
	return rooms, nil
}

// selectEvents starts the queries of queryEvents: events (e) with the
// versions of their rooms (r).
const selectEvents = `SELECT e.event_id, e.pdu, e.redacted_by, rd.pdu, r.room_version
	FROM roomserver_events e JOIN roomserver_rooms r ON r.room_nid = e.room_nid
	LEFT JOIN roomserver_events rd ON rd.event_id = e.redacted_by`

// queryEvents runs a query starting with selectEvents and parses the
// events, redacted where a redaction applied.
func (r *Roomserver) queryEvents(ctx context.Context, q storage.Querier, query string, args ...any) ([]*event.Event, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var evs []*event.Event
	for rows.Next() {
		var (
			id, js, version       string
			redactedBy, redaction sql.NullString
		)
		if err := rows.Scan(&id, &js, &redactedBy, &redaction, &version); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		rules, err := roomversion.Lookup(roomversion.ID(version))
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", id, err)
		}
		ev, err := parseStored(rules, id, []byte(js), redactedBy.Valid)
		if err != nil {
			return nil, err
		}
		if ev, err = withRedactedBecause(ev, redactedBy.String, redaction.String); err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return evs, nil
}

// keyCondition is an SQL condition matching any of the state keys on the
// table alias, with placeholders numbered from first.
func keyCondition(alias string, first int, keys []auth.StateKey) (string, []any) {
	conds := make([]string, len(keys))
	args := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		n := first + 2*i
		conds[i] = fmt.Sprintf("(%s.type = $%d AND %s.state_key = $%d)", alias, n, alias, n+1)
		args = append(args, k.Type, k.StateKey)
	}
	return strings.Join(conds, " OR "), args
}
