package accounts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// https://spec.matrix.org/latest/client-server-api/#account-registration-and-management
func (a *Accounts) registerAccount(r *mux.Router) {
	httpapi.HandleClient(r, http.MethodGet, "/account/whoami", httpapi.Authenticated(a, a.getWhoami), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodPost, "/account/password", httpapi.Authenticated(a, a.postPassword), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodPost, "/account/deactivate", httpapi.Authenticated(a, a.postDeactivate), httpapi.ClientR0V3)
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3accountwhoami
func (a *Accounts) getWhoami(_ *http.Request, device *httpapi.Device) (any, error) {
	return map[string]any{
		"user_id":   device.UserID,
		"device_id": device.DeviceID,
		"is_guest":  device.IsGuest,
	}, nil
}

// passwordOperation is a UIA operation confirmed with the caller's
// password. Guests have no password, and may not do these things.
func passwordOperation(kind string, device *httpapi.Device) (uiaOperation, error) {
	if device.IsGuest {
		return uiaOperation{}, errcode.GuestAccessForbidden("Guest access not allowed")
	}
	return uiaOperation{kind: kind, userID: device.UserID, flows: [][]string{{stagePassword}}}, nil
}

type passwordRequest struct {
	Auth          json.RawMessage `json:"auth"`
	NewPassword   *string         `json:"new_password"`
	LogoutDevices *bool           `json:"logout_devices"`
}

// postPassword changes the password and, unless logout_devices is false,
// logs out every other device.
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3accountpassword
func (a *Accounts) postPassword(r *http.Request, device *httpapi.Device) (any, error) {
	op, err := passwordOperation("password", device)
	if err != nil {
		return nil, err
	}
	var req passwordRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.NewPassword != nil {
		if err := validatePassword(*req.NewPassword); err != nil {
			return nil, err
		}
	}
	sess, challenge, err := a.interactiveAuth(r.Context(), op, req.Auth)
	if err != nil {
		return nil, err
	}
	if challenge != nil {
		return *challenge, nil
	}
	if req.NewPassword == nil {
		return nil, errcode.MissingParam("Missing param: new_password")
	}
	hash, err := a.hasher.hash(r.Context(), *req.NewPassword)
	if err != nil {
		return nil, err
	}
	logout := req.LogoutDevices == nil || *req.LogoutDevices
	err = a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		if ok, err := finishUIASession(ctx, tx, sess); err != nil || !ok {
			return orSessionUsed(err)
		}
		if err := setPassword(ctx, tx, device.UserID, hash); err != nil {
			return err
		}
		if logout {
			return a.deleteDevices(ctx, tx, device.UserID, nil, device.DeviceID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func orSessionUsed(err error) error {
	if err != nil {
		return err
	}
	return errSessionUsed()
}

func setPassword(ctx context.Context, tx *storage.Tx, userID, hash string) error {
	if _, err := tx.Exec(ctx, `UPDATE accounts_users SET password_hash = $1 WHERE user_id = $2`, hash, userID); err != nil {
		return fmt.Errorf("setting password of %s: %w", userID, err)
	}
	return nil
}

type deactivateRequest struct {
	Auth     json.RawMessage `json:"auth"`
	Erase    bool            `json:"erase"`
	IDServer string          `json:"id_server"`
}

// postDeactivate deactivates the caller's account for good: it leaves
// every room, can no longer log in, every device is logged out and the
// user ID is never given to anyone else. With erase the profile is
// blanked, the account data deleted, and users who join a room later are
// served the user's events redacted (the sync API, told through the
// erasure outbox).
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3accountdeactivate
func (a *Accounts) postDeactivate(r *http.Request, device *httpapi.Device) (any, error) {
	op, err := passwordOperation("deactivate", device)
	if err != nil {
		return nil, err
	}
	var req deactivateRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	sess, challenge, err := a.interactiveAuth(r.Context(), op, req.Auth)
	if err != nil {
		return nil, err
	}
	if challenge != nil {
		return *challenge, nil
	}
	// The rooms are left first, while the account still works: if that
	// fails the client can repeat the request, which it could not after
	// its devices are gone.
	if a.parter != nil {
		if err := a.parter.PartDeactivatedUser(r.Context(), device.UserID, req.Erase); err != nil {
			return nil, fmt.Errorf("leaving the rooms of %s: %w", device.UserID, err)
		}
	}
	if req.Erase {
		if err := a.eraseNonEventData(r.Context(), device.UserID); err != nil {
			return nil, err
		}
	}
	err = a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		if ok, err := finishUIASession(ctx, tx, sess); err != nil || !ok {
			return orSessionUsed(err)
		}
		if req.Erase {
			if err := a.enqueueErasure(ctx, tx, device.UserID); err != nil {
				return err
			}
		}
		return a.deactivate(ctx, tx, device.UserID)
	})
	if err != nil {
		return nil, err
	}
	if req.Erase {
		a.outbox.Notify()
	}
	a.log.InfoContext(r.Context(), "user deactivated", "user_id", device.UserID)
	// No identity server bindings are kept, so there is nothing to unbind.
	return map[string]string{"id_server_unbind_result": "no-support"}, nil
}

func (a *Accounts) deactivate(ctx context.Context, tx *storage.Tx, userID string) error {
	if _, err := tx.Exec(ctx, `UPDATE accounts_users SET deactivated = TRUE, password_hash = '' WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("deactivating %s: %w", userID, err)
	}
	return a.deleteDevices(ctx, tx, userID, nil, "")
}
