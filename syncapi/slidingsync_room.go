package syncapi

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
)

// ssSync is what every room of one sliding sync response shares.
type ssSync struct {
	req     syncRequest // the device; an empty filter
	sc      *syncContext
	fm      *formatter
	now     syncToken
	since   *syncToken // nil on a connection's first request
	dm      map[string]bool
	userID  string
	ignored map[string]bool
}

// roomResult computes a room's result, or nil when the connection already
// has everything the room has to tell; sent is what the connection then
// holds of the room.
func (s *SyncAPI) roomResult(ctx context.Context, ss *ssSync, c *ssCandidate, cfg *combinedConfig, prev *sentRoom) (*ssRoom, *sentRoom, error) {
	upTo := c.upTo(ss.now.Rooms)
	sig := cfg.signature()
	rs := &roomSync{req: ss.req, sc: ss.sc, fm: ss.fm, roomID: c.roomID, member: c.member, now: upTo}
	switch c.cur.membership {
	case "invite", "knock":
		if prev != nil && prev.roomPos >= c.cur.added {
			return nil, nil, nil
		}
		stripped, err := s.strippedRoomState(ctx, rs, c.cur)
		if err != nil {
			return nil, nil, err
		}
		room := &ssRoom{Initial: true, InviteState: stripped, Membership: c.cur.membership, BumpStamp: c.cur.added,
			IsDM: ss.dm[c.roomID], Lists: cfg.lists}
		return room, &sentRoom{roomPos: c.cur.added, timelineLimit: cfg.timelineLimit, stateSig: sig}, nil
	}

	initial := prev == nil
	if !initial && c.joined() && c.cur.added > prev.roomPos {
		// Joined again since the connection had the room (or first joined
		// after an invite): the client replaces what it held.
		if was := activeRow(c.member, prev.roomPos); was == nil || was.membership != "join" {
			initial = true
		}
	}
	expanded := !initial && cfg.timelineLimit > prev.timelineLimit
	stateFull := initial || sig != prev.stateSig
	if !initial && !expanded && !stateFull && c.latest <= prev.roomPos {
		return nil, nil, nil
	}
	from := int64(0)
	if !initial && !expanded {
		from = prev.roomPos
	}
	limit := cfg.timelineLimit
	tf := RoomEventFilter{EventFilter: EventFilter{Limit: &limit}}
	picked, limited, start, vis, err := s.timelineWindow(ctx, rs, &tf, from, upTo)
	if err != nil {
		return nil, nil, err
	}
	if len(picked) > 0 {
		// Bundled aggregations (edits, threads, references), as /sync.
		if err := s.attachBundles(ctx, ss.userID, upTo, roomEvents{vis: vis, events: picked}); err != nil {
			return nil, nil, err
		}
	}
	room := &ssRoom{
		Initial: initial, ExpandedTimeline: expanded, Timeline: ss.fm.events(picked), Limited: limited,
		PrevBatch: syncToken{Rooms: start}.String(), Membership: c.cur.membership, IsDM: ss.dm[c.roomID], Lists: cfg.lists,
	}
	live := 0
	if ss.since != nil {
		for _, e := range picked {
			if e.pos > ss.since.Rooms {
				live++
			}
		}
	}
	room.NumLive = &live

	stateFrom := int64(0)
	if !stateFull {
		stateFrom = prev.roomPos
	}
	state, err := s.requiredStateOf(ctx, c.roomID, cfg, picked, stateFrom, upTo)
	if err != nil {
		return nil, nil, err
	}
	if err := s.markForViewer(ctx, vis, state); err != nil {
		return nil, nil, err
	}
	room.RequiredState = ss.fm.events(state)
	if err := s.describeRoom(ctx, ss, room, c, picked, state, stateFrom, upTo); err != nil {
		return nil, nil, err
	}
	if room.BumpStamp, err = s.latestInRoom(ctx, c.roomID, upTo, bumpTypes); err != nil {
		return nil, nil, err
	}
	if room.BumpStamp == 0 {
		room.BumpStamp = c.latest
	}
	if c.joined() {
		byThread, err := s.unreadByThread(ctx, ss.userID, c.roomID, ss.now)
		if err != nil {
			return nil, nil, err
		}
		for _, n := range byThread {
			room.NotificationCount += n.NotificationCount
			room.HighlightCount += n.HighlightCount
		}
	}
	return room, &sentRoom{roomPos: upTo, timelineLimit: cfg.timelineLimit, stateSig: sig}, nil
}

