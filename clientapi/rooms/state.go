package rooms

import (
	"bytes"
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/canonicaljson"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/id"
)

func (r *Rooms) registerState(c *mux.Router) {
	r.handleGuests(c, http.MethodGet, "/rooms/{roomId}/state", r.getState)
	// The state key may be empty, written as nothing or as a trailing slash.
	for _, path := range []string{
		"/rooms/{roomId}/state/{eventType}",
		"/rooms/{roomId}/state/{eventType}/",
		"/rooms/{roomId}/state/{eventType}/{stateKey}",
	} {
		r.handleGuests(c, http.MethodGet, path, r.getStateEvent)
		r.handleGuests(c, http.MethodPut, path, r.putState)
	}
}

// visibleState returns the room state the user may read: the current state
// for a member, the state when they left for a former member (as Synapse),
// and 403 for anyone else.
func (r *Rooms) visibleState(ctx context.Context, roomID, userID string, keys ...auth.StateKey) ([]*event.Event, error) {
	m, err := r.membership(ctx, roomID, userID)
	if err != nil {
		return nil, err
	}
	switch m.Membership {
	case membershipJoin:
		evs, err := r.rooms.CurrentState(ctx, roomID, keys...)
		if err != nil {
			return nil, submitError(err)
		}
		return evs, nil
	case membershipLeave, membershipBan:
		evs, err := r.rooms.StateAfter(ctx, m.EventID, keys...)
		if err != nil {
			return nil, submitError(err)
		}
		return evs, nil
	}
	return nil, notInRoom()
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidstate
func (r *Rooms) getState(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	evs, err := r.visibleState(req.Context(), roomID, dev.UserID)
	if err != nil {
		return nil, err
	}
	return toClientEvents(evs), nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3roomsroomidstateeventtypestatekey
func (r *Rooms) getStateEvent(req *http.Request, dev *httpapi.Device) (any, error) {
	v := httpapi.Vars(req)
	roomID, evType, stateKey := v["roomId"], v["eventType"], v["stateKey"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	format := req.URL.Query().Get("format")
	if format != "" && format != "content" && format != "event" {
		return nil, errcode.InvalidParam("format must be content or event")
	}
	evs, err := r.visibleState(req.Context(), roomID, dev.UserID, key(evType, stateKey))
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, errcode.NotFound("event not found")
	}
	ce := toClientEvent(evs[0])
	if format == "event" {
		return ce, nil
	}
	return ce.Content, nil
}

// putState sends a state event. Sending what the state already holds
// returns the existing event instead of a duplicate, as Synapse does.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3roomsroomidstateeventtypestatekey
func (r *Rooms) putState(req *http.Request, dev *httpapi.Device) (any, error) {
	v := httpapi.Vars(req)
	roomID, evType, stateKey := v["roomId"], v["eventType"], v["stateKey"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	content, err := readObject(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	if evType == typeCanonicalAlias {
		if err := r.checkCanonicalAlias(ctx, roomID, content); err != nil {
			return nil, err
		}
	}
	sendToken, err := r.reserveSend(dev.UserID)
	if err != nil {
		return nil, err
	}
	defer sendToken.Cancel()
	// Member events change memberships, which the auth rules judge for
	// non-members too (a join by PUT state); everything else needs a member.
	if evType != typeMember {
		if err := r.requireJoined(ctx, roomID, dev.UserID); err != nil {
			return nil, err
		}
	} else if isInvite(content) {
		// Only members may invite; checking that first keeps outsiders
		// from learning who blocks invites.
		if err := r.requireJoined(ctx, roomID, dev.UserID); err != nil {
			return nil, err
		}
		if err := r.requireInviteAllowed(ctx, stateKey); err != nil {
			return nil, err
		}
	}
	if same, err := r.unchangedState(ctx, roomID, evType, stateKey, dev.UserID, content); err != nil || same != "" {
		if err != nil {
			return nil, err
		}
		return map[string]string{"event_id": same}, nil
	}
	if err := r.checkMediaQuota(ctx, roomID, evType, content); err != nil {
		return nil, err
	}
	res, err := r.rooms.Submit(ctx, api.SubmitRequest{
		RoomID: roomID, Type: evType, StateKey: strPtr(stateKey), Sender: dev.UserID, Content: content,
	})
	if err != nil {
		return nil, r.sendError(req, roomID, dev.UserID, err)
	}
	countSend(sendToken, res[0])
	return map[string]string{"event_id": res[0].EventID}, nil
}

// unchangedState returns the current event of the key when it was sent by
// the same user with the same content.
func (r *Rooms) unchangedState(ctx context.Context, roomID, evType, stateKey, sender string, content []byte) (string, error) {
	st, err := r.currentState(ctx, roomID, key(evType, stateKey))
	if err != nil {
		return "", submitError(err)
	}
	cur := st[key(evType, stateKey)]
	if cur == nil || cur.Sender() != sender {
		return "", nil
	}
	a, errA := canonicaljson.Canonicalize(cur.Content())
	b, errB := canonicaljson.Canonicalize(content)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		return "", nil
	}
	return cur.EventID(), nil
}
