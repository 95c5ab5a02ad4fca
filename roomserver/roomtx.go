package roomserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

// storedEvent is an event as the roomserver holds it: its NID and its
// parsed form, redacted when a redaction applies.
type storedEvent struct {
	nid int64
	ev  *event.Event
}

// roomTx is a room locked by the current Submit transaction: its row as
// read under the lock, and what the transaction read or wrote of its state.
type roomTx struct {
	nid         int64
	id          string
	rules       roomversion.Rules
	snapshot    int64
	chainLength int // of snapshot; -1 until read
	extremities []string
	depth       int64
	dirty       bool

	// stateComplete is true for a room created in this transaction, whose
	// whole state is in state.
	stateComplete bool
	// state caches current state read or written in the transaction; a nil
	// entry records that the room has no such state.
	state map[auth.StateKey]*storedEvent
	// events caches events by ID, for the reference hashes of room
	// versions 1 and 2.
	events map[string]*event.Event
}

func newRoomTx(nid int64, roomID string, rules roomversion.Rules) *roomTx {
	return &roomTx{
		nid: nid, id: roomID, rules: rules, chainLength: -1,
		state:  map[auth.StateKey]*storedEvent{},
		events: map[string]*event.Event{},
	}
}

// lockRoom locks the room's row until the transaction ends and reads it.
// The no-op UPDATE is the portable row lock: PostgreSQL holds it until
// commit, so writers to one room queue while other rooms proceed, and on
// SQLite the transaction already holds the only write lock.
func lockRoom(ctx context.Context, tx *storage.Tx, roomID string) (*roomTx, error) {
	var (
		nid, snapshot, depth int64
		version, extrems     string
	)
	err := tx.QueryRow(ctx, `UPDATE roomserver_rooms SET depth = depth WHERE room_id = $1
		RETURNING room_nid, room_version, state_snapshot_nid, forward_extremities, depth`, roomID).
		Scan(&nid, &version, &snapshot, &extrems, &depth)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", api.ErrRoomNotFound, roomID)
	}
	if err != nil {
		return nil, fmt.Errorf("lock room %s: %w", roomID, err)
	}
	rules, err := roomversion.Lookup(roomversion.ID(version))
	if err != nil {
		return nil, fmt.Errorf("room %s: %w", roomID, err)
	}
	room := newRoomTx(nid, roomID, rules)
	room.snapshot, room.depth = snapshot, depth
	if err := json.Unmarshal([]byte(extrems), &room.extremities); err != nil {
		return nil, fmt.Errorf("room %s forward extremities: %w", roomID, err)
	}
	return room, nil
}

// save writes the room row back when the transaction changed it.
func (room *roomTx) save(ctx context.Context, tx *storage.Tx) error {
	if !room.dirty {
		return nil
	}
	extrems, err := json.Marshal(room.extremities)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE roomserver_rooms SET state_snapshot_nid = $2, forward_extremities = $3, depth = $4
		WHERE room_nid = $1`, room.nid, room.snapshot, string(extrems), room.depth)
	if err != nil {
		return fmt.Errorf("update room %s: %w", room.id, err)
	}
	room.dirty = false
	return nil
}

// stateEvent returns the room's current state event for key, or nil.
func (room *roomTx) stateEvent(ctx context.Context, q storage.Querier, key auth.StateKey) (*storedEvent, error) {
	if se, ok := room.state[key]; ok || room.stateComplete {
		return se, nil
	}
	var (
		se         storedEvent
		id, js     string
		redactedBy sql.NullString
	)
	err := q.QueryRow(ctx, `SELECT e.event_nid, e.event_id, e.pdu, e.redacted_by
		FROM roomserver_current_state cs JOIN roomserver_events e ON e.event_nid = cs.event_nid
		WHERE cs.room_nid = $1 AND cs.type = $2 AND cs.state_key = $3`,
		room.nid, key.Type, key.StateKey).Scan(&se.nid, &id, &js, &redactedBy)
	if errors.Is(err, sql.ErrNoRows) {
		room.state[key] = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state %s/%q of %s: %w", key.Type, key.StateKey, room.id, err)
	}
	if se.ev, err = parseStored(room.rules, id, []byte(js), redactedBy.Valid); err != nil {
		return nil, err
	}
	room.state[key] = &se
	room.events[id] = se.ev
	return &se, nil
}

// event returns an event of the room by ID, for the reference hashes of
// room versions 1 and 2.
func (room *roomTx) event(ctx context.Context, q storage.Querier, eventID string) (*event.Event, error) {
	if ev, ok := room.events[eventID]; ok {
		return ev, nil
	}
	var (
		js         string
		redactedBy sql.NullString
	)
	err := q.QueryRow(ctx, `SELECT pdu, redacted_by FROM roomserver_events WHERE event_id = $1 AND room_nid = $2`,
		eventID, room.nid).Scan(&js, &redactedBy)
	if err != nil {
		return nil, fmt.Errorf("read event %s: %w", eventID, err)
	}
	ev, err := parseStored(room.rules, eventID, []byte(js), redactedBy.Valid)
	if err != nil {
		return nil, err
	}
	room.events[eventID] = ev
	return ev, nil
}

// forget drops a redacted event from the caches, so the transaction reads
// its redacted form from then on.
func (room *roomTx) forget(eventID string) {
	delete(room.events, eventID)
	for key, se := range room.state {
		if se != nil && se.ev.EventID() == eventID {
			delete(room.state, key)
			room.stateComplete = false
		}
	}
}

// parseStored parses an event read from the events table, redacting it when
// a redaction applies to it.
func parseStored(rules roomversion.Rules, eventID string, raw []byte, redacted bool) (*event.Event, error) {
	ev, err := event.ParseWithEventID(rules, raw, eventID)
	if err != nil {
		return nil, fmt.Errorf("parse stored event %s: %w", eventID, err)
	}
	if redacted {
		if ev, err = ev.Redact(); err != nil {
			return nil, fmt.Errorf("redact stored event %s: %w", eventID, err)
		}
	}
	return ev, nil
}

// stateProvider gives the auth rules the room's current state. The rules
// cannot return an error, so the first read error is kept for the caller.
type stateProvider struct {
	ctx  context.Context
	q    storage.Querier
	room *roomTx
	err  error
}

func (p *stateProvider) StateEvent(evType, stateKey string) event.PDU {
	if p.err != nil {
		return nil
	}
	se, err := p.room.stateEvent(p.ctx, p.q, auth.StateKey{Type: evType, StateKey: stateKey})
	if err != nil {
		p.err = err
		return nil
	}
	if se == nil {
		return nil
	}
	return se.ev
}
