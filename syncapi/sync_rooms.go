package syncapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// syncWatch tells the notifier what a parked /sync waits for.
type syncWatch struct {
	rooms  []string
	future bool
}

// timelineScanLimit bounds how many events one room's timeline reads while
// a filter or history visibility hides most of them; the timeline is then
// limited and prev_batch lets the client page further.
const timelineScanLimit = 1000

// computeSync builds the response for the stream range (since, now].
func (s *SyncAPI) computeSync(ctx context.Context, req syncRequest) (*syncResponse, syncWatch, error) {
	resp := &syncResponse{
		Rooms: syncRooms{
			Join: map[string]*joinedRoom{}, Invite: map[string]*invitedRoom{},
			Leave: map[string]*leftRoom{}, Knock: map[string]*knockedRoom{},
		},
		AccountData: newEventsList(nil), Presence: newEventsList(nil), ToDevice: newEventsList(nil),
		DeviceOneTimeKeysCount: map[string]int{}, DeviceUnusedFallbackKeyTypes: []string{},
	}
	var watch syncWatch
	now, err := s.currentPositions(ctx)
	if err != nil {
		return nil, watch, err
	}
	var since syncToken
	if req.since != nil {
		since = s.forgetVolatile(*req.since, now)
		if since.ahead(now) {
			// A token from beyond this server's position (a restored
			// database, or a replica behind): never move the client back,
			// wait until the streams pass it. The token's other streams
			// stay where they are: what they missed is not skipped.
			resp.NextBatch = since.String()
			watch.future = true
			if !req.fullState {
				return resp, watch, nil
			}
			since = since.atMost(now)
		}
	}
	resp.NextBatch = now.atLeast(since).String()
	sc := &syncContext{req: req, resp: resp, full: req.since == nil || req.fullState, newlyJoined: map[string]bool{},
		since: since, now: now, next: now.atLeast(since)}
	if sc.ignored, err = s.ignoredUsers(ctx, req.device.UserID); err != nil {
		return nil, watch, err
	}
	if req.since != nil && since.Rooms == now.Rooms && !req.fullState {
		rooms, err := s.joinedRoomsAt(ctx, req.device.UserID, now.Rooms)
		if err != nil {
			return nil, watch, err
		}
		watch.rooms = rooms
		for _, r := range rooms {
			if req.filter.Room.allowsRoom(r) {
				sc.joined = append(sc.joined, r)
			}
		}
	} else if err := s.syncRooms(ctx, sc, &watch, since.Rooms, now.Rooms); err != nil {
		return nil, watch, err
	}
	if err := s.addSections(ctx, sc, since, now); err != nil {
		return nil, watch, err
	}
	// A section that delivered only part of its range moved next back.
	resp.NextBatch = sc.next.String()
	if err := s.addKeyCounts(ctx, sc); err != nil {
		return nil, watch, err
	}
	if err := s.addUnreadCounts(ctx, sc, now); err != nil {
		return nil, watch, err
	}
	return resp, watch, nil
}

// forgetVolatile brings the positions of streams that live in memory down
// to now's: after a restart of the bus their positions start again, and a
// client's older token must not wait for them to catch up.
func (s *SyncAPI) forgetVolatile(t, now syncToken) syncToken {
	for _, sec := range s.sections {
		if sec.current != nil {
			p := sec.position(&t)
			*p = min(*p, *sec.position(&now))
		}
	}
	return t
}

