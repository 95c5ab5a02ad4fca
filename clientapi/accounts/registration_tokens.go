package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"regexp"

	"github.com/ocomms/ocomms/storage"
)

// RegistrationToken lets one or more people register while
// registration.require_token is set. The JSON shape is Synapse's admin
// API's.
// https://element-hq.github.io/synapse/latest/usage/administration/admin_api/registration_tokens.html
type RegistrationToken struct {
	Token string `json:"token"`
	// UsesAllowed is how many registrations it allows; nil is unlimited.
	UsesAllowed *int64 `json:"uses_allowed"`
	// Pending counts registrations that used it and are not finished.
	Pending int64 `json:"pending"`
	// Completed counts registrations that used it.
	Completed int64 `json:"completed"`
	// ExpiryTime is when it stops working, in ms since the epoch; nil
	// never.
	ExpiryTime *int64 `json:"expiry_time"`
}

// Valid reports whether the token can start another registration now.
func (t RegistrationToken) Valid(nowMs int64) bool {
	if t.ExpiryTime != nil && *t.ExpiryTime <= nowMs {
		return false
	}
	return t.UsesAllowed == nil || t.Pending+t.Completed < *t.UsesAllowed
}

var registrationTokenPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,64}$`)

// ErrTokenExists is returned when creating a token that exists.
var ErrTokenExists = errors.New("registration token already exists")

// ErrTokenNotFound is returned for a token that does not exist.
var ErrTokenNotFound = errors.New("registration token not found")

const registrationTokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-"

func randomRegistrationToken(length int) (string, error) {
	b := make([]byte, length)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating registration token: %w", err)
	}
	for i := range b {
		b[i] = registrationTokenAlphabet[int(b[i])%len(registrationTokenAlphabet)]
	}
	return string(b), nil
}

func scanRegistrationToken(row interface{ Scan(...any) error }) (RegistrationToken, error) {
	var t RegistrationToken
	var uses, expiry sql.NullInt64
	if err := row.Scan(&t.Token, &uses, &t.Pending, &t.Completed, &expiry); err != nil {
		return RegistrationToken{}, err
	}
	if uses.Valid {
		t.UsesAllowed = &uses.Int64
	}
	if expiry.Valid {
		t.ExpiryTime = &expiry.Int64
	}
	return t, nil
}

const registrationTokenColumns = `token, uses_allowed, pending, completed, expiry_time`

func getRegistrationToken(ctx context.Context, q storage.Querier, token string) (RegistrationToken, error) {
	t, err := scanRegistrationToken(q.QueryRow(ctx, `SELECT `+registrationTokenColumns+` FROM accounts_registration_tokens WHERE token = $1`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return RegistrationToken{}, ErrTokenNotFound
	}
	if err != nil {
		return RegistrationToken{}, fmt.Errorf("reading registration token: %w", err)
	}
	return t, nil
}

// reserveRegistrationToken counts a registration as pending on the token
// when the token is valid.
func reserveRegistrationToken(ctx context.Context, tx *storage.Tx, token string) (bool, error) {
	t, err := getRegistrationToken(ctx, tx, token)
	if errors.Is(err, ErrTokenNotFound) {
		return false, nil
	}
	if err != nil || !t.Valid(nowMs()) {
		return false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE accounts_registration_tokens SET pending = pending + 1 WHERE token = $1`, token); err != nil {
		return false, fmt.Errorf("reserving registration token: %w", err)
	}
	return true, nil
}

// completeRegistrationToken turns a pending use into a completed one.
func completeRegistrationToken(ctx context.Context, tx *storage.Tx, token string) error {
	if _, err := tx.Exec(ctx, `UPDATE accounts_registration_tokens SET pending = pending - 1, completed = completed + 1 WHERE token = $1`, token); err != nil {
		return fmt.Errorf("completing registration token: %w", err)
	}
	return nil
}

// NewRegistrationToken describes a token to create. An empty Token is
// generated with Length characters (16 when zero).
type NewRegistrationToken struct {
	Token       string
	Length      int
	UsesAllowed *int64
	ExpiryTime  *int64
}

