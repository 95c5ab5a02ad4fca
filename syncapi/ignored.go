package syncapi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	capi "github.com/ocomms/ocomms/clientapi/api"
)

// ignoredUsers is the user's m.ignored_user_list, from syncapi's copy of
// account data. Every read uses the current list, so a change takes effect
// at the next /sync, /messages or /context, as the spec asks; events
// missed while a user was ignored are not sent afterwards.
//
// https://spec.matrix.org/latest/client-server-api/#server-behaviour-15
func (s *SyncAPI) ignoredUsers(ctx context.Context, userID string) (map[string]bool, error) {
	var content string
	err := s.db.QueryRow(ctx, `SELECT content FROM syncapi_account_data WHERE user_id = $1 AND room_id = '' AND type = $2`,
		userID, capi.IgnoredUserListType).Scan(&content)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading the ignored users of %s: %w", userID, err)
	}
	return capi.IgnoredUsersOf([]byte(content)), nil
}

// invitedByIgnored reports whether the user's invite (the membership
// event in row) comes from a user they ignore: such invites are not sent.
func (s *SyncAPI) invitedByIgnored(ctx context.Context, ignored map[string]bool, row *stateRow) (bool, error) {
	if len(ignored) == 0 {
		return false, nil
	}
	ev, err := s.eventByID(ctx, row.eventID)
	if err != nil || ev == nil {
		return false, err
	}
	return ignored[ev.sender], nil
}
