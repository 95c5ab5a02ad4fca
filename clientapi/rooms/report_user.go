package rooms

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
)

func (r *Rooms) registerUserReport(c *mux.Router) {
	r.handle(c, http.MethodPost, "/users/{userId}/report", r.reportUser)
}

// reportUser stores a report about a user for the server admins, next to
// the room and event reports. It answers 200 whether or not the user
// exists, as the spec allows, so reports cannot probe for accounts; a
// report of a local user who does not exist is dropped.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3usersuseridreport
func (r *Rooms) reportUser(req *http.Request, dev *httpapi.Device) (any, error) {
	uid, err := id.ParseUserID(httpapi.Vars(req)["userId"])
	if err != nil {
		return nil, errcode.InvalidParam("invalid user ID")
	}
	reason, err := decodeReport(req, true)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	if string(uid.ServerName()) == r.cfg.ServerName && r.users != nil {
		exists, err := r.users.UserExists(ctx, string(uid))
		if err != nil {
			return nil, fmt.Errorf("looking up reported user: %w", err)
		}
		if !exists {
			return struct{}{}, nil
		}
	}
	_, err = r.db.Exec(ctx, `INSERT INTO reports (reporter, room_id, event_id, reported_user, reason, received_ts)
		VALUES ($1, '', '', $2, $3, $4)`, dev.UserID, string(uid), reason, nowMS())
	if err != nil {
		return nil, fmt.Errorf("storing report on %s: %w", uid, err)
	}
	return struct{}{}, nil
}
