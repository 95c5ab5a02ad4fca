package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	capi "github.com/ocomms/ocomms/clientapi/api"
)

// globalAccountData reads the user's global account data of evType from
// syncapi's copy, nil when there is none.
func (s *SyncAPI) globalAccountData(ctx context.Context, userID, evType string) ([]byte, error) {
	var content string
	err := s.db.QueryRow(ctx, `SELECT content FROM syncapi_account_data WHERE user_id = $1 AND room_id = '' AND type = $2`,
		userID, evType).Scan(&content)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s of %s: %w", evType, userID, err)
	}
	return []byte(content), nil
}

// ignoredUsers is the user's m.ignored_user_list, from syncapi's copy of
// account data. Every read uses the current list, so a change takes effect
// at the next /sync, /messages or /context, as the spec asks; events
// missed while a user was ignored are not sent afterwards.
//
// https://spec.matrix.org/latest/client-server-api/#server-behaviour-15
func (s *SyncAPI) ignoredUsers(ctx context.Context, userID string) (map[string]bool, error) {
	content, err := s.globalAccountData(ctx, userID, capi.IgnoredUserListType)
	if err != nil || content == nil {
		return nil, err
	}
	return capi.IgnoredUsersOf(content), nil
}

// hiddenInvite reports whether the user's invite (the membership event in
// row) is kept out of their syncs: it comes from a user they ignore, or
// their m.invite_permission_config blocks every invite. Blocked invites
// already stored must not be served (v1.18, MSC4380); they come back in
// the first initial sync after the block is lifted, which the spec allows.
//
// https://spec.matrix.org/latest/client-server-api/#invite-permission
func (s *SyncAPI) hiddenInvite(ctx context.Context, sc *syncContext, row *stateRow) (bool, error) {
	blocked, err := s.invitesBlocked(ctx, sc, row.stateKey)
	if err != nil || blocked {
		return blocked, err
	}
	if len(sc.ignored) == 0 {
		return false, nil
	}
	ev, err := s.eventByID(ctx, row.eventID)
	if err != nil || ev == nil {
		return false, err
	}
	return sc.ignored[ev.sender], nil
}

// invitesBlocked reads whether the user's m.invite_permission_config
// blocks every invite, once per sync: only a sync that has an invite to
// show pays for it, and only once however many invites it has.
func (s *SyncAPI) invitesBlocked(ctx context.Context, sc *syncContext, userID string) (bool, error) {
	if sc.invitesBlocked != nil {
		return *sc.invitesBlocked, nil
	}
	perm, err := s.globalAccountData(ctx, userID, capi.InvitePermissionConfigType)
	if err != nil {
		return false, err
	}
	blocked := perm != nil && capi.InvitesBlockedBy(perm)
	sc.invitesBlocked = &blocked
	return blocked, nil
}
