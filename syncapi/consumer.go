package syncapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
	"github.com/ocomms/ocomms/storage"
)

// consumerName is the durable consumer shared by every syncapi instance.
// With ordered delivery exactly one instance handles one output event at a
// time, which is what makes stream positions commit in order.
const consumerName = "syncapi"

// stateRef is a state event the output event adds to the room's state.
type stateRef struct {
	eventID, evType, stateKey, membership string
}

// handleOutput stores one roomserver output event and gives it the next
// room event stream position, then wakes the /sync requests it concerns.
func (s *SyncAPI) handleOutput(ctx context.Context, m bus.Message) error {
	var oe api.OutputEvent
	if err := m.Decode(&oe); err != nil {
		return bus.Permanent(err)
	}
	if oe.Version != api.OutputEventVersion {
		// A newer roomserver during a rolling upgrade: leave it for an
		// upgraded instance rather than misread it.
		return fmt.Errorf("output event %s has version %d, this syncapi reads %d", oe.EventID, oe.Version, api.OutputEventVersion)
	}
	rules, err := roomversion.Lookup(oe.RoomVersion)
	if err != nil {
		return bus.Permanent(fmt.Errorf("output event %s: %w", oe.EventID, err))
	}
	ev, err := event.ParseWithEventID(rules, oe.Event, oe.EventID)
	if err != nil {
		return bus.Permanent(fmt.Errorf("output event %s: %w", oe.EventID, err))
	}
	adds, err := s.resolveAddedState(ctx, ev, oe.AddsState)
	if err != nil {
		return err
	}
	notifs, err := s.notificationsFor(ctx, rules, ev)
	if err != nil {
		return fmt.Errorf("push rules for output event %s: %w", oe.EventID, err)
	}
	pos, err := s.storeOutput(ctx, &oe, ev, adds, notifs)
	if err != nil {
		return fmt.Errorf("storing output event %s: %w", oe.EventID, err)
	}
	wu := wakeUp{Position: pos, RoomID: ev.RoomID()}
	for _, a := range adds {
		if a.evType == "m.room.member" {
			wu.UserIDs = append(wu.UserIDs, a.stateKey)
		}
	}
	s.wake(ctx, wu)
	if len(notifs) > 0 {
		s.pushOut.Notify()
	}
	return nil
}

// resolveAddedState finds the type and state key of every event entering
// the state. Usually that is the event itself; after state resolution it may
// be events this component never stored, which the roomserver supplies.
func (s *SyncAPI) resolveAddedState(ctx context.Context, ev *event.Event, ids []string) ([]stateRef, error) {
	refs := make([]stateRef, 0, len(ids))
	var missing []string
	for _, id := range ids {
		if id == ev.EventID() {
			refs = append(refs, refOf(ev))
			continue
		}
		var r stateRef
		var js string
		err := s.db.QueryRow(ctx, `SELECT type, state_key, event_json FROM syncapi_events WHERE event_id = $1 AND state_key IS NOT NULL`, id).
			Scan(&r.evType, &r.stateKey, &js)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			missing = append(missing, id)
		case err != nil:
			return nil, fmt.Errorf("looking up state event %s: %w", id, err)
		default:
			r.eventID = id
			r.membership = membershipOf(r.evType, []byte(js))
			refs = append(refs, r)
		}
	}
	if len(missing) > 0 {
		evs, err := s.rooms.Events(ctx, missing...)
		if err != nil {
			return nil, fmt.Errorf("fetching state events from the roomserver: %w", err)
		}
		for _, e := range evs {
			if e.StateKey() != nil {
				refs = append(refs, refOf(e))
			}
		}
	}
	return refs, nil
}

func refOf(ev *event.Event) stateRef {
	return stateRef{eventID: ev.EventID(), evType: ev.Type(), stateKey: *ev.StateKey(), membership: membershipOf(ev.Type(), ev.JSON())}
}

func membershipOf(evType string, pdu []byte) string {
	if evType != "m.room.member" {
		return ""
	}
	var v struct {
		Content struct {
			Membership string `json:"membership"`
		} `json:"content"`
	}
	_ = json.Unmarshal(pdu, &v)
	return v.Content.Membership
}

// storeOutput writes the event, the notifications it gives, its state
// changes, its searchable text and any redaction in one transaction, and returns its stream
// position. A redelivered event keeps
// the position it was given the first time.
func (s *SyncAPI) storeOutput(ctx context.Context, oe *api.OutputEvent, ev *event.Event, adds []stateRef, notifs []notification) (int64, error) {
	var pos int64
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		err := tx.QueryRow(ctx, `SELECT stream_pos FROM syncapi_events WHERE event_id = $1`, ev.EventID()).Scan(&pos)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if pos, err = nextPosition(ctx, tx, streamRoomEvents); err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, pos, oe, ev); err != nil {
			return err
		}
		if err := insertNotifications(ctx, tx, pos, ev.RoomID(), notifs); err != nil {
			return err
		}
		if err := s.enqueuePushes(ctx, tx, ev, notifs); err != nil {
			return err
		}
		for _, id := range oe.RemovesState {
			if _, err := tx.Exec(ctx, `UPDATE syncapi_room_state SET removed_pos = $1
				WHERE event_id = $2 AND removed_pos IS NULL`, pos, id); err != nil {
				return fmt.Errorf("removing %s from state: %w", id, err)
			}
		}
		for _, a := range adds {
			if err := addState(ctx, tx, pos, ev.RoomID(), a); err != nil {
				return err
			}
		}
		if err := recordRelations(ctx, tx, pos, ev, oe.RedactsEventID); err != nil {
			return err
		}
		if err := indexForSearch(ctx, tx, pos, ev, oe.RedactsEventID); err != nil {
			return err
		}
		if oe.RedactsEventID != "" {
			return applyRedaction(ctx, tx, oe.RedactsEventID, ev.EventID())
		}
		return nil
	})
	return pos, err
}

