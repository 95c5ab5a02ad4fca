package accounts

import "context"

// RoomParter removes a deactivated user from the rooms side: it leaves
// every room they are joined to, invited to or knocking on, and takes
// their profile out of what others can find. It is implemented by the room
// endpoints, whose tables accounts never reads, and wired when the server
// is assembled.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3accountdeactivate
type RoomParter interface {
	// PartDeactivatedUser must be safe to repeat: a deactivation that
	// fails after it ran is retried from the start.
	PartDeactivatedUser(ctx context.Context, userID string, erase bool) error
}

// SetRoomParter wires the room side of deactivation; without one (tools
// that only manage accounts) deactivation touches accounts only.
func (a *Accounts) SetRoomParter(p RoomParter) { a.parter = p }
