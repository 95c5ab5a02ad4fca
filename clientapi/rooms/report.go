package rooms

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

// maxReportReason bounds what a report stores.
const maxReportReason = 4096

func (r *Rooms) registerReport(c *mux.Router) {
	r.handle(c, http.MethodPost, "/rooms/{roomId}/report", r.reportRoom)
	r.handle(c, http.MethodPost, "/rooms/{roomId}/report/{eventId}", r.reportEvent)
}

// reportRequest is the body of both report endpoints. score, which v1.18
// removed from event reports (MSC4277), is not read: clients that still
// send it, of any type, are answered as if they had not.
type reportRequest struct {
	Reason *string `json:"reason"`
}

func decodeReport(req *http.Request, reasonRequired bool) (string, error) {
	var body reportRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return "", err
	}
	if body.Reason == nil {
		if reasonRequired {
			return "", errcode.MissingParam("missing reason")
		}
		return "", nil
	}
	if len(*body.Reason) > maxReportReason {
		return "", errcode.InvalidParam(fmt.Sprintf("reason is longer than %d bytes", maxReportReason))
	}
	return *body.Reason, nil
}

// reportRoom stores a report about a room for the server admins; the
// reporter need not be in it. An unknown room is 404: since v1.18 the spec
// lets servers answer 200 instead to hide which rooms exist, but room IDs
// are not guessable and the 404 tells a client its report went nowhere.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidreport
func (r *Rooms) reportRoom(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	reason, err := decodeReport(req, true)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	exists, err := r.roomExists(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, errcode.NotFound("the room was not found")
	}
	if err := r.storeReport(ctx, dev.UserID, roomID, "", reason); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// reportEvent stores a report about an event of a room the reporter is
// joined to. An unknown event, or a room the reporter is not joined to, is
// 404 as the spec lists (v1.18 also allows 200 there; see reportRoom).
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidreporteventid
func (r *Rooms) reportEvent(req *http.Request, dev *httpapi.Device) (any, error) {
	v := httpapi.Vars(req)
	roomID, eventID := v["roomId"], v["eventId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	reason, err := decodeReport(req, false)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	notFound := errcode.NotFound("the event was not found or you are not joined to the room")
	m, err := r.membership(ctx, roomID, dev.UserID)
	if err != nil {
		return nil, err
	}
	if m.Membership != membershipJoin {
		return nil, notFound
	}
	evs, err := r.rooms.Events(ctx, eventID)
	if err != nil {
		return nil, fmt.Errorf("reading reported event: %w", err)
	}
	if len(evs) == 0 || evs[0].RoomID() != roomID {
		return nil, notFound
	}
	if err := r.storeReport(ctx, dev.UserID, roomID, eventID, reason); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (r *Rooms) storeReport(ctx context.Context, reporter, roomID, eventID, reason string) error {
	_, err := r.db.Exec(ctx, `INSERT INTO reports (reporter, room_id, event_id, reason, received_ts) VALUES ($1, $2, $3, $4, $5)`,
		reporter, roomID, eventID, reason, nowMS())
	if err != nil {
		return fmt.Errorf("storing report on %s: %w", roomID, err)
	}
	return nil
}
