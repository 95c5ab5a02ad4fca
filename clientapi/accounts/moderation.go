package accounts

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

// moderationFlag is one reversible restriction of an account: its column
// in accounts_users and its JSON name in the admin API, which are the
// same word.
type moderationFlag string

const (
	flagLocked    moderationFlag = "locked"
	flagSuspended moderationFlag = "suspended"
)

// registerModeration mounts the admin endpoints that lock and suspend
// local accounts.
//
// https://spec.matrix.org/latest/client-server-api/#server-administration
func (a *Accounts) registerModeration(r *mux.Router) {
	for path, flag := range map[string]moderationFlag{"/admin/lock/{userId}": flagLocked, "/admin/suspend/{userId}": flagSuspended} {
		httpapi.HandleClient(r, http.MethodGet, path, a.admin(a.getModeration(flag)), httpapi.ClientV1)
		httpapi.HandleClient(r, http.MethodPut, path, a.admin(a.putModeration(flag)), httpapi.ClientV1)
	}
}

// moderationTarget checks the path's user, after a.admin has checked the
// caller, so no one else can probe which accounts exist. Other admins
// cannot be moderated, and an admin cannot change their own flags.
func (a *Accounts) moderationTarget(ctx context.Context, r *http.Request, caller *httpapi.Device, changing bool) (user, error) {
	uid, err := id.ParseUserID(httpapi.Vars(r)["userId"])
	if err != nil {
		return user{}, errcode.InvalidParam("invalid user ID")
	}
	if string(uid.ServerName()) != a.cfg.ServerName {
		return user{}, errcode.InvalidParam("User does not belong to the local server.")
	}
	u, found, err := getUser(ctx, a.db, string(uid))
	if err != nil {
		return user{}, err
	}
	if !found || u.deactivated {
		return user{}, errcode.NotFound("User not found.")
	}
	if u.userID == caller.UserID {
		if changing {
			return user{}, errcode.Forbidden("You cannot change the moderation state of your own account.")
		}
		return u, nil
	}
	if u.isAdmin {
		return user{}, errcode.Forbidden("The target user is a server administrator.")
	}
	return u, nil
}

// flag is u's value of f, as moderationTarget read it.
func (u user) flag(f moderationFlag) bool {
	if f == flagLocked {
		return u.locked
	}
	return u.suspended
}

func (a *Accounts) getModeration(flag moderationFlag) httpapi.AuthedHandlerFunc {
	return func(r *http.Request, caller *httpapi.Device) (any, error) {
		u, err := a.moderationTarget(r.Context(), r, caller, false)
		if err != nil {
			return nil, err
		}
		return map[string]bool{string(flag): u.flag(flag)}, nil
	}
}

func (a *Accounts) putModeration(flag moderationFlag) httpapi.AuthedHandlerFunc {
	return func(r *http.Request, caller *httpapi.Device) (any, error) {
		target, err := a.moderationTarget(r.Context(), r, caller, true)
		if err != nil {
			return nil, err
		}
		userID := target.userID
		var body map[string]any
		if err := httpapi.DecodeJSON(r, &body); err != nil {
			return nil, err
		}
		raw, present := body[string(flag)]
		if !present {
			return nil, errcode.MissingParam("missing " + string(flag))
		}
		on, ok := raw.(bool)
		if !ok {
			return nil, errcode.BadJSON(string(flag) + " must be a boolean")
		}
		if err := a.setModeration(r.Context(), userID, flag, on); err != nil {
			return nil, err
		}
		a.log.InfoContext(r.Context(), "account moderation changed", "user_id", userID, string(flag), on, "by", caller.UserID)
		return map[string]bool{string(flag): on}, nil
	}
}

// setModeration sets one flag. Sessions are kept either way: the spec
// wants a locked client to resume as it was once unlocked.
func (a *Accounts) setModeration(ctx context.Context, userID string, flag moderationFlag, on bool) error {
	if _, err := a.db.Exec(ctx, `UPDATE accounts_users SET `+string(flag)+` = $1 WHERE user_id = $2`, on, userID); err != nil {
		return fmt.Errorf("setting %s of %s: %w", flag, userID, err)
	}
	return nil
}

// errLocked is the answer to every request of a locked account but logout.
//
// https://spec.matrix.org/latest/client-server-api/#account-locking
func errLocked() error { return errcode.UserLocked("This account has been locked") }

// refuseLocked answers M_USER_LOCKED for a locked account, which may not
// obtain a new access token until it is unlocked.
func refuseLocked(ctx context.Context, q storage.Querier, userID string) error {
	u, _, err := getUser(ctx, q, userID)
	if err != nil {
		return err
	}
	if u.locked {
		return errLocked()
	}
	return nil
}

// lockedAllowed authenticates the two endpoints a locked account may still
// use, POST /logout and /logout/all, so it can end its sessions.
type lockedAllowed struct{ a *Accounts }

func (l lockedAllowed) Authenticate(ctx context.Context, token string, r *http.Request) (*httpapi.Device, error) {
	return l.a.authenticate(ctx, token, r, true)
}
