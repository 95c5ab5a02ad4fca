package rooms

import (
	"context"
	"errors"
	"fmt"

	"github.com/ocomms/ocomms/roomserver/api"
)

// PartDeactivatedUser leaves, for a user whose account is being
// deactivated, every room they are joined to, rejects their invites and
// withdraws their knocks, each through the roomserver as /leave does. Bans
// stay: they are the moderators' decision. With erase the display name
// and avatar become empty, as Synapse erases them, before the leaves so no
// event carries the old ones. The user is dropped from the user directory.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3accountdeactivate
func (r *Rooms) PartDeactivatedUser(ctx context.Context, userID string, erase bool) error {
	if erase {
		empty := ""
		if err := r.storeProfile(ctx, userID, profile{Displayname: &empty, AvatarURL: &empty}); err != nil {
			return err
		}
	}
	// The leaves take the user out of the directory as the consumer
	// reads them; this takes them out at once.
	if _, err := r.db.Exec(ctx, `DELETE FROM user_directory_members WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("dropping %s from the user directory: %w", userID, err)
	}
	var errs []error
	for _, membership := range []string{membershipJoin, membershipInvite, membershipKnock} {
		roomIDs, err := r.rooms.RoomsOfUser(ctx, userID, membership)
		if err != nil {
			return fmt.Errorf("listing rooms where %s is %s: %w", userID, membership, err)
		}
		for _, roomID := range roomIDs {
			// One room failing must not keep the user in the others.
			if err := r.partRoom(ctx, roomID, userID); err != nil {
				errs = append(errs, fmt.Errorf("leaving %s: %w", roomID, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (r *Rooms) partRoom(ctx context.Context, roomID, userID string) error {
	content, err := r.memberContent(ctx, userID, membershipLeave, "", nil)
	if err != nil {
		return err
	}
	_, err = r.rooms.Submit(ctx, api.SubmitRequest{
		RoomID: roomID, Type: typeMember, StateKey: strPtr(userID), Sender: userID, Content: content,
	})
	return err
}
