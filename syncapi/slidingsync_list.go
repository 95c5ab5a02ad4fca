package syncapi

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ssCandidate is a room of the user's room list: a room they are in, are
// invited to or knock on, were kicked or banned from, or left while the
// connection knew the room.
type ssCandidate struct {
	roomID string
	cur    *stateRow  // the user's membership now
	member []stateRow // the user's membership history
	// latest is the stream position of the last event the user can see
	// there: the list is ordered by it, most recent first.
	latest int64
}

func (c *ssCandidate) joined() bool { return c.cur.membership == "join" }

// upTo is the last position the user sees of the room: everything while
// joined, up to their membership event otherwise.
func (c *ssCandidate) upTo(now int64) int64 {
	if c.joined() {
		return now
	}
	return c.cur.added
}

// ssRoomList builds the user's room list at position now, most recent
// first, and indexes every room the user has a visible membership of
// (room subscriptions may name rooms the list leaves out).
func (s *SyncAPI) ssRoomList(ctx context.Context, userID string, now int64, sent map[string]sentRoom, sc *syncContext) ([]*ssCandidate, map[string]*ssCandidate, error) {
	history, err := s.membershipHistory(ctx, userID, "", now)
	if err != nil {
		return nil, nil, err
	}
	byRoom, order := groupByRoom(history)
	all := map[string]*ssCandidate{}
	var list []*ssCandidate
	for _, roomID := range order {
		rows := byRoom[roomID]
		cur := activeRow(rows, now)
		if cur == nil {
			continue
		}
		c := &ssCandidate{roomID: roomID, cur: cur, member: rows, latest: cur.added}
		inList := true
		switch cur.membership {
		case "invite", "knock":
			if cur.membership == "invite" {
				if by, err := s.hiddenInvite(ctx, sc, cur); err != nil {
					return nil, nil, err
				} else if by {
					continue
				}
			}
		case "leave", "ban":
			everIn := slices.ContainsFunc(rows, func(r stateRow) bool { return r.membership != "ban" && r.membership != "leave" })
			if !everIn {
				continue // banned (or left) without ever having been in
			}
			if forgotten, err := s.isForgotten(ctx, userID, roomID); err != nil {
				return nil, nil, err
			} else if forgotten {
				continue
			}
			if cur.membership == "leave" {
				// A room the user left on their own is only news to a
				// connection that had it; kicks are always news.
				self, err := s.membershipBySelf(ctx, cur, userID)
				if err != nil {
					return nil, nil, err
				}
				_, had := sent[roomID]
				inList = !self || had
			}
		}
		if c.joined() {
			if c.latest, err = s.latestInRoom(ctx, roomID, now, nil); err != nil {
				return nil, nil, err
			}
		}
		all[roomID] = c
		if inList {
			list = append(list, c)
		}
	}
	slices.SortFunc(list, func(a, b *ssCandidate) int {
		return cmp.Or(cmp.Compare(b.latest, a.latest), strings.Compare(a.roomID, b.roomID))
	})
	return list, all, nil
}

// membershipBySelf reports whether the user sent their own membership
// event (left, or rejected an invite) rather than being kicked.
func (s *SyncAPI) membershipBySelf(ctx context.Context, row *stateRow, userID string) (bool, error) {
	ev, err := s.eventByID(ctx, row.eventID)
	if err != nil {
		return false, err
	}
	return ev == nil || ev.sender == userID, nil
}

// bumpTypes are the events that move a room's bump_stamp: activity a user
// would call new, not state or reactions.
var bumpTypes = []any{"m.room.create", "m.room.message", "m.room.encrypted", "m.sticker", "m.call.invite", "m.poll.start", "m.beacon_info"}

