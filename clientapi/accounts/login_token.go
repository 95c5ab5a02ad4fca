package accounts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

const (
	loginTypeToken   = "m.login.token"
	loginTokenPrefix = "ocl_"
)

// registerLoginToken mounts POST /login/get_token only when it is
// enabled: a server that does not offer it answers 404 M_UNRECOGNIZED, as
// the spec allows for this optional endpoint.
//
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv1loginget_token
func (a *Accounts) registerLoginToken(r *mux.Router) {
	if !a.cfg.Auth.LoginToken.Enabled {
		return
	}
	httpapi.HandleClient(r, http.MethodPost, "/login/get_token", httpapi.Authenticated(a, a.postGetLoginToken), httpapi.ClientV1)
}

type getLoginTokenResponse struct {
	LoginToken  string `json:"login_token"`
	ExpiresInMs int64  `json:"expires_in_ms"`
}

// postGetLoginToken issues a single-use token that logs another client in
// as the caller. Every token needs the password again (the spec forbids
// reusing a recent authentication here) and tokens are rate limited per
// user with the login limits.
func (a *Accounts) postGetLoginToken(r *http.Request, device *httpapi.Device) (any, error) {
	if err := a.loginTokenByUser.Check(device.UserID); err != nil {
		return nil, err
	}
	op, err := passwordOperation("login_token", device)
	if err != nil {
		return nil, err
	}
	var req struct {
		Auth json.RawMessage `json:"auth"`
	}
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
	token, err := randomToken(loginTokenPrefix)
	if err != nil {
		return nil, err
	}
	lifetime := a.cfg.Auth.LoginToken.Lifetime.Milliseconds()
	err = a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		if ok, err := finishUIASession(ctx, tx, sess); err != nil || !ok {
			return orSessionUsed(err)
		}
		now := nowMs()
		if _, err := tx.Exec(ctx, `DELETE FROM accounts_login_tokens WHERE expires_ts <= $1`, now); err != nil {
			return fmt.Errorf("sweeping expired login tokens: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO accounts_login_tokens (token_hash, user_id, expires_ts) VALUES ($1, $2, $3)`,
			hashToken(token), device.UserID, now+lifetime); err != nil {
			return fmt.Errorf("storing login token of %s: %w", device.UserID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return getLoginTokenResponse{LoginToken: token, ExpiresInMs: lifetime}, nil
}

// consumeLoginToken uses up a login token inside the login's transaction,
// so a token is spent exactly when a session is made from it. Unknown,
// used and expired tokens are all 403 M_FORBIDDEN, as Synapse answers.
func consumeLoginToken(ctx context.Context, tx *storage.Tx, token string) (string, error) {
	var userID string
	var expires int64
	err := tx.ExecReturning(ctx, `DELETE FROM accounts_login_tokens WHERE token_hash = $1 RETURNING user_id, expires_ts`, hashToken(token)).
		Scan(&userID, &expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && expires <= nowMs() {
		return "", errcode.Forbidden("Invalid login token")
	}
	if err != nil {
		return "", fmt.Errorf("using login token: %w", err)
	}
	return userID, nil
}
