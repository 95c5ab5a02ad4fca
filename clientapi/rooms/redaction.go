package rooms

import (
	"encoding/json"
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// sendRedaction serves an m.room.redaction sent through
// PUT /rooms/{roomId}/send/m.room.redaction/{txnId}, which v1.18 requires
// for every room version (MSC4169). The content names the redacted event
// in redacts, as from room version 11; submitRedaction moves it to the top
// level of the event for older versions. Otherwise it is PUT /redact:
// the same checks, the same transactions, no guests.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid
func (r *Rooms) sendRedaction(req *http.Request, dev *httpapi.Device, roomID, txnID string, body json.RawMessage) (any, error) {
	if dev.IsGuest {
		return nil, errcode.GuestAccessForbidden("guest accounts cannot redact events")
	}
	fields, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	raw, ok := fields["redacts"]
	if !ok {
		return nil, errcode.MissingParam("an m.room.redaction needs redacts in its content")
	}
	var eventID string
	if err := json.Unmarshal(raw, &eventID); err != nil {
		return nil, errcode.BadJSON("redacts must be an event ID")
	}
	if _, err := id.ParseEventID(eventID); err != nil {
		return nil, errcode.InvalidParam("redacts is not a valid event ID")
	}
	delete(fields, "redacts")
	return r.submitRedaction(req, dev, roomID, eventID, txnID, fields)
}

// submitRedaction sends an m.room.redaction of eventID with content (which
// gains redacts from room version 11) as a transaction of the device.
func (r *Rooms) submitRedaction(req *http.Request, dev *httpapi.Device, roomID, eventID, txnID string, content map[string]json.RawMessage) (any, error) {
	sendToken, err := r.reserveSend(dev.UserID)
	if err != nil {
		return nil, err
	}
	defer sendToken.Cancel()
	ctx := req.Context()
	info, err := r.rooms.RoomInfo(ctx, roomID)
	if err != nil {
		return nil, r.sendError(req, roomID, dev.UserID, err)
	}
	rules, err := roomRules(info)
	if err != nil {
		return nil, err
	}
	if rules.ImplicitRoomCreator {
		// From room version 11 redacts lives in content.
		content["redacts"] = mustJSON(eventID)
	}
	res, err := r.rooms.Submit(ctx, api.SubmitRequest{
		RoomID: roomID, Type: typeRedaction, Sender: dev.UserID, Content: mustJSON(content), Redacts: eventID,
		Transaction: &api.Transaction{UserID: dev.UserID, DeviceID: dev.DeviceID, TxnID: txnID},
	})
	if err != nil {
		return nil, r.sendError(req, roomID, dev.UserID, err)
	}
	countSend(sendToken, res[0])
	return map[string]string{"event_id": res[0].EventID}, nil
}
