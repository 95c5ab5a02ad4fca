package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3refresh
func (a *Accounts) registerRefresh(r *mux.Router) {
	httpapi.HandleClient(r, http.MethodPost, "/refresh", httpapi.HandlerFunc(a.postRefresh), []string{"v1", "v3"})
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

type refreshResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresInMs  int64  `json:"expires_in_ms"`
}

// postRefresh trades a refresh token for a new access and refresh token.
// The used refresh token stays valid until its successor is used, so a
// client that lost the answer can try again; using the successor revokes
// it for good.
func (a *Accounts) postRefresh(r *http.Request) (any, error) {
	var req refreshRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.RefreshToken == "" {
		return nil, errcode.MissingParam("Missing refresh_token")
	}
	var s session
	err := a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		var refreshID int64
		var userID, deviceID string
		var next sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT refresh_id, user_id, device_id, next_refresh_id FROM accounts_refresh_tokens WHERE token_hash = $1`,
			hashToken(req.RefreshToken)).Scan(&refreshID, &userID, &deviceID, &next)
		if errors.Is(err, sql.ErrNoRows) {
			return errcode.UnknownToken(false)
		}
		if err != nil {
			return fmt.Errorf("reading refresh token: %w", err)
		}
		if next.Valid {
			// A retry: the successor was never used (else this token would
			// be gone), so replace it.
			if err := deleteRefreshToken(ctx, tx, next.Int64); err != nil {
				return err
			}
		}
		// This token's predecessor is now superseded for good.
		if _, err := tx.Exec(ctx, `DELETE FROM accounts_refresh_tokens WHERE next_refresh_id = $1`, refreshID); err != nil {
			return fmt.Errorf("revoking previous refresh token: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM accounts_access_tokens WHERE refresh_id = $1`, refreshID); err != nil {
			return fmt.Errorf("revoking refreshed access token: %w", err)
		}
		s, err = a.issueTokens(ctx, tx, userID, deviceID, true)
		if err != nil {
			return err
		}
		var newID int64
		if err := tx.QueryRow(ctx, `SELECT refresh_id FROM accounts_refresh_tokens WHERE token_hash = $1`, hashToken(s.RefreshToken)).Scan(&newID); err != nil {
			return fmt.Errorf("reading new refresh token: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts_refresh_tokens SET next_refresh_id = $1 WHERE refresh_id = $2`, newID, refreshID); err != nil {
			return fmt.Errorf("linking refresh tokens: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return refreshResponse{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, ExpiresInMs: s.ExpiresInMs}, nil
}

func deleteRefreshToken(ctx context.Context, tx *storage.Tx, refreshID int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM accounts_access_tokens WHERE refresh_id = $1`, refreshID); err != nil {
		return fmt.Errorf("revoking access token of refresh token: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM accounts_refresh_tokens WHERE refresh_id = $1`, refreshID); err != nil {
		return fmt.Errorf("revoking refresh token: %w", err)
	}
	return nil
}
