package rooms

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ocomms/ocomms/spec/errcode"
)

// InvitePermissions tells whether a local user blocks every invite to them
// with m.invite_permission_config account data. The account data component
// implements it (clientapi/api.AccountData); the rooms never read its
// tables.
//
// https://spec.matrix.org/latest/client-server-api/#invite-permission
type InvitePermissions interface {
	InvitesBlocked(ctx context.Context, userID string) (bool, error)
}

// SetInvitePermissions makes invites honour invite blocking (v1.18,
// MSC4380). It is set once at startup, before requests are served.
func (r *Rooms) SetInvitePermissions(p InvitePermissions) { r.invitePerms = p }

// requireInviteAllowed answers 403 M_INVITE_BLOCKED when the local invitee
// blocks invites: POST /invite, the invite list of POST /createRoom and
// PUT /state/m.room.member with membership invite all ask it before
// anything is written.
func (r *Rooms) requireInviteAllowed(ctx context.Context, invitee string) error {
	if r.invitePerms == nil {
		return nil
	}
	blocked, err := r.invitePerms.InvitesBlocked(ctx, invitee)
	if err != nil {
		return fmt.Errorf("invite permission of %s: %w", invitee, err)
	}
	if blocked {
		return errcode.InviteBlocked(invitee + " does not accept invites")
	}
	return nil
}

// isInvite reports whether m.room.member content invites its state key.
func isInvite(content json.RawMessage) bool {
	var c struct {
		Membership any `json:"membership"`
	}
	return json.Unmarshal(content, &c) == nil && c.Membership == membershipInvite
}