func insertEvent(ctx context.Context, tx *storage.Tx, pos int64, oe *api.OutputEvent, ev *event.Event) error {
	var stateKey, replaces any
	if sk := ev.StateKey(); sk != nil {
		stateKey = *sk
		var prev string
		err := tx.QueryRow(ctx, `SELECT event_id FROM syncapi_room_state
			WHERE room_id = $1 AND type = $2 AND state_key = $3 AND removed_pos IS NULL`,
			ev.RoomID(), ev.Type(), *sk).Scan(&prev)
		switch {
		case err == nil:
			if prev != ev.EventID() {
				replaces = prev
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("finding the state %s replaces: %w", ev.EventID(), err)
		}
	}
	js := ev.JSON()
	var redactedBecause any
	var redaction string
	err := tx.QueryRow(ctx, `SELECT redaction_event_id FROM syncapi_redactions WHERE redacts_event_id = $1`, ev.EventID()).Scan(&redaction)
	switch {
	case err == nil:
		// The redaction arrived first; store the event redacted.
		red, err := ev.Redact()
		if err != nil {
			return fmt.Errorf("redacting %s: %w", ev.EventID(), err)
		}
		js, redactedBecause = red.JSON(), redaction
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("looking up redactions of %s: %w", ev.EventID(), err)
	}
	var txnUser, txnDevice, txnID any
	if t := oe.Transaction; t != nil {
		txnUser, txnDevice, txnID = t.UserID, t.DeviceID, t.TxnID
	}
	_, err = tx.Exec(ctx, `INSERT INTO syncapi_events (stream_pos, event_id, room_id, room_version, type, sender,
		state_key, depth, contains_url, event_json, replaces_state, redacted_because, txn_user_id, txn_device_id, txn_id, origin_ts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		pos, ev.EventID(), ev.RoomID(), string(ev.Version()), ev.Type(), ev.Sender(),
		stateKey, ev.Depth(), containsURL(ev.Content()), string(js), replaces, redactedBecause, txnUser, txnDevice, txnID, ev.OriginServerTS())
	if err != nil {
		return fmt.Errorf("inserting event %s: %w", ev.EventID(), err)
	}
	return nil
}

// addState opens a state row for the event and closes whatever the room
// held under the same key, so a key never has two current events even if
// RemovesState was incomplete.
func addState(ctx context.Context, tx *storage.Tx, pos int64, roomID string, a stateRef) error {
	if _, err := tx.Exec(ctx, `UPDATE syncapi_room_state SET removed_pos = $1
		WHERE room_id = $2 AND type = $3 AND state_key = $4 AND removed_pos IS NULL AND event_id <> $5`,
		pos, roomID, a.evType, a.stateKey, a.eventID); err != nil {
		return fmt.Errorf("replacing state %s: %w", a.eventID, err)
	}
	var membership any
	if a.evType == "m.room.member" {
		membership = a.membership
	}
	var open int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM syncapi_room_state WHERE event_id = $1 AND removed_pos IS NULL`,
		a.eventID).Scan(&open); err != nil {
		return fmt.Errorf("checking state %s: %w", a.eventID, err)
	}
	if open > 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO syncapi_room_state (room_id, event_id, type, state_key, membership, added_pos)
		VALUES ($1, $2, $3, $4, $5, $6)`, roomID, a.eventID, a.evType, a.stateKey, membership, pos); err != nil {
		return fmt.Errorf("adding state %s: %w", a.eventID, err)
	}
	return nil
}

// applyRedaction replaces the stored copy of the redacted event with its
// redacted form, or remembers the redaction until the event arrives.
func applyRedaction(ctx context.Context, tx *storage.Tx, targetID, redactionID string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO syncapi_redactions (redacts_event_id, redaction_event_id) VALUES ($1, $2)
		ON CONFLICT (redacts_event_id) DO NOTHING`, targetID, redactionID); err != nil {
		return fmt.Errorf("recording redaction of %s: %w", targetID, err)
	}
	var version, js string
	var already sql.NullString
	err := tx.QueryRow(ctx, `SELECT room_version, event_json, redacted_because FROM syncapi_events WHERE event_id = $1`, targetID).
		Scan(&version, &js, &already)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && already.Valid) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading redacted event %s: %w", targetID, err)
	}
	rules, err := roomversion.Lookup(roomversion.ID(version))
	if err != nil {
		return fmt.Errorf("redacting %s: %w", targetID, err)
	}
	redacted, err := event.Redact(rules, []byte(js))
	if err != nil {
		return fmt.Errorf("redacting %s: %w", targetID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE syncapi_events SET event_json = $1, redacted_because = $2, contains_url = $3 WHERE event_id = $4`,
		string(redacted), redactionID, false, targetID); err != nil {
		return fmt.Errorf("storing redacted %s: %w", targetID, err)
	}
	return nil
}

// containsURL is the contains_url filter's test: content has a string "url".
// https://spec.matrix.org/latest/client-server-api/#filtering
func containsURL(content json.RawMessage) bool {
	var c struct {
		URL any `json:"url"`
	}
	if json.Unmarshal(content, &c) != nil {
		return false
	}
	_, ok := c.URL.(string)
	return ok
}
