package roomserver

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

// fullSnapshotEvery is how many state changes share one full copy of the
// room state: each state event adds a snapshot holding only its delta,
// except every fullSnapshotEvery-th, which copies the whole current state.
// Reading a snapshot therefore reads at most this many deltas plus one full
// state, and storage grows with the number of state changes (plus one room
// state per fullSnapshotEvery changes), never with the number of messages.
const fullSnapshotEvery = 32

// store writes an authorised event: its row, its state snapshot, the
// current state, the room's forward extremities and depth, the redaction
// it applies, and its outbox row.
func (s *submission) store(ctx context.Context, room *roomTx, ev *event.Event, redacts string, txn *api.Transaction) error {
	out := api.OutputEvent{
		Version:     api.OutputEventVersion,
		RoomID:      room.id,
		RoomVersion: room.rules.ID,
		EventID:     ev.EventID(),
		Event:       ev.JSON(),
		Transaction: txn,
	}
	var (
		key  auth.StateKey
		full bool
	)
	if sk := ev.StateKey(); sk != nil {
		key = auth.StateKey{Type: ev.Type(), StateKey: *sk}
		old, err := room.stateEvent(ctx, s.tx, key)
		if err != nil {
			return err
		}
		if old != nil {
			out.RemovesState = []string{old.ev.EventID()}
		}
		out.AddsState = []string{ev.EventID()}
		if full, err = s.newSnapshot(ctx, room); err != nil {
			return err
		}
	}

	var nid int64
	err := s.tx.QueryRow(ctx, `INSERT INTO roomserver_events
		(event_id, room_nid, type, state_key, sender, depth, pdu, state_snapshot_nid)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING event_nid`,
		ev.EventID(), room.nid, ev.Type(), ev.StateKey(), ev.Sender(), ev.Depth(), string(ev.JSON()), room.snapshot).
		Scan(&nid)
	if err != nil {
		return fmt.Errorf("insert event %s: %w", ev.EventID(), err)
	}

	if ev.StateKey() != nil {
		if err := s.setCurrentState(ctx, room, key, nid, ev, full); err != nil {
			return err
		}
	}
	room.extremities = []string{ev.EventID()}
	room.depth = ev.Depth()
	room.dirty = true
	room.events[ev.EventID()] = ev

	if redacts != "" {
		applied, err := s.applyRedaction(ctx, room, ev.EventID(), redacts)
		if err != nil {
			return err
		}
		if applied {
			out.RedactsEventID = redacts
		}
	}
	payload, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("output event %s: %w", ev.EventID(), err)
	}
	if _, err := s.tx.Exec(ctx, `INSERT INTO roomserver_outbox (room_nid, payload) VALUES ($1, $2)`,
		room.nid, string(payload)); err != nil {
		return fmt.Errorf("outbox row of %s: %w", ev.EventID(), err)
	}
	return nil
}

// newSnapshot starts the snapshot of the state after a new state event and
// makes it the room's current one. It is a delta on the current snapshot,
// or a full one at the start of the room and every fullSnapshotEvery
// changes; setCurrentState writes its entries.
func (s *submission) newSnapshot(ctx context.Context, room *roomTx) (full bool, err error) {
	if room.chainLength < 0 && room.snapshot != 0 {
		if err := s.tx.QueryRow(ctx, `SELECT chain_length FROM roomserver_state_snapshots WHERE snapshot_nid = $1`,
			room.snapshot).Scan(&room.chainLength); err != nil {
			return false, fmt.Errorf("read snapshot %d of %s: %w", room.snapshot, room.id, err)
		}
	}
	full = room.snapshot == 0 || room.chainLength+1 >= fullSnapshotEvery
	var parent *int64
	chain := 0
	if !full {
		parent, chain = &room.snapshot, room.chainLength+1
	}
	var nid int64
	if err := s.tx.QueryRow(ctx, `INSERT INTO roomserver_state_snapshots (room_nid, parent_nid, chain_length)
		VALUES ($1, $2, $3) RETURNING snapshot_nid`, room.nid, parent, chain).Scan(&nid); err != nil {
		return false, fmt.Errorf("insert snapshot of %s: %w", room.id, err)
	}
	room.snapshot, room.chainLength = nid, chain
	return full, nil
}

// setCurrentState puts a stored state event into the room's current state
// and writes the entries of its snapshot: the event alone for a delta, the
// whole current state for a full snapshot.
func (s *submission) setCurrentState(ctx context.Context, room *roomTx, key auth.StateKey, nid int64, ev *event.Event, full bool) error {
	var membership *string
	if key.Type == typeMember {
		var c struct {
			Membership string `json:"membership"`
		}
		// The auth rules accepted the event, so membership is a string.
		if err := json.Unmarshal(ev.Content(), &c); err == nil {
			membership = &c.Membership
		}
	}
	if _, err := s.tx.Exec(ctx, `INSERT INTO roomserver_current_state (room_nid, type, state_key, event_nid, membership)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (room_nid, type, state_key) DO UPDATE SET event_nid = excluded.event_nid, membership = excluded.membership`,
		room.nid, key.Type, key.StateKey, nid, membership); err != nil {
		return fmt.Errorf("current state of %s: %w", room.id, err)
	}
	room.state[key] = &storedEvent{nid: nid, ev: ev}

	var err error
	if full {
		_, err = s.tx.Exec(ctx, `INSERT INTO roomserver_state_entries (snapshot_nid, type, state_key, event_nid)
			SELECT $1, type, state_key, event_nid FROM roomserver_current_state WHERE room_nid = $2`,
			room.snapshot, room.nid)
	} else {
		_, err = s.tx.Exec(ctx, `INSERT INTO roomserver_state_entries (snapshot_nid, type, state_key, event_nid)
			VALUES ($1, $2, $3, $4)`, room.snapshot, key.Type, key.StateKey, nid)
	}
	if err != nil {
		return fmt.Errorf("snapshot entries of %s: %w", room.id, err)
	}
	return nil
}
