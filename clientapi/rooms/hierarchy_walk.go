package rooms

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
)

// walkHierarchy lists the rooms of the tree under root the user may see,
// depth first, children in the spec's order, each room once.
func (r *Rooms) walkHierarchy(ctx context.Context, root *spaceRoomState, userID string, q hierarchyQuery) ([]hierarchyRoom, error) {
	type visit struct {
		room  *spaceRoomState
		depth int
	}
	seen := map[string]bool{root.roomID: true}
	stack := []visit{{root, 0}}
	var out []hierarchyRoom
	for len(stack) > 0 && len(out) < maxHierarchyRooms {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		children := spaceChildren(v.room.state, q.suggestedOnly)
		out = append(out, describeSpaceRoom(v.room, children))
		if v.depth >= q.maxDepth {
			continue
		}
		// Pushed in reverse, so the first child is walked first.
		for i := len(children) - 1; i >= 0; i-- {
			childID := children[i].StateKey
			if seen[childID] {
				continue
			}
			seen[childID] = true
			child, err := r.spaceRoom(ctx, childID)
			if err != nil {
				return nil, err
			}
			if child == nil {
				continue
			}
			ok, err := r.canPreview(ctx, child, userID)
			if err != nil {
				return nil, err
			}
			if ok {
				stack = append(stack, visit{child, v.depth + 1})
			}
		}
	}
	return out, nil
}

// spaceChildren are the valid m.space.child events of a room (content
// with a non-empty via list), in the spec's order: by a valid "order"
// string first, then by origin_server_ts, then by room ID.
//
// https://spec.matrix.org/latest/client-server-api/#ordering-of-children-within-a-space
func spaceChildren(st stateMap, suggestedOnly bool) []childState {
	var out []childState
	for k, ev := range st {
		if k.Type != typeSpaceChild {
			continue
		}
		var c struct {
			Via       []string `json:"via"`
			Order     any      `json:"order"`
			Suggested bool     `json:"suggested"`
		}
		if json.Unmarshal(ev.Content(), &c) != nil || len(c.Via) == 0 {
			continue
		}
		if suggestedOnly && !c.Suggested {
			continue
		}
		cs := childState{
			Type: typeSpaceChild, StateKey: k.StateKey, Content: ev.Content(),
			Sender: ev.Sender(), OriginServerTS: ev.OriginServerTS(),
		}
		if o, ok := c.Order.(string); ok && validSpaceOrder(o) {
			cs.order = o
		}
		out = append(out, cs)
	}
	slices.SortFunc(out, func(a, b childState) int {
		if (a.order == "") != (b.order == "") {
			if a.order != "" {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.OriginServerTS, b.OriginServerTS), cmp.Compare(a.StateKey, b.StateKey))
	})
	return out
}

// validSpaceOrder: at most 50 characters of printable ASCII (0x20-0x7E).
func validSpaceOrder(o string) bool {
	if o == "" || len(o) > 50 {
		return false
	}
	for i := 0; i < len(o); i++ {
		if o[i] < 0x20 || o[i] > 0x7e {
			return false
		}
	}
	return true
}

func describeSpaceRoom(room *spaceRoomState, children []childState) hierarchyRoom {
	h := hierarchyRoom{roomDescription: describeRoom(room), ChildrenState: []childState{}}
	if h.RoomType == "m.space" {
		h.ChildrenState = children
	}
	return h
}

// describeRoom is a room's RoomSummary, from its current state.
func describeRoom(room *spaceRoomState) roomDescription {
	d := roomDescription{
		publicRoomsChunk: chunkOf(room.roomID, room.state),
		RoomVersion:      room.version,
		Encryption:       contentString(room.state[key("m.room.encryption", "")], "algorithm"),
		AllowedRoomIDs:   allowedRoomIDs(room.state),
	}
	if d.JoinRule == "" {
		d.JoinRule = "invite"
	}
	return d
}

// allowedRoomIDs are the rooms whose members may join a restricted room.
func allowedRoomIDs(st stateMap) []string {
	jr := st[key(typeJoinRules, "")]
	if jr == nil {
		return nil
	}
	var c struct {
		JoinRule string `json:"join_rule"`
		Allow    []struct {
			Type   string `json:"type"`
			RoomID string `json:"room_id"`
		} `json:"allow"`
	}
	if json.Unmarshal(jr.Content(), &c) != nil || (c.JoinRule != "restricted" && c.JoinRule != "knock_restricted") {
		return nil
	}
	var out []string
	for _, a := range c.Allow {
		if a.Type == "m.room_membership" && a.RoomID != "" {
			out = append(out, a.RoomID)
		}
	}
	return out
}

// canPreview is the spec's rule for listing a room in a hierarchy: the
// user is joined or invited, may join (public, or restricted with a
// membership of an allowed room), may knock, or the history is world
// readable.
func (r *Rooms) canPreview(ctx context.Context, room *spaceRoomState, userID string) (bool, error) {
	m, err := r.membership(ctx, room.roomID, userID)
	if err != nil {
		return false, err
	}
	return r.canPreviewAs(ctx, room, userID, m.Membership)
}

// canPreviewAs is canPreview for a caller whose membership of the room is
// already known.
func (r *Rooms) canPreviewAs(ctx context.Context, room *spaceRoomState, userID, membership string) (bool, error) {
	switch membership {
	case membershipJoin, membershipInvite:
		return true, nil
	case membershipBan:
		return false, nil
	}
	if openToPreview(room.state) {
		return true, nil
	}
	switch contentString(room.state[key(typeJoinRules, "")], "join_rule") {
	case "restricted":
		for _, allowed := range allowedRoomIDs(room.state) {
			am, err := r.membership(ctx, allowed, userID)
			if err != nil {
				return false, err
			}
			if am.Membership == membershipJoin {
				return true, nil
			}
		}
	}
	return false, nil
}

// openToPreview tells whether anyone may learn about the room: its history
// is world readable, or anyone may join or knock.
func openToPreview(st stateMap) bool {
	if contentString(st[key(typeHistoryVisibility, "")], "history_visibility") == "world_readable" {
		return true
	}
	switch contentString(st[key(typeJoinRules, "")], "join_rule") {
	case "public", "knock", "knock_restricted":
		return true
	}
	return false
}
