package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Registration modes (-registration).
const (
	regOpen         = "open"
	regSharedSecret = "shared-secret"
)

// setupWorkers bounds concurrent set-up requests (registrations, room
// creations, joins): registration hashes a password, and the set-up is
// not what is being measured.
const setupWorkers = 4

// registrar creates users on the server under test.
type registrar struct {
	base, mode, secret, password string
	http                         *http.Client
}

// registerUsers creates n users named prefix-role-0 ... and returns a
// logged-in client for each.
func (r *registrar) registerUsers(ctx context.Context, prefix, role string, n int) ([]*Client, error) {
	clients := make([]*Client, n)
	err := parallel(ctx, n, setupWorkers, func(ctx context.Context, i int) error {
		c, err := r.register(ctx, fmt.Sprintf("%s-%s-%d", prefix, role, i))
		clients[i] = c
		return err
	})
	return clients, err
}

func (r *registrar) anonymous() *Client {
	// Registration is set-up: rate limits on it are waited out uncounted.
	return &Client{base: r.base, http: r.http}
}

func (r *registrar) register(ctx context.Context, localpart string) (*Client, error) {
	c := r.anonymous()
	var err error
	switch r.mode {
	case regOpen:
		err = c.registerOpen(ctx, localpart, r.password)
	case regSharedSecret:
		err = c.registerSharedSecret(ctx, localpart, r.password, r.secret)
	default:
		err = fmt.Errorf("unknown registration mode %q", r.mode)
	}
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", localpart, explainRegistration(r.mode, err))
	}
	return c, nil
}

// explainRegistration adds what to do about the usual refusals.
func explainRegistration(mode string, err error) error {
	switch {
	case isErrcode(err, "M_USER_IN_USE"):
		return fmt.Errorf("%w (a previous run used this -prefix; pick another)", err)
	case mode == regOpen && isErrcode(err, "M_FORBIDDEN"):
		return fmt.Errorf("open registration refused: %w (enable registration on the server, or use -registration shared-secret)", err)
	case mode == regSharedSecret && isErrcode(err, "M_FORBIDDEN"):
		return fmt.Errorf("shared-secret registration refused: %w (is -shared-secret the server's registration shared secret?)", err)
	case mode == regSharedSecret && isErrcode(err, "M_UNKNOWN"), mode == regSharedSecret && isErrcode(err, "M_UNRECOGNIZED"):
		return fmt.Errorf("shared-secret registration refused: %w (is a registration shared secret configured on the server?)", err)
	}
	return err
}

type loginResponse struct {
	UserID      string `json:"user_id"`
	AccessToken string `json:"access_token"`
	DeviceID    string `json:"device_id"`
}

func (c *Client) adopt(res loginResponse, how string) error {
	if res.UserID == "" || res.AccessToken == "" {
		return fmt.Errorf("%s: answer has no user_id or access_token", how)
	}
	c.UserID, c.token, c.DeviceID = res.UserID, res.AccessToken, res.DeviceID
	return nil
}

// registerOpen registers through user-interactive authentication with the
// m.login.dummy stage: the first request gets the flows and a session, the
// second completes the dummy stage.
// https://spec.matrix.org/latest/client-server-api/#post_matrixclientv3register
func (c *Client) registerOpen(ctx context.Context, localpart, password string) error {
	body := map[string]any{
		"username": localpart, "password": password,
		"initial_device_display_name": "ocomms-bench",
	}
	var res loginResponse
	_, err := c.do(ctx, request{method: http.MethodPost, path: clientPath("register"), body: body}, &res)
	if err == nil {
		// A server without UIA stages registers at once.
		return c.adopt(res, "POST /register")
	}
	session, err := dummySession(err)
	if err != nil {
		return err
	}
	body["auth"] = map[string]any{"type": "m.login.dummy", "session": session}
	if _, err := c.do(ctx, request{method: http.MethodPost, path: clientPath("register"), body: body}, &res); err != nil {
		return err
	}
	return c.adopt(res, "POST /register")
}

// dummySession reads the UIA challenge of a 401 from /register: the
// session to continue, when a flow of the dummy stage alone is offered.
func dummySession(err error) (string, error) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		return "", err
	}
	if apiErr.uia == nil || apiErr.uia.Session == "" {
		return "", fmt.Errorf("%w: no user-interactive authentication session in the answer", err)
	}
	var offered []string
	for _, f := range apiErr.uia.Flows {
		if slices.Equal(f.Stages, []string{"m.login.dummy"}) {
			return apiErr.uia.Session, nil
		}
		offered = append(offered, strings.Join(f.Stages, "+"))
	}
	return "", fmt.Errorf("open registration needs stages the bench cannot complete (%s); use -registration shared-secret", strings.Join(offered, ", "))
}

// registerSharedSecret uses the shared-secret registration admin API as
// Synapse specifies it: a nonce from GET, then a POST whose mac is the
// hex HMAC-SHA1, keyed with the shared secret, of
// nonce NUL username NUL password NUL "notadmin".
// https://element-hq.github.io/synapse/latest/admin_api/register_api.html
func (c *Client) registerSharedSecret(ctx context.Context, localpart, password, secret string) error {
	const path = "/_synapse/admin/v1/register"
	var n struct {
		Nonce string `json:"nonce"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path}, &n); err != nil {
		return err
	}
	if n.Nonce == "" {
		return fmt.Errorf("GET %s: answer has no nonce", path)
	}
	body := map[string]any{
		"nonce": n.Nonce, "username": localpart, "password": password, "admin": false,
		"mac": sharedSecretMAC(secret, n.Nonce, localpart, password, false),
	}
	var res loginResponse
	if _, err := c.do(ctx, request{method: http.MethodPost, path: path, body: body}, &res); err != nil {
		return err
	}
	return c.adopt(res, "POST "+path)
}

func sharedSecretMAC(secret, nonce, user, password string, admin bool) string {
	role := "notadmin"
	if admin {
		role = "admin"
	}
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(nonce + "\x00" + user + "\x00" + password + "\x00" + role))
	return hex.EncodeToString(m.Sum(nil))
}

// parallel runs fn for 0..n-1 on at most workers goroutines and returns
// the first error; after one, the remaining items are not started.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	items := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range items {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case items <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(items)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}
