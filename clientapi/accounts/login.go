package accounts

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/ratelimit"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/spec/id"
	"github.com/ocomms/ocomms/storage"
)

const loginTypePassword = "m.login.password"

// maxDeviceDisplayName is Synapse's limit; longer names are refused
// rather than cut, so the client knows.
const maxDeviceDisplayName = 100

// https://spec.matrix.org/latest/client-server-api/#login
func (a *Accounts) registerLogin(r *mux.Router) {
	httpapi.HandleClient(r, http.MethodGet, "/login", httpapi.HandlerFunc(a.getLogin), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodPost, "/login", httpapi.HandlerFunc(a.postLogin), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodPost, "/logout", httpapi.Authenticated(a, a.postLogout), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodPost, "/logout/all", httpapi.Authenticated(a, a.postLogoutAll), httpapi.ClientR0V3)
}

func (a *Accounts) getLogin(*http.Request) (any, error) {
	return map[string]any{"flows": []map[string]string{{"type": loginTypePassword}}}, nil
}

// userIdentifier is the spec's identifier object; only m.id.user is
// supported (no third-party IDs are stored).
// https://spec.matrix.org/latest/client-server-api/#identifier-types
type userIdentifier struct {
	Type string `json:"type"`
	User string `json:"user"`
}

type loginRequest struct {
	Type                     string          `json:"type"`
	Identifier               *userIdentifier `json:"identifier"`
	User                     string          `json:"user"` // deprecated, still sent by older clients
	Password                 *string         `json:"password"`
	DeviceID                 *string         `json:"device_id"`
	InitialDeviceDisplayName *string         `json:"initial_device_display_name"`
	RefreshToken             bool            `json:"refresh_token"`
}

type loginResponse struct {
	UserID       string `json:"user_id"`
	AccessToken  string `json:"access_token"`
	DeviceID     string `json:"device_id"`
	HomeServer   string `json:"home_server"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresInMs  int64  `json:"expires_in_ms,omitempty"`
}

func (a *Accounts) postLogin(r *http.Request) (any, error) {
	if err := a.loginByIP.Check(ratelimit.ClientIP(r)); err != nil {
		return nil, err
	}
	var req loginRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.Type != loginTypePassword {
		return nil, errcode.New(errcode.CodeUnknown, "Unknown login type").WithStatus(http.StatusBadRequest)
	}
	if err := validateDeviceOptions(req.DeviceID, req.InitialDeviceDisplayName); err != nil {
		return nil, err
	}
	userID, err := a.identifiedUser(req.Identifier, req.User)
	if err != nil {
		return nil, err
	}
	if req.Password == nil {
		return nil, errcode.MissingParam("Missing parameter: password")
	}
	if err := a.loginByUser.Check(userID); err != nil {
		return nil, err
	}
	u, err := a.checkPassword(r.Context(), userID, *req.Password)
	if err != nil {
		return nil, err
	}
	if u.deactivated {
		return nil, errcode.UserDeactivated("This account has been deactivated")
	}
	opts := deviceOptions{DisplayName: req.InitialDeviceDisplayName, Refreshable: req.RefreshToken}
	if req.DeviceID != nil {
		opts.DeviceID = *req.DeviceID
	}
	var s session
	err = a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		s, err = a.startSession(ctx, tx, userID, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return loginResponse{
		UserID: userID, AccessToken: s.AccessToken, DeviceID: s.DeviceID, HomeServer: a.cfg.ServerName,
		RefreshToken: s.RefreshToken, ExpiresInMs: s.ExpiresInMs,
	}, nil
}

// identifiedUser resolves the m.id.user identifier (or the deprecated
// top-level user field) to a local user ID. A full user ID of another
// server cannot log in here.
func (a *Accounts) identifiedUser(ident *userIdentifier, legacyUser string) (string, error) {
	name := legacyUser
	if ident != nil {
		if ident.Type != "m.id.user" {
			return "", errcode.New(errcode.CodeUnknown, "Unknown login identifier type").WithStatus(http.StatusBadRequest)
		}
		name = ident.User
	}
	if name == "" {
		return "", errcode.MissingParam("Missing user identifier")
	}
	localpart := name
	if strings.HasPrefix(name, "@") {
		uid, err := id.ParseUserID(name)
		if err != nil {
			return "", errcode.InvalidParam("Invalid user ID")
		}
		if string(uid.ServerName()) != a.cfg.ServerName {
			return "", errcode.Forbidden("Invalid username or password")
		}
		localpart = uid.Localpart()
	}
	return "@" + strings.ToLower(localpart) + ":" + a.cfg.ServerName, nil
}

// checkPassword answers 403 M_FORBIDDEN for an unknown user and a wrong
// password alike, taking the same time for both.
func (a *Accounts) checkPassword(ctx context.Context, userID, password string) (user, error) {
	wrong := errcode.Forbidden("Invalid username or password")
	u, found, err := getUser(ctx, a.db, userID)
	if err != nil {
		return user{}, err
	}
	if !found || u.passwordHash == "" {
		a.hasher.burn(ctx)
		return user{}, wrong
	}
	ok, outdated, err := a.hasher.verify(ctx, u.passwordHash, password)
	if err != nil {
		return user{}, fmt.Errorf("checking password of %s: %w", userID, err)
	}
	if !ok {
		return user{}, wrong
	}
	if outdated {
		a.rehash(ctx, userID, u.passwordHash, password)
	}
	return u, nil
}

// rehash stores the password again with the current parameters. It only
// replaces the hash it verified, so a concurrent password change wins.
func (a *Accounts) rehash(ctx context.Context, userID, old, password string) {
	hash, err := a.hasher.hash(ctx, password)
	if err == nil {
		_, err = a.db.Exec(ctx, `UPDATE accounts_users SET password_hash = $1 WHERE user_id = $2 AND password_hash = $3`, hash, userID, old)
	}
	if err != nil {
		a.log.WarnContext(ctx, "upgrading password hash", "user_id", userID, "error", err)
	}
}

func validateDeviceOptions(deviceID, displayName *string) error {
	if deviceID != nil && (*deviceID == "" || len(*deviceID) > 255) {
		return errcode.InvalidParam("device_id must be 1 to 255 characters")
	}
	if displayName != nil && len(*displayName) > maxDeviceDisplayName {
		return errcode.InvalidParam(fmt.Sprintf("Device display name is too long (max %d)", maxDeviceDisplayName))
	}
	return nil
}

// postLogout ends the caller's session and deletes its device, as the
// spec requires.
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3logout
func (a *Accounts) postLogout(r *http.Request, device *httpapi.Device) (any, error) {
	err := a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		return deleteDevices(ctx, tx, device.UserID, []string{device.DeviceID}, "")
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3logoutall
func (a *Accounts) postLogoutAll(r *http.Request, device *httpapi.Device) (any, error) {
	err := a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		return deleteDevices(ctx, tx, device.UserID, nil, "")
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
