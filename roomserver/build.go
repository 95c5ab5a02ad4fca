package roomserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// maxCreateAttempts bounds the retries when a new room ID is taken: by
// chance for a random ID, or in room version 12 by an identical create
// event in the same millisecond.
const maxCreateAttempts = 5

// createRoom builds the m.room.create event and inserts the room's row.
// Up to room version 11 the room ID is "!" + random + ":" + server name;
// from version 12 it is derived from the create event's reference hash.
//
// https://spec.matrix.org/latest/appendices/#room-ids
func (s *submission) createRoom(ctx context.Context, req api.SubmitRequest) (*roomTx, *event.Event, error) {
	rules, err := roomversion.Lookup(req.RoomVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("room version %q: %w", req.RoomVersion, api.ErrUnsupportedRoomVersion)
	}
	for attempt := range int64(maxCreateAttempts) {
		roomID := ""
		if !rules.RoomIDFromCreateEvent {
			roomID = "!" + randomOpaque() + ":" + s.r.cfg.ServerName
		}
		ev, err := event.Build(rules, event.Template{
			Type:           typeCreate,
			StateKey:       req.StateKey,
			Sender:         req.Sender,
			RoomID:         roomID,
			Content:        req.Content,
			Depth:          1,
			OriginServerTS: s.now + attempt,
			OpaqueID:       opaqueID(rules),
		}, s.r.cfg.ServerName, s.r.signingKey)
		if err != nil {
			return nil, nil, buildError(typeCreate, err)
		}
		rows, err := s.tx.Query(ctx, `INSERT INTO roomserver_rooms (room_id, room_version) VALUES ($1, $2)
			ON CONFLICT (room_id) DO NOTHING RETURNING room_nid`, ev.RoomID(), string(rules.ID))
		if err != nil {
			return nil, nil, fmt.Errorf("insert room %s: %w", ev.RoomID(), err)
		}
		var nid int64
		inserted := rows.Next()
		if inserted {
			err = rows.Scan(&nid)
		}
		err = errors.Join(err, rows.Err(), rows.Close())
		if err != nil {
			return nil, nil, fmt.Errorf("insert room %s: %w", ev.RoomID(), err)
		}
		if !inserted {
			continue
		}
		room := newRoomTx(nid, ev.RoomID(), rules)
		room.stateComplete = true
		s.rooms[room.id] = room
		return room, ev, nil
	}
	return nil, nil, fmt.Errorf("no free room ID after %d attempts", maxCreateAttempts)
}

// build makes a new event on the room's forward extremities, citing the
// auth events the auth events selection picks from the current state.
//
// https://spec.matrix.org/latest/server-server-api/#auth-events-selection
func (s *submission) build(ctx context.Context, room *roomTx, req api.SubmitRequest) (*event.Event, error) {
	keys, err := auth.StateNeeded(room.rules, req.Type, req.StateKey, req.Sender, req.Content)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", api.ErrInvalidEvent, err)
	}
	authIDs := make([]string, 0, len(keys))
	for _, key := range keys {
		se, err := room.stateEvent(ctx, s.tx, key)
		if err != nil {
			return nil, err
		}
		if se != nil {
			authIDs = append(authIDs, se.ev.EventID())
		}
	}
	tmpl := event.Template{
		Type:           req.Type,
		StateKey:       req.StateKey,
		Sender:         req.Sender,
		RoomID:         room.id,
		Content:        req.Content,
		Redacts:        req.Redacts,
		PrevEvents:     room.extremities,
		AuthEvents:     authIDs,
		Depth:          room.depth + 1,
		OriginServerTS: s.now,
		OpaqueID:       opaqueID(room.rules),
	}
	if room.rules.EventFormat == roomversion.EventFormatV1 {
		// Versions 1 and 2 pair each reference with its reference hash.
		hashes := map[string]map[string]string{}
		for _, refID := range append(append([]string(nil), room.extremities...), authIDs...) {
			ev, err := room.event(ctx, s.tx, refID)
			if err != nil {
				return nil, err
			}
			if hashes[refID], err = ev.ReferenceHashes(); err != nil {
				return nil, fmt.Errorf("reference hash of %s: %w", refID, err)
			}
		}
		tmpl.ReferenceHashes = func(eventID string) (map[string]string, bool) {
			h, ok := hashes[eventID]
			return h, ok
		}
	}
	ev, err := event.Build(room.rules, tmpl, s.r.cfg.ServerName, s.r.signingKey)
	if err != nil {
		return nil, buildError(req.Type, err)
	}
	return ev, nil
}

// opaqueID is the local part of a room version 1 or 2 event ID; later
// versions derive the ID from the event.
func opaqueID(rules roomversion.Rules) string {
	if rules.EventIDFormat != roomversion.EventIDServerAssigned {
		return ""
	}
	return randomOpaque()
}

// randomOpaque returns 26 random base32 characters (130 bits).
func randomOpaque() string { return rand.Text() }