// syncRooms fills the rooms sections from the room events in (since, now].
func (s *SyncAPI) syncRooms(ctx context.Context, sc *syncContext, watch *syncWatch, since, now int64) error {
	req, resp := sc.req, sc.resp
	history, err := s.membershipHistory(ctx, req.device.UserID, "", now)
	if err != nil {
		return err
	}
	byRoom, order := groupByRoom(history)
	// On an incremental sync only rooms with events in the range can have
	// anything new; finding them is one range scan of the stream.
	var active map[string]bool
	if req.since != nil && !req.fullState {
		if active, err = s.roomsWithEvents(ctx, since, now); err != nil {
			return err
		}
	}
	fm := newFormatter(req.device.UserID, req.device.DeviceID, req.filter)
	for _, roomID := range order {
		rows := byRoom[roomID]
		cur := activeRow(rows, now)
		if cur == nil {
			continue
		}
		if cur.membership == "join" {
			watch.rooms = append(watch.rooms, roomID)
		}
		if !req.filter.Room.allowsRoom(roomID) {
			continue
		}
		if cur.membership == "join" {
			sc.joined = append(sc.joined, roomID)
		}
		if active != nil && !active[roomID] {
			continue
		}
		rs := roomSync{req: req, sc: sc, fm: fm, roomID: roomID, member: rows, since: since, now: now}
		if err := s.syncRoom(ctx, &rs, cur, resp); err != nil {
			return fmt.Errorf("sync of room %s: %w", roomID, err)
		}
	}
	return s.formatTimelines(ctx, sc, now)
}

// groupByRoom groups membership rows by room, the rooms in order of their
// first row.
func groupByRoom(history []stateRow) (map[string][]stateRow, []string) {
	out := map[string][]stateRow{}
	var order []string
	for _, h := range history {
		if _, ok := out[h.roomID]; !ok {
			order = append(order, h.roomID)
		}
		out[h.roomID] = append(out[h.roomID], h)
	}
	return out, order
}

func activeRow(rows []stateRow, p int64) *stateRow {
	for i := range rows {
		if rows[i].activeAt(p) {
			return &rows[i]
		}
	}
	return nil
}

// roomSync is one room's part of a sync.
type roomSync struct {
	req        syncRequest
	sc         *syncContext
	fm         *formatter
	roomID     string
	member     []stateRow // the user's membership history in the room
	since, now int64
}

// syncRoom adds the room to the section its membership puts it in, when
// there is something to tell.
func (s *SyncAPI) syncRoom(ctx context.Context, rs *roomSync, cur *stateRow, resp *syncResponse) error {
	initial := rs.req.since == nil
	changed := cur.added > rs.since
	var atSince *stateRow
	if !initial {
		atSince = activeRow(rs.member, rs.since)
	}
	switch cur.membership {
	case "join":
		// A room joined (or left and rejoined) within the range gets its
		// full state and latest timeline, like in an initial sync.
		newly := initial || atSince == nil || atSince.membership != "join" || slices.ContainsFunc(rs.member, func(r stateRow) bool {
			return r.added > rs.since && r.membership != "join"
		})
		from, stateFrom := rs.since, rs.since
		if newly {
			from, stateFrom = 0, 0
		}
		if rs.req.fullState {
			stateFrom = 0
		}
		entry, err := s.roomEntry(ctx, rs, from, stateFrom, rs.now, true)
		if err != nil {
			return err
		}
		if newly {
			rs.sc.newlyJoined[rs.roomID] = true
		}
		if newly || rs.req.fullState || len(entry.picked) > 0 || len(entry.state) > 0 {
			jr := &joinedRoom{
				Timeline: entry.timeline, roomState: newRoomState(rs.req, entry.state),
				AccountData: newEventsList(nil), Ephemeral: newEventsList(nil), Summary: entry.summary,
			}
			resp.Rooms.Join[rs.roomID] = jr
			rs.deferTimeline(&jr.Timeline, entry)
		}
	case "invite", "knock":
		if !initial && !changed && !rs.req.fullState {
			return nil
		}
		if cur.membership == "invite" {
			if hidden, err := s.hiddenInvite(ctx, rs.sc, cur); err != nil || hidden {
				return err
			}
		}
		stripped, err := s.strippedRoomState(ctx, rs, cur)
		if err != nil {
			return err
		}
		if cur.membership == "invite" {
			resp.Rooms.Invite[rs.roomID] = &invitedRoom{InviteState: newEventsList(stripped)}
		} else {
			resp.Rooms.Knock[rs.roomID] = &knockedRoom{KnockState: newEventsList(stripped)}
		}
	case "leave", "ban":
		// A left room appears once, in the sync after the leave; initial
		// syncs show the archive only when the filter asks for it.
		from := rs.since
		switch {
		case initial || rs.req.fullState:
			if !rs.req.filter.Room.IncludeLeave {
				return nil
			}
			from = 0
		case !changed:
			return nil
		case atSince == nil || atSince.membership == "leave" || atSince.membership == "ban":
			wasIn := slices.ContainsFunc(rs.member, func(r stateRow) bool {
				return r.added > rs.since && r.added < cur.added && r.membership != "leave" && r.membership != "ban"
			})
			if !wasIn {
				return nil
			}
			from = 0
		}
		if forgotten, err := s.isForgotten(ctx, rs.req.device.UserID, rs.roomID); err != nil || forgotten {
			return err
		}
		entry, err := s.roomEntry(ctx, rs, from, from, cur.added, false)
		if err != nil {
			return err
		}
		lr := &leftRoom{
			Timeline: entry.timeline, roomState: newRoomState(rs.req, entry.state), AccountData: newEventsList(nil),
		}
		resp.Rooms.Leave[rs.roomID] = lr
		rs.deferTimeline(&lr.Timeline, entry)
	}
	return nil
}

