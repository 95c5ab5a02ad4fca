package rooms

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

// roomSummary is the answer of GET /v1/room_summary: the hierarchy's
// description of a room without its children, and the caller's membership.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1room_summaryroomidoralias
type roomSummary struct {
	roomDescription
	Membership string `json:"membership,omitempty"`
}

func (r *Rooms) registerRoomSummary(c *mux.Router) {
	httpapi.HandleClient(c, http.MethodGet, "/room_summary/{roomIdOrAlias}", httpapi.HandlerFunc(r.getRoomSummary), httpapi.ClientV1)
}

// getRoomSummary describes a room to someone deciding whether to join it.
// Members (joined, invited or knocking) and those who may preview it in a
// space hierarchy (canPreviewAs) see it; without an access token, only rooms
// anyone could find out about: join rule public, knock or knock_restricted,
// or world-readable history, as the spec lets servers allow. Every other
// room is 404, so the answer does not tell whether a hidden room exists.
// Rooms only other servers are in would need a federated summary request
// (through via), which this server does not make; via is still checked.
func (r *Rooms) getRoomSummary(req *http.Request) (any, error) {
	dev, err := r.optionalDevice(req)
	if err != nil {
		return nil, err
	}
	if _, err := viaServers(req.URL.Query()); err != nil {
		return nil, err
	}
	ctx := req.Context()
	notFound := errcode.NotFound("room not found")
	roomID, err := r.roomIDOrAlias(ctx, httpapi.Vars(req)["roomIdOrAlias"])
	if err != nil {
		return nil, err
	}
	room, err := r.spaceRoom(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if room == nil {
		return nil, notFound
	}
	var membership string
	if dev != nil {
		m, err := r.membership(ctx, roomID, dev.UserID)
		if err != nil {
			return nil, err
		}
		membership = m.Membership
		if membership == "" {
			membership = membershipLeave
		}
	}
	if ok, err := r.canSummarise(ctx, room, dev, membership); err != nil || !ok {
		if err == nil {
			err = notFound
		}
		return nil, err
	}
	return roomSummary{roomDescription: describeRoom(room), Membership: membership}, nil
}

// canSummarise tells whether the caller (nil without an access token) may
// see the room's summary.
func (r *Rooms) canSummarise(ctx context.Context, room *spaceRoomState, dev *httpapi.Device, membership string) (bool, error) {
	if dev == nil {
		return openToPreview(room.state), nil
	}
	if membership == membershipKnock {
		return true, nil
	}
	return r.canPreviewAs(ctx, room, dev.UserID, membership)
}

// optionalDevice authenticates a request that may also come without an
// access token (nil then). A token that is given must be valid.
func (r *Rooms) optionalDevice(req *http.Request) (*httpapi.Device, error) {
	if req.Header.Get("Authorization") == "" && !req.URL.Query().Has("access_token") {
		return nil, nil
	}
	return r.authenticate(req)
}

// authenticate is the device of the request's access token, for handlers
// mounted without one required.
func (r *Rooms) authenticate(req *http.Request) (*httpapi.Device, error) {
	token, err := httpapi.AccessToken(req)
	if err != nil {
		return nil, err
	}
	return r.authn.Authenticate(req.Context(), token, req)
}
