package roomserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
)

// checkRedaction decides whether an m.room.redaction from a local user
// may be sent, and returns the event it redacts when it applies.
//
// From room version 3 the auth rules let every redaction through and leave
// the check to the server (https://spec.matrix.org/latest/rooms/v3/#handling-redactions):
// the redaction applies when its sender has the redact power level or sent
// the redacted event. Like Synapse, a local user may not send a redaction
// that would not apply; the same check applies to versions 1 and 2, whose
// auth rules would otherwise let any user of this server redact any event
// of this server. A redaction of an event the server does not have is
// stored and applies to nothing.
//
// https://spec.matrix.org/latest/client-server-api/#redactions
func (s *submission) checkRedaction(ctx context.Context, room *roomTx, ev *event.Event) (string, error) {
	if ev.Type() != typeRedaction {
		return "", nil
	}
	target := ev.Redacts()
	var (
		targetRoom int64
		sender     string
	)
	err := s.tx.QueryRow(ctx, `SELECT room_nid, sender FROM roomserver_events WHERE event_id = $1`, target).
		Scan(&targetRoom, &sender)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read redacted event %s: %w", target, err)
	}
	if targetRoom != room.nid {
		return "", fmt.Errorf("%w: %s is not an event of %s", auth.ErrNotAllowed, target, room.id)
	}
	if sender == ev.Sender() {
		return target, nil
	}
	create, err := room.stateEvent(ctx, s.tx, auth.StateKey{Type: typeCreate})
	if err != nil {
		return "", err
	}
	power, err := room.stateEvent(ctx, s.tx, auth.StateKey{Type: typePower})
	if err != nil {
		return "", err
	}
	if create == nil {
		return "", fmt.Errorf("room %s: %w", room.id, auth.ErrMissingCreateEvent)
	}
	var plEvent event.PDU
	if power != nil {
		plEvent = power.ev
	}
	levels, err := auth.EffectivePowerLevels(room.rules, plEvent, create.ev)
	if err != nil {
		return "", fmt.Errorf("power levels of %s: %w", room.id, err)
	}
	if levels.UserLevel(ev.Sender()) < levels.Redact() {
		return "", fmt.Errorf("%w: %s may not redact events of others in %s", auth.ErrNotAllowed, ev.Sender(), room.id)
	}
	return target, nil
}

// applyRedaction records the redaction on the redacted event, which Events
// and the auth rules then see in its redacted form. It reports false when
// an earlier redaction already applied.
func (s *submission) applyRedaction(ctx context.Context, room *roomTx, redactionID, target string) (bool, error) {
	res, err := s.tx.Exec(ctx, `UPDATE roomserver_events SET redacted_by = $1
		WHERE event_id = $2 AND room_nid = $3 AND redacted_by IS NULL`, redactionID, target, room.nid)
	if err != nil {
		return false, fmt.Errorf("redact %s: %w", target, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("redact %s: %w", target, err)
	}
	room.forget(target)
	return n == 1, nil
}

// withRedactedBecause puts the redaction into unsigned.redacted_because of
// a redacted event, as clients expect: they show a redacted event as
// deleted because of it. The redaction is the stored PDU with its event_id,
// which room versions 3 and later leave out of the PDU.
//
// https://spec.matrix.org/latest/client-server-api/#redactions
func withRedactedBecause(ev *event.Event, redactionID, redactionPDU string) (*event.Event, error) {
	if !ev.Redacted() || redactionPDU == "" {
		return ev, nil
	}
	var because map[string]json.RawMessage
	if err := json.Unmarshal([]byte(redactionPDU), &because); err != nil {
		return nil, fmt.Errorf("redaction %s of %s: %w", redactionID, ev.EventID(), err)
	}
	because["event_id"], _ = json.Marshal(redactionID)
	unsigned, err := json.Marshal(map[string]any{"redacted_because": because})
	if err != nil {
		return nil, fmt.Errorf("redaction %s of %s: %w", redactionID, ev.EventID(), err)
	}
	withUnsigned, err := ev.WithUnsigned(unsigned)
	if err != nil {
		return nil, fmt.Errorf("redacted_because of %s: %w", ev.EventID(), err)
	}
	return withUnsigned, nil
}