// requiredStateOf is the state the config asks for: all of it at upTo
// when stateFrom is 0, else what changed after stateFrom; with lazy
// members, the members the timeline's events need (senders and targets).
func (s *SyncAPI) requiredStateOf(ctx context.Context, roomID string, cfg *combinedConfig, picked []*eventRow, stateFrom, upTo int64) ([]*eventRow, error) {
	var rows []stateRow
	var err error
	if stateFrom == 0 {
		rows, err = s.stateAt(ctx, roomID, upTo, "")
	} else {
		rows, err = s.stateChanges(ctx, roomID, stateFrom, upTo, upTo)
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var keep []stateRow
	for _, r := range rows {
		if !seen[r.eventID] && cfg.wants(r.evType, r.stateKey) {
			seen[r.eventID] = true
			keep = append(keep, r)
		}
	}
	if cfg.lazy() {
		need := map[string]bool{}
		for _, e := range picked {
			need[e.sender] = true
			if e.evType == "m.room.member" && e.stateKey != nil {
				need[*e.stateKey] = true
			}
		}
		users := make([]string, 0, len(need))
		for u := range need {
			users = append(users, u)
		}
		sort.Strings(users)
		members, err := s.membersWith(ctx, roomID, upTo, users)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if !seen[m.eventID] {
				seen[m.eventID] = true
				keep = append(keep, m)
			}
		}
	}
	return s.stateEvents(ctx, keep)
}

// describeRoom sets name, avatar, heroes and member counts: on a full
// state, and when the state they come from changed.
func (s *SyncAPI) describeRoom(ctx context.Context, ss *ssSync, room *ssRoom, c *ssCandidate, picked, state []*eventRow, stateFrom, upTo int64) error {
	changed := func(evType string) bool {
		if stateFrom == 0 {
			return true
		}
		is := func(e *eventRow) bool { return e.evType == evType && e.stateKey != nil }
		return slices.ContainsFunc(picked, is) || slices.ContainsFunc(state, is)
	}
	var name string
	if changed("m.room.name") || changed("m.room.member") {
		n, err := s.stateContent(ctx, c.roomID, upTo, "m.room.name", "name")
		if err != nil {
			return err
		}
		name = n
		if n != "" && changed("m.room.name") {
			room.Name = &n
		}
	}
	if changed("m.room.avatar") {
		a, err := s.stateContent(ctx, c.roomID, upTo, "m.room.avatar", "url")
		if err != nil {
			return err
		}
		if a != "" {
			room.Avatar = &a
		}
	}
	if !changed("m.room.member") {
		return nil
	}
	sum, err := s.summaryAt(ctx, c.roomID, ss.userID, upTo)
	if err != nil {
		return err
	}
	room.JoinedCount, room.InvitedCount = &sum.JoinedCount, &sum.InvitedCount
	if name != "" || len(sum.Heroes) == 0 {
		return nil
	}
	members, err := s.membersWith(ctx, c.roomID, upTo, sum.Heroes)
	if err != nil {
		return err
	}
	evs, err := s.stateEvents(ctx, members)
	if err != nil {
		return err
	}
	profile := map[string]ssHero{}
	for _, e := range evs {
		var p struct {
			Content struct {
				DisplayName string `json:"displayname"`
				AvatarURL   string `json:"avatar_url"`
			} `json:"content"`
		}
		_ = json.Unmarshal(e.pdu, &p)
		if e.stateKey != nil {
			profile[*e.stateKey] = ssHero{UserID: *e.stateKey, DisplayName: p.Content.DisplayName, AvatarURL: p.Content.AvatarURL}
		}
	}
	for _, h := range sum.Heroes {
		hero, ok := profile[h]
		if !ok {
			hero = ssHero{UserID: h}
		}
		room.Heroes = append(room.Heroes, hero)
	}
	return nil
}

// stateContent reads one string field of a state event's content (with
// the empty state key) at pos, "" when there is none.
func (s *SyncAPI) stateContent(ctx context.Context, roomID string, pos int64, evType, field string) (string, error) {
	rows, err := s.stateAt(ctx, roomID, pos, evType)
	if err != nil {
		return "", err
	}
	for _, r := range rows {
		if r.stateKey != "" {
			continue
		}
		evs, err := s.stateEvents(ctx, []stateRow{r})
		if err != nil || len(evs) == 0 {
			return "", err
		}
		var p struct {
			Content map[string]any `json:"content"`
		}
		_ = json.Unmarshal(evs[0].pdu, &p)
		v, _ := p.Content[field].(string)
		return v, nil
	}
	return "", nil
}