// latestInRoom is the stream position of the room's last event up to pos,
// of one of types when given.
func (s *SyncAPI) latestInRoom(ctx context.Context, roomID string, pos int64, types []any) (int64, error) {
	q := `SELECT stream_pos FROM syncapi_events WHERE room_id = $1 AND stream_pos <= $2`
	args := []any{roomID, pos}
	if len(types) > 0 {
		q += ` AND type IN (` + placeholders(3, len(types)) + `)`
		args = append(args, types...)
	}
	var p int64
	err := s.db.QueryRow(ctx, q+` ORDER BY stream_pos DESC LIMIT 1`, args...).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the latest event of %s: %w", roomID, err)
	}
	return p, nil
}

func placeholders(from, n int) string {
	out := make([]byte, 0, n*4)
	for i := range n {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = fmt.Appendf(out, "$%d", from+i)
	}
	return string(out)
}

// ssFacts are what list filters look at, loaded only when a filter needs
// them.
type ssFacts struct {
	s      *SyncAPI
	userID string
	now    int64
	dm     map[string]bool
	// encrypted and roomType are per room, read on first use.
	encrypted map[string]bool
	roomType  map[string]*string
}

// directRooms reads the rooms m.direct account data names.
func (s *SyncAPI) directRooms(ctx context.Context, userID string) (map[string]bool, error) {
	var content string
	err := s.db.QueryRow(ctx, `SELECT content FROM syncapi_account_data WHERE user_id = $1 AND room_id = '' AND type = 'm.direct'`,
		userID).Scan(&content)
	out := map[string]bool{}
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading m.direct of %s: %w", userID, err)
	}
	var byUser map[string][]string
	_ = json.Unmarshal([]byte(content), &byUser)
	for _, rooms := range byUser {
		for _, r := range rooms {
			out[r] = true
		}
	}
	return out, nil
}

func (f *ssFacts) isEncrypted(ctx context.Context, roomID string) (bool, error) {
	if v, ok := f.encrypted[roomID]; ok {
		return v, nil
	}
	rows, err := f.s.stateAt(ctx, roomID, f.now, "m.room.encryption")
	if err != nil {
		return false, err
	}
	f.encrypted[roomID] = len(rows) > 0
	return len(rows) > 0, nil
}

func (f *ssFacts) createType(ctx context.Context, roomID string) (*string, error) {
	if v, ok := f.roomType[roomID]; ok {
		return v, nil
	}
	rows, err := f.s.stateAt(ctx, roomID, f.now, "m.room.create")
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	evs, err := f.s.stateEvents(ctx, rows[:1])
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	var p struct {
		Content struct {
			Type *string `json:"type"`
		} `json:"content"`
	}
	_ = json.Unmarshal(evs[0].pdu, &p)
	f.roomType[roomID] = p.Content.Type
	return p.Content.Type, nil
}

// matches applies a list's filters to a room.
func (f *ssFacts) matches(ctx context.Context, flt *ssFilters, c *ssCandidate) (bool, error) {
	if flt == nil {
		return true, nil
	}
	if flt.IsDM != nil && f.dm[c.roomID] != *flt.IsDM {
		return false, nil
	}
	invited := flt.IsInvite
	if invited == nil {
		invited = flt.IsInvited
	}
	if invited != nil && (c.cur.membership == "invite") != *invited {
		return false, nil
	}
	if flt.IsEncrypted != nil {
		enc, err := f.isEncrypted(ctx, c.roomID)
		if err != nil {
			return false, err
		}
		if enc != *flt.IsEncrypted {
			return false, nil
		}
	}
	if flt.RoomTypes != nil || flt.NotRoomTypes != nil {
		t, err := f.createType(ctx, c.roomID)
		if err != nil {
			return false, err
		}
		same := func(want *string) bool { return (want == nil && t == nil) || (want != nil && t != nil && *want == *t) }
		if slices.ContainsFunc(flt.NotRoomTypes, same) {
			return false, nil
		}
		if flt.RoomTypes != nil && !slices.ContainsFunc(flt.RoomTypes, same) {
			return false, nil
		}
	}
	return true, nil
}
