package accounts

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/ratelimit"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// maxPasswordLength is Synapse's limit: longer passwords only cost hashing
// time.
const maxPasswordLength = 512

// https://spec.matrix.org/latest/client-server-api/#account-registration
func (a *Accounts) registerRegister(r *mux.Router) {
	httpapi.HandleClient(r, http.MethodPost, "/register", httpapi.HandlerFunc(a.postRegister), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodGet, "/register/available", httpapi.HandlerFunc(a.getRegisterAvailable), httpapi.ClientR0V3)
	httpapi.HandleClient(r, http.MethodGet, "/register/m.login.registration_token/validity",
		httpapi.HandlerFunc(a.getRegistrationTokenValidity), httpapi.ClientV1)
}

type registerRequest struct {
	Auth                     json.RawMessage `json:"auth"`
	Username                 *string         `json:"username"`
	Password                 *string         `json:"password"`
	DeviceID                 *string         `json:"device_id"`
	InitialDeviceDisplayName *string         `json:"initial_device_display_name"`
	InhibitLogin             bool            `json:"inhibit_login"`
	RefreshToken             bool            `json:"refresh_token"`
}

type registerResponse struct {
	UserID       string `json:"user_id"`
	HomeServer   string `json:"home_server"`
	AccessToken  string `json:"access_token,omitempty"`
	DeviceID     string `json:"device_id,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresInMs  int64  `json:"expires_in_ms,omitempty"`
}

func errRegistrationDisabled() error { return errcode.Forbidden("Registration has been disabled") }

func (a *Accounts) registrationFlows() [][]string {
	if a.cfg.Registration.RequireToken {
		return [][]string{{stageRegistrationToken}}
	}
	return [][]string{{stageDummy}}
}

// postRegister registers a user through user-interactive authentication,
// or a guest (kind=guest) without it. Registrations are rate limited per
// client address, counting only those that succeed: a registration takes
// several requests. Each request holds a token from the address's bucket
// while it runs, given back unless it registers, so concurrent requests
// cannot all pass the check and hash a password (argon2id takes tens of
// MiB each) before any of them is counted.
func (a *Accounts) postRegister(r *http.Request) (any, error) {
	rateToken, err := a.registerByIP.Reserve(ratelimit.ClientIP(r))
	if err != nil {
		return nil, err
	}
	defer rateToken.Cancel()
	guest := false
	switch r.URL.Query().Get("kind") {
	case "", "user":
	case "guest":
		guest = true
	default:
		return nil, errcode.InvalidParam("Invalid kind: must be user or guest")
	}
	var req registerRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := validateDeviceOptions(req.DeviceID, req.InitialDeviceDisplayName); err != nil {
		return nil, err
	}
	if guest {
		if !a.cfg.Registration.GuestAccess {
			return nil, errcode.Forbidden("Guest access is disabled")
		}
		return a.register(r.Context(), rateToken, req, nil, true, "", "")
	}
	if !a.cfg.Registration.Enabled {
		return nil, errRegistrationDisabled()
	}

	// The username and password are checked before authentication, so a
	// client learns of a taken name before walking the user through it.
	var userID string
	if req.Username != nil {
		var err error
		if userID, err = a.localUserID(*req.Username); err != nil {
			return nil, err
		}
		taken, err := userExists(r.Context(), a.db, userID)
		if err != nil {
			return nil, err
		}
		if taken {
			return nil, errcode.UserInUse("User ID already taken.")
		}
	}
	if req.Password != nil {
		if err := validatePassword(*req.Password); err != nil {
			return nil, err
		}
	}
	op := uiaOperation{kind: "register", flows: a.registrationFlows()}
	sess, challenge, err := a.interactiveAuth(r.Context(), op, req.Auth)
	if err != nil {
		return nil, err
	}
	if challenge != nil {
		return *challenge, nil
	}
	if req.Password == nil {
		return nil, errcode.MissingParam("Missing params: password")
	}
	hash, err := a.hasher.hash(r.Context(), *req.Password)
	if err != nil {
		return nil, err
	}
	return a.register(r.Context(), rateToken, req, sess, false, userID, hash)
}

func validatePassword(password string) error {
	if password == "" {
		return errcode.InvalidParam("Password must not be empty")
	}
	if len(password) > maxPasswordLength {
		return errcode.InvalidParam(fmt.Sprintf("Password too long (max %d)", maxPasswordLength))
	}
	return nil
}

// register creates the account (and, unless inhibit_login, its first
// device) in one transaction with the end of its UIA session, and keeps
// the request counted against the client's registration limit.
func (a *Accounts) register(ctx context.Context, rateToken *ratelimit.Reservation, req registerRequest, sess *uiaSession, guest bool, userID, hash string) (any, error) {
	generated := userID == ""
	var s session
	err := a.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if sess != nil {
			ok, err := finishUIASession(ctx, tx, sess)
			if err != nil {
				return err
			}
			if !ok {
				return errSessionUsed()
			}
			if sess.registrationToken.Valid {
				if err := completeRegistrationToken(ctx, tx, sess.registrationToken.String); err != nil {
					return err
				}
			}
		}
		if generated {
			var err error
			if userID, err = a.freeNumericUserID(ctx, tx); err != nil {
				return err
			}
		}
		if err := insertUser(ctx, tx, user{userID: userID, passwordHash: hash, isGuest: guest}); err != nil {
			return err
		}
		if req.InhibitLogin {
			return nil
		}
		opts := deviceOptions{DisplayName: req.InitialDeviceDisplayName, Refreshable: req.RefreshToken}
		if req.DeviceID != nil {
			opts.DeviceID = *req.DeviceID
		}
		var err error
		s, err = a.startSession(ctx, tx, userID, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	rateToken.Commit()
	a.log.InfoContext(ctx, "user registered", "user_id", userID, "guest", guest)
	return registerResponse{
		UserID: userID, HomeServer: a.cfg.ServerName, AccessToken: s.AccessToken, DeviceID: s.DeviceID,
		RefreshToken: s.RefreshToken, ExpiresInMs: s.ExpiresInMs,
	}, nil
}

// freeNumericUserID picks an unused numeric localpart, the shape of
// guest IDs and of IDs for clients that do not choose a username.
func (a *Accounts) freeNumericUserID(ctx context.Context, tx *storage.Tx) (string, error) {
	for range 10 {
		n, err := rand.Int(rand.Reader, big.NewInt(1e10))
		if err != nil {
			return "", fmt.Errorf("generating user ID: %w", err)
		}
		userID := fmt.Sprintf("@%d:%s", n.Int64()+1e10, a.cfg.ServerName)
		taken, err := userExists(ctx, tx, userID)
		if err != nil {
			return "", err
		}
		if !taken {
			return userID, nil
		}
	}
	return "", fmt.Errorf("no free user ID after 10 attempts")
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3registeravailable
func (a *Accounts) getRegisterAvailable(r *http.Request) (any, error) {
	if !a.cfg.Registration.Enabled {
		return nil, errRegistrationDisabled()
	}
	username := r.URL.Query().Get("username")
	if username == "" {
		return nil, errcode.MissingParam("Missing username")
	}
	userID, err := a.localUserID(username)
	if err != nil {
		return nil, err
	}
	taken, err := userExists(r.Context(), a.db, userID)
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, errcode.UserInUse("User ID already taken.")
	}
	return map[string]bool{"available": true}, nil
}

// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv1registermloginregistration_tokenvalidity
func (a *Accounts) getRegistrationTokenValidity(r *http.Request) (any, error) {
	if !a.cfg.Registration.Enabled {
		return nil, errRegistrationDisabled()
	}
	if err := a.tokenValidityByIP.Check(ratelimit.ClientIP(r)); err != nil {
		return nil, err
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		return nil, errcode.MissingParam("Missing token")
	}
	t, err := a.GetRegistrationToken(r.Context(), token)
	if err != nil && !errors.Is(err, ErrTokenNotFound) {
		return nil, err
	}
	return map[string]bool{"valid": err == nil && t.Valid(nowMs())}, nil
}
