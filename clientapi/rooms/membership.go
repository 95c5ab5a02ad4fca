package rooms

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

func (r *Rooms) registerMembership(c *mux.Router) {
	r.handleGuests(c, http.MethodPost, "/rooms/{roomId}/join", r.joinRoomID)
	r.handleGuests(c, http.MethodPost, "/join/{roomIdOrAlias}", r.joinRoomIDOrAlias)
	r.handle(c, http.MethodPost, "/rooms/{roomId}/invite", r.invite)
	r.handleGuests(c, http.MethodPost, "/rooms/{roomId}/leave", r.leave)
	r.handle(c, http.MethodPost, "/rooms/{roomId}/forget", r.forget)
	r.handle(c, http.MethodPost, "/rooms/{roomId}/kick", r.moderate(membershipLeave))
	r.handle(c, http.MethodPost, "/rooms/{roomId}/ban", r.moderate(membershipBan))
	r.handle(c, http.MethodPost, "/rooms/{roomId}/unban", r.moderate("unban"))
	r.handle(c, http.MethodGet, "/joined_rooms", r.joinedRooms)
	r.handle(c, http.MethodPost, "/knock/{roomIdOrAlias}", r.knock)
}

type joinRequest struct {
	Reason string `json:"reason"`
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidjoin
func (r *Rooms) joinRoomID(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	return r.join(req, dev, roomID, nil)
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3joinroomidoralias
func (r *Rooms) joinRoomIDOrAlias(req *http.Request, dev *httpapi.Device) (any, error) {
	via, err := viaServers(req.URL.Query())
	if err != nil {
		return nil, err
	}
	roomID, err := r.roomIDOrAlias(req.Context(), httpapi.Vars(req)["roomIdOrAlias"])
	if err != nil {
		return nil, err
	}
	return r.join(req, dev, roomID, via)
}

// roomIDOrAlias resolves the {roomIdOrAlias} of /join and /knock.
func (r *Rooms) roomIDOrAlias(ctx context.Context, target string) (string, error) {
	if len(target) > 0 && target[0] == id.SigilRoomAlias {
		alias, err := id.ParseRoomAlias(target)
		if err != nil {
			return "", errcode.InvalidParam("invalid room alias")
		}
		return r.resolveAlias(ctx, alias)
	}
	if _, err := id.ParseRoomID(target); err != nil {
		return "", errcode.InvalidParam("not a room ID or alias")
	}
	return target, nil
}

// join joins a room this server is in. Joining again with an unchanged
// profile sends nothing, as Synapse does. via are the servers the client
// named to join through.
func (r *Rooms) join(req *http.Request, dev *httpapi.Device, roomID string, via []id.ServerName) (any, error) {
	var body joinRequest
	if err := decodeOptionalBody(req, &body); err != nil {
		return nil, err
	}
	ctx := req.Context()
	exists, err := r.roomExists(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, unknownRoom(via)
	}
	if dev.IsGuest {
		// https://spec.matrix.org/latest/client-server-api/#server-behaviour-14
		st, err := r.currentState(ctx, roomID, key(typeGuestAccess, ""))
		if err != nil {
			return nil, submitError(err)
		}
		if contentString(st[key(typeGuestAccess, "")], "guest_access") != "can_join" {
			return nil, errcode.GuestAccessForbidden("this room does not allow guests")
		}
	}
	if m, err := r.membership(ctx, roomID, dev.UserID); err != nil {
		return nil, err
	} else if m.Membership == membershipBan {
		return nil, bannedError("you are banned from this room")
	}
	content, err := r.memberContent(ctx, dev.UserID, membershipJoin, body.Reason, nil)
	if err != nil {
		return nil, err
	}
	if same, err := r.sameMembership(ctx, roomID, dev.UserID, membershipJoin, content); err != nil || same {
		if err != nil {
			return nil, err
		}
		return map[string]string{"room_id": roomID}, nil
	}
	if _, err := r.rooms.Submit(ctx, api.SubmitRequest{
		RoomID: roomID, Type: typeMember, StateKey: strPtr(dev.UserID), Sender: dev.UserID, Content: content,
	}); err != nil {
		return nil, submitError(err)
	}
	return map[string]string{"room_id": roomID}, nil
}

// sameMembership reports whether the user's current member event already
// says what content says.
func (r *Rooms) sameMembership(ctx context.Context, roomID, userID, membership string, content []byte) (bool, error) {
	st, err := r.currentState(ctx, roomID, key(typeMember, userID))
	if err != nil {
		return false, submitError(err)
	}
	cur := st[key(typeMember, userID)]
	if cur == nil || contentString(cur, "membership") != membership {
		return false, nil
	}
	a, errA := canonicaljson.Canonicalize(cur.Content())
	b, errB := canonicaljson.Canonicalize(content)
	return errA == nil && errB == nil && bytes.Equal(a, b), nil
}

type targetRequest struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason"`
}

func decodeTarget(req *http.Request) (targetRequest, error) {
	var body targetRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return body, err
	}
	if body.UserID == "" {
		return body, errcode.MissingParam("missing user_id")
	}
	if _, err := id.ParseUserID(body.UserID); err != nil {
		return body, errcode.InvalidParam("invalid user_id")
	}
	return body, nil
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidinvite
func (r *Rooms) invite(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	body, err := decodeTarget(req)
	if err != nil {
		return nil, err
	}
	if err := r.requireLocal(body.UserID); err != nil {
		return nil, err
	}
	ctx := req.Context()
	if err := r.requireJoined(ctx, roomID, dev.UserID); err != nil {
		return nil, err
	}
	target, err := r.membership(ctx, roomID, body.UserID)
	if err != nil {
		return nil, err
	}
	switch target.Membership {
	case membershipJoin:
		return nil, errcode.Forbidden(body.UserID + " is already in the room")
	case membershipBan:
		return nil, bannedError("cannot invite " + body.UserID + ", who is banned")
	}
	if err := r.requireInviteAllowed(ctx, body.UserID); err != nil {
		return nil, err
	}
	content, err := r.memberContent(ctx, body.UserID, membershipInvite, body.Reason, nil)
	if err != nil {
		return nil, err
	}
	if _, err := r.rooms.Submit(ctx, api.SubmitRequest{
		RoomID: roomID, Type: typeMember, StateKey: strPtr(body.UserID), Sender: dev.UserID, Content: content,
	}); err != nil {
		return nil, submitError(err)
	}
	return struct{}{}, nil
}

// leave leaves a room, rejects an invite or withdraws a knock. Leaving a
// room already left changes nothing.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidleave
func (r *Rooms) leave(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	var body joinRequest
	if err := decodeOptionalBody(req, &body); err != nil {
		return nil, err
	}
	ctx := req.Context()
	m, err := r.membership(ctx, roomID, dev.UserID)
	if err != nil {
		return nil, err
	}
	switch m.Membership {
	case "":
		exists, err := r.roomExists(ctx, roomID)
		if err != nil {
			return nil, err
		}
		if !exists {
			return nil, errcode.NotFound("not a known room")
		}
		return nil, notInRoom()
	case membershipLeave:
		return struct{}{}, nil
	case membershipBan:
		return nil, errcode.Forbidden("you are banned from this room")
	}
	content, err := r.memberContent(ctx, dev.UserID, membershipLeave, body.Reason, nil)
	if err != nil {
		return nil, err
	}
	if _, err := r.rooms.Submit(ctx, api.SubmitRequest{
		RoomID: roomID, Type: typeMember, StateKey: strPtr(dev.UserID), Sender: dev.UserID, Content: content,
	}); err != nil {
		return nil, submitError(err)
	}
	return struct{}{}, nil
}

// moderate serves kick (membership leave for another user), ban and unban.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidkick
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidban
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidunban
func (r *Rooms) moderate(action string) httpapi.AuthedHandlerFunc {
	return func(req *http.Request, dev *httpapi.Device) (any, error) {
		roomID := httpapi.Vars(req)["roomId"]
		if _, err := id.ParseRoomID(roomID); err != nil {
			return nil, errcode.InvalidParam("invalid room ID")
		}
		body, err := decodeTarget(req)
		if err != nil {
			return nil, err
		}
		ctx := req.Context()
		if err := r.requireJoined(ctx, roomID, dev.UserID); err != nil {
			return nil, err
		}
		target, err := r.membership(ctx, roomID, body.UserID)
		if err != nil {
			return nil, err
		}
		membership := action
		switch action {
		case membershipLeave:
			if target.Membership != membershipJoin && target.Membership != membershipInvite && target.Membership != membershipKnock {
				return nil, errcode.Forbidden(body.UserID + " is not in the room")
			}
		case "unban":
			if target.Membership != membershipBan {
				return nil, errcode.BadState("cannot unban " + body.UserID + ", who is not banned").WithStatus(http.StatusForbidden)
			}
			membership = membershipLeave
		}
		content, err := r.memberContent(ctx, body.UserID, membership, body.Reason, nil)
		if err != nil {
			return nil, err
		}
		if _, err := r.rooms.Submit(ctx, api.SubmitRequest{
			RoomID: roomID, Type: typeMember, StateKey: strPtr(body.UserID), Sender: dev.UserID, Content: content,
		}); err != nil {
			return nil, submitError(err)
		}
		return struct{}{}, nil
	}
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3joined_rooms
func (r *Rooms) joinedRooms(req *http.Request, dev *httpapi.Device) (any, error) {
	ids, err := r.rooms.RoomsOfUser(req.Context(), dev.UserID, membershipJoin)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{}
	}
	return map[string][]string{"joined_rooms": ids}, nil
}

// forget hides a room the user has left from their sync; it fails with
// 400 M_UNKNOWN while they are still in it, as Synapse does.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidforget
func (r *Rooms) forget(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	var body json.RawMessage
	if err := decodeOptionalBody(req, &body); err != nil {
		return nil, err
	}
	ctx := req.Context()
	m, err := r.membership(ctx, roomID, dev.UserID)
	if err != nil {
		return nil, err
	}
	switch m.Membership {
	case "":
		// Nothing to hide; Synapse answers the same.
		return struct{}{}, nil
	case membershipLeave, membershipBan:
	default:
		return nil, errcode.Unknown("you are still in this room; leave it before forgetting it").WithStatus(http.StatusBadRequest)
	}
	if err := r.storeForgotten(ctx, dev.UserID, roomID, m.EventID); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// requireLocal refuses to invite users of other servers: an invite must
// reach the invitee's server through the federation invite handshake,
// which this server does not make, so the invite would never arrive.
func (r *Rooms) requireLocal(userID string) error {
	uid, err := id.ParseUserID(userID)
	if err != nil {
		return errcode.InvalidParam("invalid user ID " + userID)
	}
	if string(uid.ServerName()) != r.cfg.ServerName {
		return errcode.Unknown("cannot invite " + userID + ": invites to other servers are not supported").WithStatus(http.StatusBadGateway)
	}
	return nil
}

// bannedError answers an action on a banned user other than ban, unban
// or leave: 403 M_BAD_STATE, as Synapse answers.
func bannedError(msg string) error {
	return errcode.BadState(msg).WithStatus(http.StatusForbidden)
}
