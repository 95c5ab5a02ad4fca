package accounts

import "context"

// UserExists reports whether the local user ID was ever registered. The
// room endpoints use it to answer 404 for profiles of unknown users.
func (a *Accounts) UserExists(ctx context.Context, userID string) (bool, error) {
	return userExists(ctx, a.db, userID)
}
