package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/storage"
)

// recordRelations keeps syncapi_relations in step with the event stored
// at pos, inside the transaction that stores it: it records the event's
// own relationship and, when the event is a redaction that applies
// (redacts is set), breaks the redacted event's.
func recordRelations(ctx context.Context, tx *storage.Tx, pos int64, ev *event.Event, redacts string) error {
	if redacts != "" {
		if err := forgetRelation(ctx, tx, redacts); err != nil {
			return err
		}
	}
	return storeRelation(ctx, tx, pos, ev)
}

// storeRelation records the event's relationship, if it has one. Malformed relationships,
// relationships of an event stored redacted (its m.relates_to is gone),
// an event pointing at itself and replacements that could never be valid
// (state events, unencrypted ones without m.new_content) are not recorded:
// the spec has servers ignore them.
func storeRelation(ctx context.Context, tx *storage.Tx, pos int64, ev *event.Event) error {
	rel, ok := event.RelationOf(ev.Content())
	if !ok || rel.EventID == ev.EventID() {
		return nil
	}
	if rel.RelType == event.RelReplace &&
		(ev.IsState() || (ev.Type() != "m.room.encrypted" && !event.HasNewContent(ev.Content()))) {
		return nil
	}
	var redaction string
	err := tx.QueryRow(ctx, `SELECT redaction_event_id FROM syncapi_redactions WHERE redacts_event_id = $1`, ev.EventID()).Scan(&redaction)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("looking up redactions of %s: %w", ev.EventID(), err)
	}
	var key any
	if rel.Key != "" {
		key = rel.Key
	}
	if _, err := tx.Exec(ctx, `INSERT INTO syncapi_relations (event_id, room_id, parent_id, rel_type, aggregation_key,
		event_type, sender, origin_ts, depth, stream_pos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ev.EventID(), ev.RoomID(), rel.EventID, rel.RelType, key, ev.Type(), ev.Sender(), ev.OriginServerTS(), ev.Depth(), pos); err != nil {
		return fmt.Errorf("recording the relation of %s: %w", ev.EventID(), err)
	}
	if rel.RelType != event.RelThread {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO syncapi_threads (root_id, room_id, latest_pos) VALUES ($1, $2, $3)
		ON CONFLICT (root_id) DO UPDATE SET latest_pos = excluded.latest_pos
		WHERE excluded.latest_pos > syncapi_threads.latest_pos`, rel.EventID, ev.RoomID(), pos); err != nil {
		return fmt.Errorf("recording thread activity of %s: %w", rel.EventID, err)
	}
	return nil
}

// forgetRelation breaks the relationship of a redacted event, inside the
// redaction's transaction: the spec has a redacted child de-aggregated. A
// thread whose latest reply was redacted falls back to its latest
// remaining one, and leaves the thread list with its last.
func forgetRelation(ctx context.Context, tx *storage.Tx, eventID string) error {
	var parentID, relType string
	err := tx.QueryRow(ctx, `SELECT parent_id, rel_type FROM syncapi_relations WHERE event_id = $1`, eventID).Scan(&parentID, &relType)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading the relation of %s: %w", eventID, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM syncapi_relations WHERE event_id = $1`, eventID); err != nil {
		return fmt.Errorf("forgetting the relation of %s: %w", eventID, err)
	}
	if relType != event.RelThread {
		return nil
	}
	var latest sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT MAX(stream_pos) FROM syncapi_relations WHERE parent_id = $1 AND rel_type = $2`,
		parentID, event.RelThread).Scan(&latest); err != nil {
		return fmt.Errorf("finding the latest reply of thread %s: %w", parentID, err)
	}
	if !latest.Valid {
		_, err = tx.Exec(ctx, `DELETE FROM syncapi_threads WHERE root_id = $1`, parentID)
	} else {
		_, err = tx.Exec(ctx, `UPDATE syncapi_threads SET latest_pos = $1 WHERE root_id = $2`, latest.Int64, parentID)
	}
	if err != nil {
		return fmt.Errorf("updating thread %s: %w", parentID, err)
	}
	return nil
}
