package rooms

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ocomms/ocomms/spec/errcode"
)

// checkProfileLookup applies rooms.restrict_profile_lookups. Unrestricted
// (the default), anyone may read any profile, as Synapse does. Restricted,
// the caller must be authenticated and may read only the profiles the
// spec says a server must always serve: their own, those of users who
// share a room with them, and those of users joined to a room with a
// public join rule or world_readable history. Other look-ups, of unknown
// users too, answer 403 so that they do not tell which users exist.
//
// https://spec.matrix.org/latest/client-server-api/#profiles
func (r *Rooms) checkProfileLookup(req *http.Request, target string) error {
	if !r.cfg.Rooms.RestrictProfileLookups {
		return nil
	}
	dev, err := r.authenticate(req)
	if err != nil {
		return err
	}
	visible, err := r.profileVisible(req.Context(), dev.UserID, target)
	if err != nil {
		return err
	}
	if !visible {
		return errcode.Forbidden("You may not look up the profile of this user.")
	}
	return nil
}

// profileVisible tells whether target is visible to requester through
// their rooms: a shared room first, since that needs no room state.
func (r *Rooms) profileVisible(ctx context.Context, requester, target string) (bool, error) {
	if requester == target {
		return true, nil
	}
	targetRooms, err := r.rooms.RoomsOfUser(ctx, target, membershipJoin)
	if err != nil {
		return false, fmt.Errorf("listing rooms of %s: %w", target, err)
	}
	if len(targetRooms) == 0 {
		return false, nil
	}
	own, err := r.rooms.RoomsOfUser(ctx, requester, membershipJoin)
	if err != nil {
		return false, fmt.Errorf("listing rooms of %s: %w", requester, err)
	}
	shared := make(map[string]bool, len(own))
	for _, roomID := range own {
		shared[roomID] = true
	}
	for _, roomID := range targetRooms {
		if shared[roomID] {
			return true, nil
		}
	}
	for _, roomID := range targetRooms {
		st, err := r.currentState(ctx, roomID, key(typeJoinRules, ""), key(typeHistoryVisibility, ""))
		if err != nil {
			return false, err
		}
		if contentString(st[key(typeJoinRules, "")], "join_rule") == "public" ||
			contentString(st[key(typeHistoryVisibility, "")], "history_visibility") == "world_readable" {
			return true, nil
		}
	}
	return false, nil
}
