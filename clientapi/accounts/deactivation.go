package accounts

import (
	"context"
	"fmt"

	"github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/storage"
)

// outboxTable holds the erasures not yet on the bus.
const outboxTable = "accounts_outbox"

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

// SetAccountDataEraser wires the deletion of account data for erasures;
// without one (tools) the account data stays.
func (a *Accounts) SetAccountDataEraser(e api.AccountDataEraser) { a.eraser = e }

// eraseNonEventData deletes what the user stored that is not events: their
// account data. The spec asks for it with erase, as for contact 3PIDs, of
// which we keep none. It runs before the account is deactivated so a
// failure leaves an account that can repeat the request.
func (a *Accounts) eraseNonEventData(ctx context.Context, userID string) error {
	if a.eraser == nil {
		return nil
	}
	if err := a.eraser.EraseAccountData(ctx, userID); err != nil {
		return fmt.Errorf("erasing the account data of %s: %w", userID, err)
	}
	return nil
}

// enqueueErasure tells the sync API, in the deactivation transaction, to
// serve the user's events redacted to users who join later and forget its
// copy of their account data.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3accountdeactivate
func (a *Accounts) enqueueErasure(ctx context.Context, tx *storage.Tx, userID string) error {
	return a.outbox.Enqueue(ctx, tx, api.UserErased{Version: api.UserErasedVersion, UserID: userID})
}
