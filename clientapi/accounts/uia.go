package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
	"github.com/ocomms/ocomms/storage"
)

// User-interactive authentication: an endpoint answers 401 with the flows
// of stages that can authorise it and a session; the client completes
// stages one request at a time, and the request that completes a flow is
// carried out. Sessions live in the database so that any instance behind
// a load balancer can continue them.
// https://spec.matrix.org/latest/client-server-api/#user-interactive-authentication-api

// Stage types.
const (
	stageDummy             = "m.login.dummy"
	stagePassword          = "m.login.password"
	stageRegistrationToken = "m.login.registration_token"
)

// uiaSessionLifetime is how long a client has to finish a flow, as in
// Synapse.
const uiaSessionLifetime = 48 * time.Hour

// uiaOperation is what a session authorises. A session started for one
// operation or user cannot authorise another.
type uiaOperation struct {
	kind   string // "register", "password", "deactivate", "delete_devices"
	userID string // the authenticated caller; empty for registration
	flows  [][]string
}

// uiaAuth is the auth member of a request.
type uiaAuth struct {
	Type       string          `json:"type"`
	Session    string          `json:"session"`
	Identifier *userIdentifier `json:"identifier"`
	User       string          `json:"user"`
	Password   *string         `json:"password"`
	Token      *string         `json:"token"`
}

// uiaSession is a session whose flow is complete.
type uiaSession struct {
	id                string
	registrationToken sql.NullString
}

type uiaChallenge struct {
	Flows     []uiaFlow      `json:"flows"`
	Params    map[string]any `json:"params"`
	Session   string         `json:"session"`
	Completed []string       `json:"completed"`
	Errcode   errcode.Code   `json:"errcode,omitempty"`
	Error     string         `json:"error,omitempty"`
}

type uiaFlow struct {
	Stages []string `json:"stages"`
}

// interactiveAuth runs one step. It returns the session when a flow is
// complete; otherwise a 401 challenge for the handler to answer with, or an
// error. raw is the request's auth member, nil when absent.
func (a *Accounts) interactiveAuth(ctx context.Context, op uiaOperation, raw json.RawMessage) (*uiaSession, *httpapi.Response, error) {
	var auth uiaAuth
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &auth); err != nil {
			return nil, nil, errcode.BadJSON("auth: " + err.Error())
		}
	}
	var completed []string
	var heldToken sql.NullString
	if auth.Session == "" {
		id, err := a.newUIASession(ctx, op)
		if err != nil {
			return nil, nil, err
		}
		auth.Session = id
	} else {
		var err error
		if completed, heldToken, err = a.loadUIASession(ctx, op, auth.Session); err != nil {
			return nil, nil, err
		}
	}
	challenge := func(stageErr *errcode.Error) *httpapi.Response {
		c := uiaChallenge{Params: map[string]any{}, Session: auth.Session, Completed: completed}
		if c.Completed == nil {
			c.Completed = []string{}
		}
		for _, f := range op.flows {
			c.Flows = append(c.Flows, uiaFlow{Stages: f})
		}
		if stageErr != nil {
			c.Errcode, c.Error = stageErr.Code, stageErr.Message
		}
		return &httpapi.Response{Status: http.StatusUnauthorized, Body: c}
	}
	if auth.Type != "" && !slices.Contains(completed, auth.Type) {
		if !op.offers(auth.Type) {
			return nil, challenge(errcode.New(errcode.CodeUnrecognized, "Unrecognised authentication type")), nil
		}
		stageErr, err := a.completeStage(ctx, op, auth, heldToken.Valid)
		if err != nil {
			return nil, nil, err
		}
		if stageErr != nil {
			return nil, challenge(stageErr), nil
		}
		completed = append(completed, auth.Type)
		if auth.Type == stageRegistrationToken {
			heldToken = sql.NullString{String: *auth.Token, Valid: true}
		}
	}
	for _, f := range op.flows {
		if !slices.ContainsFunc(f, func(s string) bool { return !slices.Contains(completed, s) }) {
			return &uiaSession{id: auth.Session, registrationToken: heldToken}, nil, nil
		}
	}
	return nil, challenge(nil), nil
}

func (op uiaOperation) offers(stage string) bool {
	for _, f := range op.flows {
		if slices.Contains(f, stage) {
			return true
		}
	}
	return false
}

func (a *Accounts) newUIASession(ctx context.Context, op uiaOperation) (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating UIA session ID: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	now := nowMs()
	err := a.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		// Abandoned sessions are swept here, releasing the registration
		// token uses they held as pending.
		if err := sweepUIASessions(ctx, tx, now-uiaSessionLifetime.Milliseconds()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO accounts_uia_sessions (session_id, kind, user_id, completed, created_ts)
			VALUES ($1, $2, $3, '[]', $4)`, id, op.kind, op.userID, now)
		if err != nil {
			return fmt.Errorf("storing UIA session: %w", err)
		}
		return nil
	})
	return id, err
}

func sweepUIASessions(ctx context.Context, tx *storage.Tx, before int64) error {
	if _, err := tx.Exec(ctx, `UPDATE accounts_registration_tokens SET pending = pending - 1
		WHERE token IN (SELECT registration_token FROM accounts_uia_sessions WHERE created_ts < $1 AND registration_token IS NOT NULL)`, before); err != nil {
		return fmt.Errorf("releasing registration tokens of expired sessions: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM accounts_uia_sessions WHERE created_ts < $1`, before); err != nil {
		return fmt.Errorf("sweeping UIA sessions: %w", err)
	}
	return nil
}

