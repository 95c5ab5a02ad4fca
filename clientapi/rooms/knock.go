package rooms

import (
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
)

// knock asks to be let into a room whose join rule is knock (room versions
// 7 and later). The auth rules decide whether the knock is allowed: the
// join rule, and that the user is not already joined, invited or banned.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3knockroomidoralias
func (r *Rooms) knock(req *http.Request, dev *httpapi.Device) (any, error) {
	via, err := viaServers(req.URL.Query())
	if err != nil {
		return nil, err
	}
	var body joinRequest
	if err := decodeOptionalBody(req, &body); err != nil {
		return nil, err
	}
	ctx := req.Context()
	roomID, err := r.roomIDOrAlias(ctx, httpapi.Vars(req)["roomIdOrAlias"])
	if err != nil {
		return nil, err
	}
	exists, err := r.roomExists(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, unknownRoom(via)
	}
	content, err := r.memberContent(ctx, dev.UserID, membershipKnock, body.Reason, nil)
	if err != nil {
		return nil, err
	}
	if _, err := r.rooms.Submit(ctx, api.SubmitRequest{
		RoomID: roomID, Type: typeMember, StateKey: strPtr(dev.UserID), Sender: dev.UserID, Content: content,
	}); err != nil {
		return nil, submitError(err)
	}
	return map[string]string{"room_id": roomID}, nil
}
