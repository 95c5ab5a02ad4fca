package receipts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

func (r *Receipts) registerReadMarkers(routes httpapi.Routes) {
	// Guests may set read markers (the spec's list of guest endpoints).
	httpapi.HandleClient(routes.Client, http.MethodPost, "/rooms/{roomId}/read_markers",
		httpapi.Authenticated(r.authn, r.postReadMarkers), httpapi.ClientR0V3)
}

// readMarkers is the body of POST /read_markers: each field optional.
type readMarkers struct {
	FullyRead   *string `json:"m.fully_read"`
	Read        *string `json:"m.read"`
	ReadPrivate *string `json:"m.read.private"`
}

// postReadMarkers moves the read marker and the read receipts in one
// call. Every event is checked before anything is stored, so a request
// with one bad event ID changes nothing.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3roomsroomidread_markers
func (r *Receipts) postReadMarkers(req *http.Request, dev *httpapi.Device) (any, error) {
	roomID := httpapi.Vars(req)["roomId"]
	if _, err := id.ParseRoomID(roomID); err != nil {
		return nil, errcode.InvalidParam("invalid room ID")
	}
	var body readMarkers
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return nil, err
	}
	marks := []struct {
		name string
		id   *string
	}{{typeFullyRead, body.FullyRead}, {typeRead, body.Read}, {typeReadPrivate, body.ReadPrivate}}
	ctx := req.Context()
	for _, m := range marks {
		if m.id == nil {
			continue
		}
		if _, err := id.ParseEventID(*m.id); err != nil {
			return nil, errcode.InvalidParam(fmt.Sprintf("%s must be an event ID", m.name))
		}
		if err := r.checkReadable(ctx, roomID, *m.id, dev.UserID); err != nil {
			return nil, err
		}
	}
	if body.FullyRead != nil {
		if err := r.setFullyRead(ctx, dev.UserID, roomID, *body.FullyRead); err != nil {
			return nil, err
		}
	}
	for _, m := range marks[1:] {
		if m.id != nil {
			if err := r.storeReceipt(ctx, dev.UserID, roomID, m.name, *m.id, ""); err != nil {
				return nil, err
			}
		}
	}
	return struct{}{}, nil
}

// setFullyRead stores the read marker as the room's m.fully_read account
// data, which clients read back from /sync.
//
// https://spec.matrix.org/latest/client-server-api/#fully-read-markers
func (r *Receipts) setFullyRead(ctx context.Context, userID, roomID, eventID string) error {
	content, err := json.Marshal(map[string]string{"event_id": eventID})
	if err != nil {
		return fmt.Errorf("encoding the read marker: %w", err)
	}
	if err := r.accountData.SetRoomAccountData(ctx, userID, roomID, typeFullyRead, content); err != nil {
		return fmt.Errorf("storing the read marker: %w", err)
	}
	return nil
}