// CreateRegistrationToken stores a new token. Its parameters must have
// been validated (ValidateNewRegistrationToken).
func (a *Accounts) CreateRegistrationToken(ctx context.Context, n NewRegistrationToken) (RegistrationToken, error) {
	generated := n.Token == ""
	var t RegistrationToken
	for attempt := 0; ; attempt++ {
		token := n.Token
		if generated {
			var err error
			if token, err = randomRegistrationToken(orDefault(n.Length, 16)); err != nil {
				return RegistrationToken{}, err
			}
		}
		_, err := a.db.Exec(ctx, `INSERT INTO accounts_registration_tokens (token, uses_allowed, expiry_time) VALUES ($1, $2, $3)`,
			token, n.UsesAllowed, n.ExpiryTime)
		if storage.IsUniqueViolation(err) {
			if generated && attempt < 3 {
				continue
			}
			return RegistrationToken{}, ErrTokenExists
		}
		if err != nil {
			return RegistrationToken{}, fmt.Errorf("creating registration token: %w", err)
		}
		t = RegistrationToken{Token: token, UsesAllowed: n.UsesAllowed, ExpiryTime: n.ExpiryTime}
		return t, nil
	}
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// ValidateNewRegistrationToken checks parameters as Synapse does, returning
// a message for the caller.
func ValidateNewRegistrationToken(n NewRegistrationToken, nowMs int64) error {
	if n.Token != "" && !registrationTokenPattern.MatchString(n.Token) {
		return errors.New("token must consist only of A-Z, a-z, 0-9, '.', '_', '~' and '-', at most 64 characters")
	}
	if n.Token == "" && (n.Length < 0 || n.Length > 64) {
		return errors.New("length must be an integer between 1 and 64")
	}
	if n.UsesAllowed != nil && *n.UsesAllowed < 0 {
		return errors.New("uses_allowed must be a non-negative integer or null")
	}
	if n.ExpiryTime != nil && *n.ExpiryTime < nowMs {
		return errors.New("expiry_time must not be in the past")
	}
	return nil
}

// ListRegistrationTokens returns every token, or only those valid (or
// invalid) now when valid is not nil.
func (a *Accounts) ListRegistrationTokens(ctx context.Context, valid *bool) ([]RegistrationToken, error) {
	rows, err := a.db.Query(ctx, `SELECT `+registrationTokenColumns+` FROM accounts_registration_tokens ORDER BY token`)
	if err != nil {
		return nil, fmt.Errorf("listing registration tokens: %w", err)
	}
	defer rows.Close()
	tokens := []RegistrationToken{}
	now := nowMs()
	for rows.Next() {
		t, err := scanRegistrationToken(rows)
		if err != nil {
			return nil, fmt.Errorf("listing registration tokens: %w", err)
		}
		if valid == nil || t.Valid(now) == *valid {
			tokens = append(tokens, t)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing registration tokens: %w", err)
	}
	return tokens, nil
}

// GetRegistrationToken returns one token or ErrTokenNotFound.
func (a *Accounts) GetRegistrationToken(ctx context.Context, token string) (RegistrationToken, error) {
	return getRegistrationToken(ctx, a.db, token)
}

// RegistrationTokenUpdate changes a token's limits. A nil pointer leaves
// the field alone; Clear* sets it to null (unlimited, never expires).
type RegistrationTokenUpdate struct {
	UsesAllowed      *int64
	ClearUsesAllowed bool
	ExpiryTime       *int64
	ClearExpiryTime  bool
}

// UpdateRegistrationToken applies u and returns the token as it is now.
func (a *Accounts) UpdateRegistrationToken(ctx context.Context, token string, u RegistrationTokenUpdate) (RegistrationToken, error) {
	var t RegistrationToken
	err := a.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		if _, err := getRegistrationToken(ctx, tx, token); err != nil {
			return err
		}
		if u.UsesAllowed != nil || u.ClearUsesAllowed {
			if _, err := tx.Exec(ctx, `UPDATE accounts_registration_tokens SET uses_allowed = $1 WHERE token = $2`, u.UsesAllowed, token); err != nil {
				return fmt.Errorf("updating registration token: %w", err)
			}
		}
		if u.ExpiryTime != nil || u.ClearExpiryTime {
			if _, err := tx.Exec(ctx, `UPDATE accounts_registration_tokens SET expiry_time = $1 WHERE token = $2`, u.ExpiryTime, token); err != nil {
				return fmt.Errorf("updating registration token: %w", err)
			}
		}
		var err error
		t, err = getRegistrationToken(ctx, tx, token)
		return err
	})
	return t, err
}

// DeleteRegistrationToken removes a token; registrations holding it as
// pending can still finish.
func (a *Accounts) DeleteRegistrationToken(ctx context.Context, token string) error {
	res, err := a.db.Exec(ctx, `DELETE FROM accounts_registration_tokens WHERE token = $1`, token)
	if err != nil {
		return fmt.Errorf("deleting registration token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrTokenNotFound
	}
	return nil
}