func (a *Accounts) loadUIASession(ctx context.Context, op uiaOperation, id string) ([]string, sql.NullString, error) {
	var kind, userID, completedJSON string
	var created int64
	var token sql.NullString
	err := a.db.QueryRow(ctx, `SELECT kind, user_id, completed, registration_token, created_ts FROM accounts_uia_sessions WHERE session_id = $1`, id).
		Scan(&kind, &userID, &completedJSON, &token, &created)
	if errors.Is(err, sql.ErrNoRows) || err == nil && nowMs()-created > uiaSessionLifetime.Milliseconds() {
		return nil, token, errcode.New(errcode.CodeUnknown, "Unknown session ID").WithStatus(http.StatusBadRequest)
	}
	if err != nil {
		return nil, token, fmt.Errorf("reading UIA session: %w", err)
	}
	if kind != op.kind || userID != op.userID {
		return nil, token, errcode.Forbidden("Requested operation has changed during the UI authentication session.")
	}
	var completed []string
	if err := json.Unmarshal([]byte(completedJSON), &completed); err != nil {
		return nil, token, fmt.Errorf("reading UIA session stages: %w", err)
	}
	return completed, token, nil
}

// completeStage checks one stage and records it. A failed check is
// returned as the stage error the challenge carries, not as err.
func (a *Accounts) completeStage(ctx context.Context, op uiaOperation, auth uiaAuth, holdsToken bool) (*errcode.Error, error) {
	switch auth.Type {
	case stageDummy:
	case stagePassword:
		if auth.Password == nil {
			return errcode.MissingParam("Missing password"), nil
		}
		userID, err := a.identifiedUser(auth.Identifier, auth.User)
		if err != nil {
			var e *errcode.Error
			if errors.As(err, &e) {
				return e, nil
			}
			return nil, err
		}
		if userID != op.userID {
			return errcode.Forbidden("Invalid username or password"), nil
		}
		if err := a.loginByUser.Check(userID); err != nil {
			return nil, err
		}
		if _, err := a.checkPassword(ctx, userID, *auth.Password); err != nil {
			var e *errcode.Error
			if errors.As(err, &e) {
				return e, nil
			}
			return nil, err
		}
	case stageRegistrationToken:
		if auth.Token == nil {
			return errcode.MissingParam("Missing registration token"), nil
		}
		if holdsToken {
			return errcode.Forbidden("A registration token was already used in this session"), nil
		}
	}
	var stageErr *errcode.Error
	err := a.db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
		stageErr = nil
		var completedJSON string
		if err := tx.QueryRow(ctx, `SELECT completed FROM accounts_uia_sessions WHERE session_id = $1`, auth.Session).Scan(&completedJSON); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				stageErr = errcode.New(errcode.CodeUnknown, "Unknown session ID").WithStatus(http.StatusBadRequest)
				return nil
			}
			return fmt.Errorf("reading UIA session: %w", err)
		}
		var completed []string
		if err := json.Unmarshal([]byte(completedJSON), &completed); err != nil {
			return fmt.Errorf("reading UIA session stages: %w", err)
		}
		if slices.Contains(completed, auth.Type) {
			return nil
		}
		completed = append(completed, auth.Type)
		data, _ := json.Marshal(completed)
		var token *string
		if auth.Type == stageRegistrationToken {
			ok, err := reserveRegistrationToken(ctx, tx, *auth.Token)
			if err != nil {
				return err
			}
			if !ok {
				stageErr = errcode.Unauthorized("Invalid registration token")
				return nil
			}
			token = auth.Token
		}
		_, err := tx.Exec(ctx, `UPDATE accounts_uia_sessions SET completed = $1, registration_token = COALESCE($2, registration_token) WHERE session_id = $3`,
			string(data), token, auth.Session)
		if err != nil {
			return fmt.Errorf("recording UIA stage: %w", err)
		}
		return nil
	})
	if stageErr != nil && stageErr.Status() == http.StatusBadRequest {
		return nil, stageErr
	}
	return stageErr, err
}

// finishUIASession deletes a completed session inside the transaction
// that carries out the operation, so a session authorises it once. It
// reports false when another request used the session first.
func finishUIASession(ctx context.Context, tx *storage.Tx, s *uiaSession) (bool, error) {
	res, err := tx.Exec(ctx, `DELETE FROM accounts_uia_sessions WHERE session_id = $1`, s.id)
	if err != nil {
		return false, fmt.Errorf("ending UIA session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("ending UIA session: %w", err)
	}
	return n == 1, nil
}

func errSessionUsed() error {
	return errcode.New(errcode.CodeUnknown, "Unknown session ID").WithStatus(http.StatusBadRequest)
}
