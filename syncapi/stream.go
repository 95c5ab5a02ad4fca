package syncapi

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/storage"
)

// A section is one stream's part of /sync besides the room events: account
// data, receipts, typing, presence, to-device messages, device lists. Each
// lives in a file of its own (stream_*.go) and is listed in sections().
//
// A durable stream is filled by a bus consumer of its own (consumers())
// that stores rows under positions from nextPosition, in order, so a reader
// never sees position N+1 before N. The typing stream lives in memory and
// reports its position through current.
type section struct {
	// name is the stream's row in syncapi_stream_positions; its
	// migration inserts the row with position 0.
	name string
	// position is the stream's field in a sync token.
	position func(*syncToken) *int64
	// current, when set, is the stream's position for streams that keep
	// it elsewhere than syncapi_stream_positions.
	current func(ctx context.Context) (int64, error)
	// add writes what changed in (from, to] into sc.resp; from is 0 on an
	// initial or full_state sync. It is also called when the stream did
	// not move but sc.newlyJoined is not empty: those rooms get the
	// stream's whole current state (every receipt, who is typing).
	add func(ctx context.Context, sc *syncContext, from, to int64) error
	// onRoomEvents makes add run also when only the room stream moved:
	// device lists change when users join and leave rooms.
	onRoomEvents bool
	// onFullSync makes add run on every initial or full_state sync, even
	// when the stream never moved: the user's push rules exist (as the
	// defaults) before any change gave them a position.
	onFullSync bool
}

// consumer is a durable, ordered bus consumer the component runs.
type consumer struct {
	stream, durable, subject string
	handle                   bus.Handler
}

// syncContext is what a section sees of the sync being computed.
type syncContext struct {
	req  syncRequest
	resp *syncResponse
	// full is true on an initial or full_state sync.
	full bool
	// joined lists the rooms the user is joined to at the sync's room
	// position, filtered by the sync filter's rooms.
	joined []string
	// newlyJoined are the joined rooms this sync tells about for the
	// first time (joined in the range, or every room of a full sync).
	newlyJoined map[string]bool
	// left are the rooms the user left in the range.
	left []string
	// since and now are the range of the sync (since is zero on an
	// initial sync); next is the token it answers with, which a section
	// that delivers only part of its range (to-device messages come in
	// batches) lowers to what it delivered.
	since, now, next syncToken
	// ignored are the users whose events the user does not receive.
	ignored map[string]bool
	// invitesBlocked caches the user's m.invite_permission_config
	// verdict, read at the first invite the sync meets (ignored.go).
	invitesBlocked *bool
	// timelines wait for their aggregations (sync_bundles.go).
	timelines []pendingTimeline
}

// joinedRoom returns the room's entry in rooms.join, adding an empty one
// when the room had nothing else to tell.
func (sc *syncContext) joinedRoom(roomID string) *joinedRoom {
	if jr, ok := sc.resp.Rooms.Join[roomID]; ok {
		return jr
	}
	jr := &joinedRoom{
		Timeline:    timeline{Events: []json.RawMessage{}, PrevBatch: sc.resp.NextBatch},
		roomState:   newRoomState(sc.req, nil),
		AccountData: newEventsList(nil),
		Ephemeral:   newEventsList(nil),
	}
	sc.resp.Rooms.Join[roomID] = jr
	return jr
}

// currentPositions reads every stream's position. The room stream is read
// last: a section's rows never refer to room events beyond it.
func (s *SyncAPI) currentPositions(ctx context.Context) (syncToken, error) {
	var tok syncToken
	byName := map[string]*int64{streamRoomEvents: &tok.Rooms}
	for _, sec := range s.sections {
		if sec.current != nil {
			p, err := sec.current(ctx)
			if err != nil {
				return tok, fmt.Errorf("reading the %s position: %w", sec.name, err)
			}
			*sec.position(&tok) = p
			continue
		}
		byName[sec.name] = sec.position(&tok)
	}
	rows, err := s.db.Query(ctx, `SELECT stream, position FROM syncapi_stream_positions`)
	if err != nil {
		return tok, fmt.Errorf("reading stream positions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var p int64
		if err := rows.Scan(&name, &p); err != nil {
			return tok, fmt.Errorf("reading stream positions: %w", err)
		}
		if dst, ok := byName[name]; ok {
			*dst = p
		}
	}
	return tok, rows.Err()
}

// nextPosition takes the next position of a durable stream inside tx. The
// counter row stays locked until commit, so positions become visible in
// order even if two transactions ever overlapped.
func nextPosition(ctx context.Context, tx *storage.Tx, stream string) (int64, error) {
	var pos int64
	if err := tx.QueryRow(ctx, `UPDATE syncapi_stream_positions SET position = position + 1
		WHERE stream = $1 RETURNING position`, stream).Scan(&pos); err != nil {
		return 0, fmt.Errorf("next %s position: %w", stream, err)
	}
	return pos, nil
}

// addSections runs every section for the range (since, now].
func (s *SyncAPI) addSections(ctx context.Context, sc *syncContext, since, now syncToken) error {
	for _, sec := range s.sections {
		from, to := *sec.position(&since), *sec.position(&now)
		if sc.full {
			from = 0
		}
		if from >= to && len(sc.newlyJoined) == 0 && !(sec.onRoomEvents && since.Rooms < now.Rooms) && !(sec.onFullSync && sc.full) {
			continue
		}
		if err := sec.add(ctx, sc, min(from, to), to); err != nil {
			return fmt.Errorf("%s: %w", sec.name, err)
		}
	}
	return nil
}
