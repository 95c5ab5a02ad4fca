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
	httpapi.HandleClient(r, http.MethodPost, "/logout", httpapi.Authenticated(lockedAllowed{a}, a.postLogout), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodPost, "/logout/all", httpapi.Authenticated(lockedAllowed{a}, a.postLogoutAll), httpapi.ClientR0V3)
}

// getLogin lists the login types; m.login.token is offered with
// get_login_token only when POST /login/get_token is, the one way this
// server issues such tokens.
func (a *Accounts) getLogin(*http.Request) (any, error) {
	flows := []map[string]any{{"type": loginTypePassword}}
	if a.cfg.Auth.LoginToken.Enabled {
		flows = append(flows, map[string]any{"type": loginTypeToken, "get_login_token": true})
	}
	return map[string]any{"flows": flows}, nil
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
	Token                    *string         `json:"token"`
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
	tokenLogin := req.Type == loginTypeToken && a.cfg.Auth.LoginToken.Enabled
	if req.Type != loginTypePassword && !tokenLogin {
		return nil, errcode.New(errcode.CodeUnknown, "Unknown login type").WithStatus(http.StatusBadRequest)
	}
	if err := validateDeviceOptions(req.DeviceID, req.InitialDeviceDisplayName); err != nil {
		return nil, err
	}
	var userID string
	var err error
	if tokenLogin {
		if req.Token == nil || *req.Token == "" {
			return nil, errcode.MissingParam("Missing parameter: token")
		}
	} else if userID, err = a.passwordLogin(r.Context(), req); err != nil {
		return nil, err
	}
	opts := deviceOptions{DisplayName: req.InitialDeviceDisplayName, Refreshable: req.RefreshToken}
	if req.DeviceID != nil {
		opts.DeviceID = *req.DeviceID
	}
	var s session
	err = a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		if tokenLogin {
			if userID, err = consumeLoginToken(ctx, tx, *req.Token); err != nil {
				return err
			}
			// The account may have been deactivated since the token
			// was issued.
			if u, found, err := getUser(ctx, tx, userID); err != nil {
				return err
			} else if !found || u.deactivated {
				return errcode.UserDeactivated("This account has been deactivated")
			}
		}
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

// passwordLogin checks an m.login.password login and returns its user.
func (a *Accounts) passwordLogin(ctx context.Context, req loginRequest) (string, error) {
	userID, err := a.identifiedUser(req.Identifier, req.User)
	if err != nil {
		return "", err
	}
	if req.Password == nil {
		return "", errcode.MissingParam("Missing parameter: password")
	}
	if err := a.loginByUser.Check(userID); err != nil {
		return "", err
	}
	u, err := a.checkPassword(ctx, userID, *req.Password)
	if err != nil {
		return "", err
	}
	if u.deactivated {
		return "", errcode.UserDeactivated("This account has been deactivated")
	}
	return userID, nil
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
		return a.deleteDevices(ctx, tx, device.UserID, []string{device.DeviceID}, "")
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3logoutall
func (a *Accounts) postLogoutAll(r *http.Request, device *httpapi.Device) (any, error) {
	err := a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		return a.deleteDevices(ctx, tx, device.UserID, nil, "")
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
