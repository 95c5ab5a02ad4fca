package roomserver

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// StateAfter returns the room state after the event, for the keys or all
// of it, read from the event's state snapshot.
func (r *Roomserver) StateAfter(ctx context.Context, eventID string, keys ...auth.StateKey) ([]*event.Event, error) {
	var (
		snapshot int64
		version  string
	)
	err := r.db.QueryRow(ctx, `SELECT e.state_snapshot_nid, r.room_version FROM roomserver_events e
		JOIN roomserver_rooms r ON r.room_nid = e.room_nid WHERE e.event_id = $1`, eventID).Scan(&snapshot, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", api.ErrEventNotFound, eventID)
	}
	if err != nil {
		return nil, fmt.Errorf("state after %s: %w", eventID, err)
	}
	rules, err := roomversion.Lookup(roomversion.ID(version))
	if err != nil {
		return nil, fmt.Errorf("state after %s: %w", eventID, err)
	}
	evs, err := r.snapshotEvents(ctx, rules, snapshot, keys)
	if err != nil {
		return nil, fmt.Errorf("state after %s: %w", eventID, err)
	}
	return evs, nil
}

// snapshotEvents reads a state snapshot: the entries of the snapshot and of
// its ancestors up to the nearest full snapshot, the nearest entry of each
// key winning. The chain is at most fullSnapshotEvery snapshots long, so
// the rows read are bounded by the room state plus that many deltas.
func (r *Roomserver) snapshotEvents(ctx context.Context, rules roomversion.Rules, snapshot int64, keys []auth.StateKey) ([]*event.Event, error) {
	query := `WITH RECURSIVE chain (snapshot_nid, parent_nid, distance) AS (
			SELECT snapshot_nid, parent_nid, 0 FROM roomserver_state_snapshots WHERE snapshot_nid = $1
			UNION ALL
			SELECT s.snapshot_nid, s.parent_nid, c.distance + 1
			FROM roomserver_state_snapshots s JOIN chain c ON s.snapshot_nid = c.parent_nid
		)
		SELECT se.type, se.state_key, e.event_id, e.pdu, e.redacted_by, rd.pdu
		FROM chain c
		JOIN roomserver_state_entries se ON se.snapshot_nid = c.snapshot_nid
		JOIN roomserver_events e ON e.event_nid = se.event_nid
		LEFT JOIN roomserver_events rd ON rd.event_id = e.redacted_by`
	args := []any{snapshot}
	if len(keys) > 0 {
		cond, keyArgs := keyCondition("se", 2, keys)
		query += " WHERE " + cond
		args = append(args, keyArgs...)
	}
	query += " ORDER BY c.distance"
	rows, err := r.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %d: %w", snapshot, err)
	}
	defer rows.Close()

	type entry struct {
		key auth.StateKey
		ev  *event.Event
	}
	seen := map[auth.StateKey]bool{}
	var entries []entry
	for rows.Next() {
		var (
			key        auth.StateKey
			id, js     string
			redactedBy sql.NullString
			redaction  sql.NullString
		)
		if err := rows.Scan(&key.Type, &key.StateKey, &id, &js, &redactedBy, &redaction); err != nil {
			return nil, fmt.Errorf("read snapshot %d: %w", snapshot, err)
		}
		if seen[key] {
			continue // superseded by a nearer snapshot
		}
		seen[key] = true
		ev, err := parseStored(rules, id, []byte(js), redactedBy.Valid)
		if err != nil {
			return nil, err
		}
		if ev, err = withRedactedBecause(ev, redactedBy.String, redaction.String); err != nil {
			return nil, err
		}
		entries = append(entries, entry{key, ev})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read snapshot %d: %w", snapshot, err)
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.key.Type, b.key.Type), cmp.Compare(a.key.StateKey, b.key.StateKey))
	})
	evs := make([]*event.Event, len(entries))
	for i, e := range entries {
		evs[i] = e.ev
	}
	return evs, nil
}