type roomEntry struct {
	timeline timeline
	state    []json.RawMessage
	summary  *roomSummary
	// picked are the timeline's events, formatted into timeline.Events by
	// formatTimelines; vis is the user's view of the room they were read
	// with.
	picked []*eventRow
	vis    *visibility
}

// roomEntry computes the timeline of (from, upTo] and the state the client
// lacks when it holds the state at stateFrom.
func (s *SyncAPI) roomEntry(ctx context.Context, rs *roomSync, from, stateFrom, upTo int64, joined bool) (*roomEntry, error) {
	picked, limited, start, vis, err := s.timelineWindow(ctx, rs, &rs.req.filter.Room.Timeline, from, upTo)
	if err != nil {
		return nil, err
	}
	// The events are formatted once the whole sync is known, so the
	// aggregations of every room's timeline load together (sync_bundles.go).
	entry := &roomEntry{timeline: timeline{Limited: limited, PrevBatch: syncToken{Rooms: start}.String()},
		picked: picked, vis: vis}
	state, err := s.syncState(ctx, rs, picked, stateFrom, start, upTo)
	if err != nil {
		return nil, err
	}
	if err := s.markForViewer(ctx, vis, state); err != nil {
		return nil, err
	}
	entry.state = rs.fm.events(state)

	memberChange := slices.ContainsFunc(picked, func(e *eventRow) bool { return e.evType == "m.room.member" }) ||
		slices.ContainsFunc(state, func(e *eventRow) bool { return e.evType == "m.room.member" })
	if joined && (stateFrom == 0 || memberChange) {
		if entry.summary, err = s.summaryAt(ctx, rs.roomID, rs.req.device.UserID, upTo); err != nil {
			return nil, err
		}
	}
	return entry, nil
}

// timelineWindow picks the latest events of (from, upTo] the user may see
// and the filter matches, at most the filter's limit: the events in
// stream order, whether more were left out, and the stream position just
// before the first one (the timeline's prev_batch), and the user's view
// of the room they were read with.
func (s *SyncAPI) timelineWindow(ctx context.Context, rs *roomSync, tf *RoomEventFilter, from, upTo int64) ([]*eventRow, bool, int64, *visibility, error) {
	limit := tf.timelineLimit()
	vis := &visibility{userID: rs.req.device.UserID, member: rs.member, ignored: rs.sc.ignored}
	var spansLoaded bool

	var picked []*eventRow
	limited := false
	cursor, scanned := upTo, 0
	batchSize := limit + 1
scan:
	for {
		batch, err := s.roomRange(ctx, rs.roomID, from, cursor, batchSize)
		if err != nil {
			return nil, false, 0, nil, err
		}
		if len(batch) > 0 && !spansLoaded {
			if vis.spans, err = s.visibilityHistory(ctx, rs.roomID); err != nil {
				return nil, false, 0, nil, err
			}
			spansLoaded = true
		}
		for _, e := range batch {
			scanned++
			if !tf.matches(e) || !vis.canSee(e) {
				continue
			}
			if len(picked) == limit {
				limited = true
				break scan
			}
			picked = append(picked, e)
		}
		if len(batch) < batchSize {
			break
		}
		cursor = batch[len(batch)-1].pos - 1
		if scanned >= timelineScanLimit {
			limited = true
			break
		}
		batchSize = min(batchSize*2, 200)
	}
	slices.Reverse(picked)

	start := upTo
	if len(picked) > 0 {
		start = picked[0].pos - 1
	} else if limited {
		start = cursor
	}
	return picked, limited, start, vis, nil
}

