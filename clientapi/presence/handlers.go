package presence

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

// maxStatusMsg bounds a status message, which goes to everyone sharing a
// room with the user.
const maxStatusMsg = 4096

// Register mounts the endpoints.
func (p *Presence) Register(routes httpapi.Routes) {
	httpapi.HandleClient(routes.Client, http.MethodPut, "/presence/{userId}/status",
		httpapi.Authenticated(p.authn, p.putStatus), httpapi.ClientR0V3)
	httpapi.HandleClient(routes.Client, http.MethodGet, "/presence/{userId}/status",
		httpapi.Authenticated(p.authn, p.getStatus), httpapi.ClientR0V3)
}

type statusRequest struct {
	Presence  *string `json:"presence"`
	StatusMsg *string `json:"status_msg"`
}

// putStatus serves PUT /presence/{userId}/status, only for oneself. With
// presence disabled it is accepted and changes nothing, as in Synapse.
//
// https://spec.matrix.org/latest/client-server-api/#put_matrixclientv3presenceuseridstatus
func (p *Presence) putStatus(r *http.Request, dev *httpapi.Device) (any, error) {
	if httpapi.Vars(r)["userId"] != dev.UserID {
		return nil, errcode.Forbidden("cannot set the presence of another user")
	}
	var body statusRequest
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if body.Presence == nil {
		return nil, errcode.MissingParam("presence is required")
	}
	switch *body.Presence {
	case clientapi.PresenceOnline, clientapi.PresenceUnavailable, clientapi.PresenceOffline:
	default:
		return nil, errcode.InvalidParam("presence must be online, unavailable or offline")
	}
	if body.StatusMsg != nil && len(*body.StatusMsg) > maxStatusMsg {
		return nil, errcode.InvalidParam(fmt.Sprintf("status_msg is longer than %d bytes", maxStatusMsg))
	}
	if !p.cfg.Enabled {
		return struct{}{}, nil
	}
	if err := p.set(r.Context(), dev.UserID, *body.Presence, body.StatusMsg); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type statusResponse struct {
	Presence        string  `json:"presence"`
	LastActiveAgo   *int64  `json:"last_active_ago,omitempty"`
	StatusMsg       *string `json:"status_msg,omitempty"`
	CurrentlyActive *bool   `json:"currently_active,omitempty"`
}

// getStatus serves GET /presence/{userId}/status for oneself and for
// users one shares a room with; anyone else's is M_FORBIDDEN, as in
// Synapse. With presence disabled everyone is offline.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3presenceuseridstatus
func (p *Presence) getStatus(r *http.Request, dev *httpapi.Device) (any, error) {
	userID := httpapi.Vars(r)["userId"]
	if _, err := id.ParseUserID(userID); err != nil {
		return nil, errcode.InvalidParam("invalid user ID")
	}
	ctx := r.Context()
	if userID != dev.UserID {
		if p.users != nil {
			exists, err := p.users.UserExists(ctx, userID)
			if err != nil {
				return nil, err
			}
			if !exists {
				return nil, errcode.NotFound("unknown user")
			}
		}
		shared, err := p.shareRoom(ctx, dev.UserID, userID)
		if err != nil {
			return nil, err
		}
		if !shared {
			return nil, errcode.Forbidden("you are not allowed to see their presence")
		}
	}
	if !p.cfg.Enabled {
		return statusResponse{Presence: clientapi.PresenceOffline}, nil
	}
	var st state
	err := p.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		var err error
		st, err = load(ctx, tx, userID)
		return err
	}, storage.ReadOnly())
	if err != nil {
		return nil, err
	}
	resp := statusResponse{Presence: st.presence, StatusMsg: st.statusMsg}
	if st.lastActive > 0 {
		now := time.Now()
		ago := max(now.UnixMilli()-st.lastActive, 0)
		active := st.currentlyActive(now)
		resp.LastActiveAgo, resp.CurrentlyActive = &ago, &active
	}
	return resp, nil
}

// shareRoom reports whether both users are joined to one room.
func (p *Presence) shareRoom(ctx context.Context, a, b string) (bool, error) {
	mine, err := p.rooms.RoomsOfUser(ctx, a, "join")
	if err != nil {
		return false, err
	}
	theirs, err := p.rooms.RoomsOfUser(ctx, b, "join")
	if err != nil {
		return false, err
	}
	joined := make(map[string]bool, len(mine))
	for _, r := range mine {
		joined[r] = true
	}
	return slices.ContainsFunc(theirs, func(r string) bool { return joined[r] }), nil
}
