package syncapi

import (
	"encoding/json"
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

func (s *SyncAPI) registerMembers(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodGet, "/rooms/{roomId}/members",
		httpapi.Authenticated(s.authn, s.handleMembers), httpapi.ClientR0V3)
	httpapi.HandleClient(routes.Client, http.MethodGet, "/rooms/{roomId}/joined_members",
		httpapi.Authenticated(s.authn, s.handleJoinedMembers), httpapi.ClientR0V3)
}

var memberships = map[string]bool{"join": true, "invite": true, "knock": true, "leave": true, "ban": true}

// handleMembers lists the room's membership events: now, at a sync token,
// or for a user who left, as they were when they left.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidmembers
func (s *SyncAPI) handleMembers(r *http.Request, device *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(r)["roomId"]
	q := r.URL.Query()
	membership, notMembership := q.Get("membership"), q.Get("not_membership")
	for _, m := range []string{membership, notMembership} {
		if m != "" && !memberships[m] {
			return nil, errcode.InvalidParam("membership must be one of join, invite, knock, leave, ban")
		}
	}
	ctx := r.Context()
	now, err := s.currentPosition(ctx)
	if err != nil {
		return nil, err
	}
	pos := now
	if v := q.Get("at"); v != "" {
		p, err := parseRoomPoint(v)
		if err != nil {
			return nil, err
		}
		pos = p.stream
		if p.topo != nil {
			pos = p.topo.Pos
		}
		pos = min(pos, now)
	}
	vis, err := s.visibilityFor(ctx, device.UserID, roomID, now)
	if err != nil {
		return nil, err
	}
	switch current := activeRow(vis.member, now); {
	case current != nil && current.membership == "join":
	case current != nil && (current.membership == "leave" || current.membership == "ban") && lastJoin(vis.member) != nil:
		// A former member sees the members as they were when they left.
		pos = min(pos, current.added)
	case vis.historyVisibilityAt(now) == "world_readable":
	default:
		return nil, errcode.Forbidden("you are not a member of this room")
	}
	rows, err := s.stateAt(ctx, roomID, pos, "m.room.member")
	if err != nil {
		return nil, err
	}
	keep := rows[:0]
	for _, m := range rows {
		if (membership == "" || m.membership == membership) && (notMembership == "" || m.membership != notMembership) {
			keep = append(keep, m)
		}
	}
	evs, err := s.stateEvents(ctx, keep)
	if err != nil {
		return nil, err
	}
	if err := s.markForViewer(ctx, vis, evs); err != nil {
		return nil, err
	}
	return map[string]any{"chunk": newFormatter(device.UserID, device.DeviceID, nil).events(evs)}, nil
}

func lastJoin(rows []stateRow) *stateRow {
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].membership == "join" {
			return &rows[i]
		}
	}
	return nil
}

type joinedMember struct {
	DisplayName *string `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
}

// handleJoinedMembers maps the joined members to their profile in the room.
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidjoined_members
func (s *SyncAPI) handleJoinedMembers(r *http.Request, device *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(r)["roomId"]
	ctx := r.Context()
	now, err := s.currentPosition(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.stateAt(ctx, roomID, now, "m.room.member")
	if err != nil {
		return nil, err
	}
	var joined []stateRow
	isMember := false
	for _, m := range rows {
		if m.membership == "join" {
			joined = append(joined, m)
			isMember = isMember || m.stateKey == device.UserID
		}
	}
	if !isMember {
		return nil, errcode.Forbidden("you are not a member of this room")
	}
	evs, err := s.stateEvents(ctx, joined)
	if err != nil {
		return nil, err
	}
	out := make(map[string]joinedMember, len(evs))
	for _, e := range evs {
		var p struct {
			Content struct {
				DisplayName *string `json:"displayname"`
				AvatarURL   *string `json:"avatar_url"`
			} `json:"content"`
		}
		_ = json.Unmarshal(e.pdu, &p)
		out[*e.stateKey] = joinedMember{DisplayName: p.Content.DisplayName, AvatarURL: p.Content.AvatarURL}
	}
	return map[string]any{"joined": out}, nil
}
