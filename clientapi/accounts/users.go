package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

// user is a row of accounts_users.
type user struct {
	userID       string
	passwordHash string
	isAdmin      bool
	isGuest      bool
	deactivated  bool
	locked       bool
	suspended    bool
}

func getUser(ctx context.Context, q storage.Querier, userID string) (user, bool, error) {
	u := user{userID: userID}
	err := q.QueryRow(ctx, `SELECT password_hash, is_admin, is_guest, deactivated, locked, suspended FROM accounts_users WHERE user_id = $1`, userID).
		Scan(&u.passwordHash, &u.isAdmin, &u.isGuest, &u.deactivated, &u.locked, &u.suspended)
	if errors.Is(err, sql.ErrNoRows) {
		return user{}, false, nil
	}
	if err != nil {
		return user{}, false, fmt.Errorf("reading user %s: %w", userID, err)
	}
	return u, true, nil
}

// insertUser creates the account, answering M_USER_IN_USE when the ID is
// taken (also by a deactivated account: user IDs are never reused).
func insertUser(ctx context.Context, tx *storage.Tx, u user) error {
	_, err := tx.Exec(ctx, `INSERT INTO accounts_users (user_id, password_hash, is_admin, is_guest, created_ts)
		VALUES ($1, $2, $3, $4, $5)`, u.userID, u.passwordHash, u.isAdmin, u.isGuest, nowMs())
	if storage.IsUniqueViolation(err) {
		return errcode.UserInUse("User ID already taken.")
	}
	if err != nil {
		return fmt.Errorf("creating user %s: %w", u.userID, err)
	}
	return nil
}

// userExists reports whether the user ID was ever registered.
func userExists(ctx context.Context, q storage.Querier, userID string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT 1 FROM accounts_users WHERE user_id = $1`, userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking user %s: %w", userID, err)
	}
	return true, nil
}

// localUserID turns a localpart chosen by a client into this server's
// user ID. Localparts are case-folded first, as Synapse does, so "Alice"
// registers @alice. Numeric localparts are left to guests, whose IDs are
// numbers, and a leading underscore is reserved for the server and
// application services.
// https://spec.matrix.org/latest/appendices/#user-identifiers
func (a *Accounts) localUserID(localpart string) (string, error) {
	localpart = strings.ToLower(localpart)
	if strings.HasPrefix(localpart, "_") {
		return "", errcode.InvalidUsername("User ID may not begin with _")
	}
	if strings.Trim(localpart, "0123456789") == "" && localpart != "" {
		return "", errcode.InvalidUsername("Numeric user IDs are reserved for guest users.")
	}
	uid, err := id.NewUserID(localpart, id.ServerName(a.cfg.ServerName))
	if err != nil {
		if localpart != "" && id.ValidateLocalpart(localpart) == nil {
			return "", errcode.InvalidUsername("User ID is too long.")
		}
		return "", errcode.InvalidUsername("User ID can only contain characters a-z, 0-9, or '=_-./+'")
	}
	return string(uid), nil
}
