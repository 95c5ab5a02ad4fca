package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// nonceLifetime is how long a registration nonce may be used, as in
// Synapse: long enough for a script, short enough that a captured request
// cannot be replayed later.
const nonceLifetime = time.Minute

// Shared-secret registration is Synapse's admin API for provisioning
// tools (register_new_matrix_user, the conformance suites): a nonce from
// GET, then a POST whose HMAC-SHA1 over nonce, user, password and role
// proves knowledge of registration.shared_secret.
// https://element-hq.github.io/synapse/latest/admin_api/register_api.html
func (a *Accounts) registerAdminRegister(r *mux.Router) {
	r.Handle("/_synapse/admin/v1/register", httpapi.HandlerFunc(a.getRegisterNonce)).Methods(http.MethodGet)
	r.Handle("/_synapse/admin/v1/register", httpapi.HandlerFunc(a.postAdminRegister)).Methods(http.MethodPost)
}

func errSharedSecretDisabled() error {
	return errcode.New(errcode.CodeUnknown, "Shared secret registration is not enabled").WithStatus(http.StatusBadRequest)
}

func (a *Accounts) getRegisterNonce(r *http.Request) (any, error) {
	if a.cfg.Registration.SharedSecret == "" {
		return nil, errSharedSecretDisabled()
	}
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generating nonce: %w", err)
	}
	nonce := hex.EncodeToString(b)
	now := nowMs()
	err := a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		// Expired nonces are swept here, where they are created, so the
		// table stays as small as the nonces in flight.
		if _, err := tx.Exec(ctx, `DELETE FROM accounts_registration_nonces WHERE created_ts < $1`, now-nonceLifetime.Milliseconds()); err != nil {
			return fmt.Errorf("sweeping nonces: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO accounts_registration_nonces (nonce, created_ts) VALUES ($1, $2)`, nonce, now); err != nil {
			return fmt.Errorf("storing nonce: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"nonce": nonce}, nil
}

type adminRegisterRequest struct {
	Nonce       json.RawMessage `json:"nonce"`
	Username    json.RawMessage `json:"username"`
	Password    json.RawMessage `json:"password"`
	Admin       json.RawMessage `json:"admin"`
	UserType    json.RawMessage `json:"user_type"`
	Displayname json.RawMessage `json:"displayname"`
	MAC         json.RawMessage `json:"mac"`
}

// field decodes an optional member of a given JSON type; present reports
// whether it was there and not null.
func field[T any](raw json.RawMessage, name string, v *T) (present bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, errcode.InvalidParam(fmt.Sprintf("Invalid %s", name))
	}
	return true, nil
}

func (a *Accounts) postAdminRegister(r *http.Request) (any, error) {
	if a.cfg.Registration.SharedSecret == "" {
		return nil, errSharedSecretDisabled()
	}
	var req adminRegisterRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	var nonce, username, password, mac, userType string
	var admin bool
	if ok, err := field(req.Nonce, "nonce", &nonce); err != nil || !ok {
		return nil, errcode.BadJSON("nonce must be specified")
	}
	if ok, err := field(req.Username, "username", &username); !ok || err != nil || len(username) > 512 || strings.ContainsRune(username, 0) {
		return nil, errcode.InvalidParam("Invalid username")
	}
	if ok, err := field(req.Password, "password", &password); !ok || err != nil || password == "" || len(password) > 512 || strings.ContainsRune(password, 0) {
		return nil, errcode.InvalidParam("Invalid password")
	}
	if _, err := field(req.Admin, "admin", &admin); err != nil {
		return nil, errcode.InvalidParam("Invalid admin")
	}
	if ok, err := field(req.UserType, "user_type", &userType); err != nil || ok {
		// Support and bot user types have no meaning on this server yet.
		return nil, errcode.InvalidParam("Invalid user type")
	}
	if ok, err := field(req.MAC, "mac", &mac); err != nil || !ok {
		return nil, errcode.BadJSON("mac must be specified")
	}
	userID, err := a.localUserID(username)
	if err != nil {
		return nil, err
	}

	// The nonce is spent before the MAC is checked, as in Synapse: a
	// wrong guess costs the caller its nonce.
	if err := a.spendNonce(r.Context(), nonce); err != nil {
		return nil, err
	}
	role := "notadmin"
	if admin {
		role = "admin"
	}
	want := hmac.New(sha1.New, []byte(a.cfg.Registration.SharedSecret))
	want.Write([]byte(nonce + "\x00" + username + "\x00" + password + "\x00" + role))
	got, err := hex.DecodeString(mac)
	if err != nil || !hmac.Equal(got, want.Sum(nil)) {
		return nil, errcode.Forbidden("HMAC incorrect")
	}

	hash, err := a.hasher.hash(r.Context(), password)
	if err != nil {
		return nil, err
	}
	var s session
	err = a.db.WithTx(r.Context(), func(ctx context.Context, tx *storage.Tx) error {
		if err := insertUser(ctx, tx, user{userID: userID, passwordHash: hash, isAdmin: admin}); err != nil {
			return err
		}
		s, err = a.startSession(ctx, tx, userID, deviceOptions{})
		return err
	})
	if err != nil {
		return nil, err
	}
	a.log.InfoContext(r.Context(), "user registered with the shared secret", "user_id", userID, "admin", admin)
	return map[string]any{
		"user_id":      userID,
		"home_server":  a.cfg.ServerName,
		"access_token": s.AccessToken,
		"device_id":    s.DeviceID,
	}, nil
}

// spendNonce deletes the nonce, answering 400 when it was never issued,
// was used already or expired.
func (a *Accounts) spendNonce(ctx context.Context, nonce string) error {
	var created int64
	err := a.db.ExecReturning(ctx, `DELETE FROM accounts_registration_nonces WHERE nonce = $1 RETURNING created_ts`, nonce).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) || err == nil && nowMs()-created > nonceLifetime.Milliseconds() {
		return errcode.New(errcode.CodeUnknown, "unrecognised nonce").WithStatus(http.StatusBadRequest)
	}
	if err != nil {
		return fmt.Errorf("spending nonce: %w", err)
	}
	return nil
}
