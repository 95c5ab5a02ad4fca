package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ocomms/ocomms/storage"
)

// Token prefixes make a leaked token recognisable to secret scanners and
// tell access and refresh tokens apart at a glance.
const (
	accessTokenPrefix  = "ocm_"
	refreshTokenPrefix = "ocr_"
	tokenBytes         = 32
)

func randomToken(prefix string) (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating token: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is what the database holds instead of a token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

const deviceIDLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newDeviceID returns ten upper-case letters, the shape Synapse gives
// devices, which clients show to users when verifying them.
func newDeviceID() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating device ID: %w", err)
	}
	for i := range b {
		b[i] = deviceIDLetters[int(b[i])%len(deviceIDLetters)]
	}
	return string(b), nil
}

func nowMs() int64 { return time.Now().UnixMilli() }

// session is what /login, /register and /refresh hand to a client.
type session struct {
	DeviceID     string
	AccessToken  string
	RefreshToken string // empty unless the client asked for one
	ExpiresInMs  int64  // 0 unless refreshable
}

// deviceOptions are what the client may say about the device it logs in
// with.
type deviceOptions struct {
	// DeviceID reuses a device; empty creates a new one.
	DeviceID string
	// DisplayName names a device created now; an existing device keeps its
	// name.
	DisplayName *string
	// Refreshable asks for an expiring access token and a refresh token.
	Refreshable bool
}

// startSession creates the device if needed and gives it a new access
// token. Tokens the device had before stop working: the spec says logging
// in as an existing device invalidates its previous access token.
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3login
func (a *Accounts) startSession(ctx context.Context, tx *storage.Tx, userID string, opts deviceOptions) (session, error) {
	deviceID := opts.DeviceID
	if deviceID == "" {
		var err error
		if deviceID, err = newDeviceID(); err != nil {
			return session{}, err
		}
	}
	now := nowMs()
	if _, err := tx.Exec(ctx, `INSERT INTO accounts_devices (user_id, device_id, display_name, created_ts)
		VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, device_id) DO NOTHING`,
		userID, deviceID, opts.DisplayName, now); err != nil {
		return session{}, fmt.Errorf("creating device: %w", err)
	}
	if err := revokeDeviceTokens(ctx, tx, userID, deviceID); err != nil {
		return session{}, err
	}
	return a.issueTokens(ctx, tx, userID, deviceID, opts.Refreshable)
}

// issueTokens stores a new access token (and refresh token) for an
// existing device.
func (a *Accounts) issueTokens(ctx context.Context, tx *storage.Tx, userID, deviceID string, refreshable bool) (session, error) {
	// Every way to a new token (login, refresh) passes here, and a locked
	// account may get none until it is unlocked.
	if err := refuseLocked(ctx, tx, userID); err != nil {
		return session{}, err
	}
	s := session{DeviceID: deviceID}
	var err error
	if s.AccessToken, err = randomToken(accessTokenPrefix); err != nil {
		return session{}, err
	}
	now := nowMs()
	var refreshID, expiresTs *int64
	if refreshable {
		if s.RefreshToken, err = randomToken(refreshTokenPrefix); err != nil {
			return session{}, err
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO accounts_refresh_tokens (token_hash, user_id, device_id, created_ts)
			VALUES ($1, $2, $3, $4) RETURNING refresh_id`, hashToken(s.RefreshToken), userID, deviceID, now).Scan(&id); err != nil {
			return session{}, fmt.Errorf("storing refresh token: %w", err)
		}
		s.ExpiresInMs = a.cfg.Auth.RefreshableTokenLifetime.Milliseconds()
		exp := now + s.ExpiresInMs
		refreshID, expiresTs = &id, &exp
	}
	if _, err := tx.Exec(ctx, `INSERT INTO accounts_access_tokens (token_hash, user_id, device_id, created_ts, expires_ts, refresh_id)
		VALUES ($1, $2, $3, $4, $5, $6)`, hashToken(s.AccessToken), userID, deviceID, now, expiresTs, refreshID); err != nil {
		return session{}, fmt.Errorf("storing access token: %w", err)
	}
	return s, nil
}

// revokeDeviceTokens ends every access and refresh token of one device.
func revokeDeviceTokens(ctx context.Context, tx *storage.Tx, userID, deviceID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM accounts_access_tokens WHERE user_id = $1 AND device_id = $2`, userID, deviceID); err != nil {
		return fmt.Errorf("revoking access tokens of %s: %w", deviceID, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM accounts_refresh_tokens WHERE user_id = $1 AND device_id = $2`, userID, deviceID); err != nil {
		return fmt.Errorf("revoking refresh tokens of %s: %w", deviceID, err)
	}
	return nil
}

// deleteDevices removes devices with their tokens. An empty list means
// every device of the user except keep (which may be empty).
func (a *Accounts) deleteDevices(ctx context.Context, tx *storage.Tx, userID string, deviceIDs []string, keep string) error {
	if deviceIDs == nil {
		rows, err := tx.Query(ctx, `SELECT device_id FROM accounts_devices WHERE user_id = $1 AND device_id <> $2`, userID, keep)
		if err != nil {
			return fmt.Errorf("listing devices: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("listing devices: %w", err)
			}
			deviceIDs = append(deviceIDs, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing devices: %w", err)
		}
	}
	for _, id := range deviceIDs {
		if err := revokeDeviceTokens(ctx, tx, userID, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM accounts_devices WHERE user_id = $1 AND device_id = $2`, userID, id); err != nil {
			return fmt.Errorf("deleting device %s: %w", id, err)
		}
	}
	if len(deviceIDs) > 0 {
		for _, o := range a.observers {
			if err := o.DevicesDeleted(ctx, tx, userID, deviceIDs); err != nil {
				return fmt.Errorf("deleting what belonged to deleted devices: %w", err)
			}
		}
	}
	return nil
}

// tokenOwner is the row behind an access token.
type tokenOwner struct {
	sessionID   int64
	userID      string
	deviceID    string
	expiresTs   sql.NullInt64
	isAdmin     bool
	isGuest     bool
	deactivated bool
	locked      bool
	suspended   bool
}

// lookupAccessToken reads the token with its account's flags in one
// query, so checking locks and suspensions costs no extra round trip.
func lookupAccessToken(ctx context.Context, q storage.Querier, token string) (tokenOwner, bool, error) {
	var o tokenOwner
	err := q.QueryRow(ctx, `SELECT t.session_id, t.user_id, t.device_id, t.expires_ts, u.is_admin, u.is_guest, u.deactivated, u.locked, u.suspended
		FROM accounts_access_tokens t JOIN accounts_users u ON u.user_id = t.user_id
		WHERE t.token_hash = $1`, hashToken(token)).
		Scan(&o.sessionID, &o.userID, &o.deviceID, &o.expiresTs, &o.isAdmin, &o.isGuest, &o.deactivated, &o.locked, &o.suspended)
	if errors.Is(err, sql.ErrNoRows) {
		return tokenOwner{}, false, nil
	}
	if err != nil {
		return tokenOwner{}, false, fmt.Errorf("looking up access token: %w", err)
	}
	return o, true, nil
}