// syncState is the state section: the state at the start of the timeline
// and at its end that the client lacks, without what the timeline carries,
// filtered by the state filter and, when lazy-loading members, reduced to
// the members the timeline needs.
//
// With use_state_after it is state_after instead: the state at the end of
// the timeline that changed after stateFrom, the timeline's own state
// events included, since clients then take state from this section only;
// lazy-loaded members are the senders' memberships at the end of the
// timeline.
//
// https://spec.matrix.org/latest/client-server-api/#lazy-loading-room-members
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3sync
func (s *SyncAPI) syncState(ctx context.Context, rs *roomSync, picked []*eventRow, stateFrom, start, upTo int64) ([]*eventRow, error) {
	inTimeline := map[string]bool{}
	membersAt := start
	if rs.req.useStateAfter {
		// No row is both added after stateFrom and current at it, so
		// stateChanges keeps only the state current at upTo.
		start, membersAt = stateFrom, upTo
	} else {
		for _, e := range picked {
			inTimeline[e.eventID] = true
		}
	}
	rows, err := s.stateChanges(ctx, rs.roomID, stateFrom, start, upTo)
	if err != nil {
		return nil, err
	}
	sf := &rs.req.filter.Room.State
	var needed map[string]bool
	if sf.LazyLoadMembers {
		needed = map[string]bool{rs.req.device.UserID: true}
		for _, e := range picked {
			needed[e.sender] = true
		}
	}
	seen := map[string]bool{}
	var keep []stateRow
	for _, r := range rows {
		if inTimeline[r.eventID] || seen[r.eventID] {
			continue
		}
		if needed != nil && r.evType == "m.room.member" && !needed[r.stateKey] {
			continue
		}
		seen[r.eventID] = true
		keep = append(keep, r)
	}
	if needed != nil {
		// The members of the timeline's senders, which an incremental
		// sync's state delta does not carry when they did not change.
		users := make([]string, 0, len(needed))
		for u := range needed {
			users = append(users, u)
		}
		slices.Sort(users)
		members, err := s.membersWith(ctx, rs.roomID, membersAt, users)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if !inTimeline[m.eventID] && !seen[m.eventID] && (stateFrom == 0 || m.added > stateFrom || sf.IncludeRedundantMembers || !rs.clientHasState(m)) {
				seen[m.eventID] = true
				keep = append(keep, m)
			}
		}
	}
	evs, err := s.stateEvents(ctx, keep)
	if err != nil {
		return nil, err
	}
	out := evs[:0]
	for _, e := range evs {
		if sf.matches(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// clientHasState reports whether a member event is one the client already
// had before this sync. Without a record of what each device was sent,
// only the syncing user's own membership is known to be held.
func (rs *roomSync) clientHasState(m stateRow) bool {
	return m.stateKey == rs.req.device.UserID && rs.since > 0 && m.added <= rs.since
}

// joinedRoomsAt lists the rooms the user is joined to at pos.
func (s *SyncAPI) joinedRoomsAt(ctx context.Context, userID string, pos int64) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT room_id FROM syncapi_room_state WHERE state_key = $1 AND type = 'm.room.member'
		AND membership = 'join' AND added_pos <= $2 AND (removed_pos IS NULL OR removed_pos > $2)`, userID, pos)
	if err != nil {
		return nil, fmt.Errorf("reading joined rooms of %s: %w", userID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("scanning joined rooms: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// roomsWithEvents is the set of rooms with events in (after, upTo].
func (s *SyncAPI) roomsWithEvents(ctx context.Context, after, upTo int64) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT room_id FROM syncapi_events WHERE stream_pos > $1 AND stream_pos <= $2`, after, upTo)
	if err != nil {
		return nil, fmt.Errorf("reading active rooms: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("scanning active rooms: %w", err)
		}
		out[r] = true
	}
	return out, rows.Err()
}
