package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// The operations below serve the admin commands, which work straight on
// the database so that an operator can recover when every login path is
// broken.

// ErrUserNotFound is returned for a user ID that was never registered.
var ErrUserNotFound = errors.New("no such user")

// UserID turns what an operator typed, a localpart or a full user ID of
// this server, into the user ID.
func (a *Accounts) UserID(name string) (string, error) {
	if strings.HasPrefix(name, "@") {
		localpart, server, ok := strings.Cut(name[1:], ":")
		if !ok || server != a.cfg.ServerName {
			return "", fmt.Errorf("%s is not a user of this server (%s)", name, a.cfg.ServerName)
		}
		name = localpart
	}
	userID, err := a.localUserID(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, plain(err))
	}
	return userID, nil
}

// plain turns a client error into one for an operator: the message
// without the errcode.
func plain(err error) error {
	var e *errcode.Error
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
}

// CreateUser registers a user with a password. It answers an error
// wrapping the spec's M_USER_IN_USE when the name is taken.
func (a *Accounts) CreateUser(ctx context.Context, localpart, password string, admin bool) (string, error) {
	userID, err := a.UserID(localpart)
	if err != nil {
		return "", err
	}
	if err := validatePassword(password); err != nil {
		return "", plain(err)
	}
	hash, err := a.hasher.hash(ctx, password)
	if err != nil {
		return "", err
	}
	err = a.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		return insertUser(ctx, tx, user{userID: userID, passwordHash: hash, isAdmin: admin})
	})
	if errors.Is(err, errcode.CodeUserInUse) {
		return "", fmt.Errorf("%s already exists", userID)
	}
	return userID, err
}

// ResetPassword sets a new password and logs out every device of the
// user, so whoever knew the old one is locked out.
func (a *Accounts) ResetPassword(ctx context.Context, userID, password string) error {
	if err := validatePassword(password); err != nil {
		return plain(err)
	}
	hash, err := a.hasher.hash(ctx, password)
	if err != nil {
		return err
	}
	return a.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		u, found, err := getUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%s: %w", userID, ErrUserNotFound)
		}
		if u.deactivated {
			return fmt.Errorf("%s is deactivated", userID)
		}
		if err := setPassword(ctx, tx, userID, hash); err != nil {
			return err
		}
		return a.deleteDevices(ctx, tx, userID, nil, "")
	})
}

// SetAdmin grants or revokes server admin rights.
func (a *Accounts) SetAdmin(ctx context.Context, userID string, admin bool) error {
	res, err := a.db.Exec(ctx, `UPDATE accounts_users SET is_admin = $1 WHERE user_id = $2`, admin, userID)
	if err != nil {
		return fmt.Errorf("setting admin of %s: %w", userID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("%s: %w", userID, ErrUserNotFound)
	}
	return nil
}
