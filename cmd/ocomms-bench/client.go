package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// requestTimeout bounds every request but a parked /sync, which gets its
// own timeout plus syncGrace.
const (
	requestTimeout = 60 * time.Second
	syncGrace      = 30 * time.Second
)

// maxLimitRetries bounds how often one request is retried after
// M_LIMIT_EXCEEDED before the error is reported.
const maxLimitRetries = 50

// Client speaks the Matrix Client-Server API to one homeserver as one
// device (or anonymously before registration). It only ever sends
// requests to its base URL: redirects are not followed.
type Client struct {
	base     string
	http     *http.Client
	UserID   string
	DeviceID string
	token    string
	// limited counts requests answered M_LIMIT_EXCEEDED (each one waited
	// for retry_after_ms and was retried).
	limited *atomic.Int64
}

// newHTTPClient returns the HTTP client every Client of a run shares,
// with a connection pool of conns connections: each parked /sync and each
// sender holds one, and a pool smaller than the load would queue requests
// inside the tool and add to the latencies it reports.
func newHTTPClient(conns int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // a load test must reach the server it names, not a proxy
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// on returns a client for the same device that sends its requests to
// another instance of the homeserver.
func (c *Client) on(base string) *Client {
	o := *c
	o.base = base
	return &o
}

// APIError is a request the server answered with an error status.
type APIError struct {
	Method, Path string
	Status       int
	Errcode      string
	Message      string
	RetryAfter   time.Duration
	// uia is the user-interactive authentication challenge of a 401.
	uia *uiaChallenge
}

type uiaChallenge struct {
	Flows []struct {
		Stages []string `json:"stages"`
	} `json:"flows"`
	Session string `json:"session"`
}

func (e *APIError) Error() string {
	code := e.Errcode
	if code == "" {
		code = "no errcode"
	}
	msg := e.Message
	if msg != "" {
		msg = ": " + msg
	}
	return fmt.Sprintf("%s %s: HTTP %d %s%s", e.Method, e.Path, e.Status, code, msg)
}

// errorKind is the key a failure is counted under: the Matrix errcode, the
// HTTP status when there is none, else the transport failure.
func errorKind(err error) string {
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Errcode != "":
		return apiErr.Errcode
	case errors.As(err, &apiErr):
		return "HTTP_" + strconv.Itoa(apiErr.Status)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	default:
		return "network"
	}
}

func isErrcode(err error, code string) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Errcode == code
}

// request is one API call.
type request struct {
	method, path string
	query        url.Values
	body         any
	timeout      time.Duration
	// retryUntil, when set, is when waiting out a rate limit stops being
	// worth it: do returns errStopped rather than wait past it.
	retryUntil time.Time
}

// errStopped is a request given up because its scenario's time ran out
// while it waited out a rate limit.
var errStopped = errors.New("scenario time ran out while waiting out a rate limit")

// do sends r and decodes a successful JSON answer into out (when not nil).
// A request answered M_LIMIT_EXCEEDED waits retry_after_ms (or the
// Retry-After header, else a second) and is sent again, up to
// maxLimitRetries times: every request this tool makes is safe to repeat
// (sends carry a transaction ID). It returns the size of the answer body.
func (c *Client) do(ctx context.Context, r request, out any) (int, error) {
	for attempt := 0; ; attempt++ {
		n, err := c.once(ctx, r, out)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Errcode != "M_LIMIT_EXCEEDED" || attempt >= maxLimitRetries {
			return n, err
		}
		if c.limited != nil {
			c.limited.Add(1)
		}
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if !r.retryUntil.IsZero() && time.Now().Add(wait).After(r.retryUntil) {
			return 0, errStopped
		}
		if err := sleep(ctx, wait); err != nil {
			return 0, fmt.Errorf("%s %s: waiting out a rate limit: %w", r.method, r.path, err)
		}
	}
}

func (c *Client) once(ctx context.Context, r request, out any) (int, error) {
	timeout := r.timeout
	if timeout == 0 {
		timeout = requestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		data, err := json.Marshal(r.body)
		if err != nil {
			return 0, fmt.Errorf("encoding %s %s: %w", r.method, r.path, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return len(data), fmt.Errorf("%s %s: reading the answer: %w", r.method, r.path, err)
	}
	if resp.StatusCode/100 != 2 {
		return len(data), decodeAPIError(r, resp, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return len(data), fmt.Errorf("%s %s: answer is not the expected JSON: %w", r.method, r.path, err)
		}
	}
	return len(data), nil
}

func decodeAPIError(r request, resp *http.Response, data []byte) error {
	e := &APIError{Method: r.method, Path: r.path, Status: resp.StatusCode}
	var body struct {
		Errcode      string `json:"errcode"`
		Error        string `json:"error"`
		RetryAfterMs int64  `json:"retry_after_ms"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.Errcode, e.Message = body.Errcode, body.Error
		e.RetryAfter = time.Duration(body.RetryAfterMs) * time.Millisecond
		if resp.StatusCode == http.StatusUnauthorized {
			var uia uiaChallenge
			if json.Unmarshal(data, &uia) == nil && len(uia.Flows) > 0 {
				e.uia = &uia
			}
		}
	} else {
		e.Message = strings.TrimSpace(string(data[:min(len(data), 200)]))
	}
	if e.RetryAfter == 0 {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
	}
	return e
}

func clientPath(parts ...string) string {
	var b strings.Builder
	b.WriteString("/_matrix/client/v3")
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// checkServer fails with a clear message when nothing Matrix-like answers
// at the base URL.
func (c *Client) checkServer(ctx context.Context) error {
	var versions struct {
		Versions []string `json:"versions"`
	}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/_matrix/client/versions", timeout: 10 * time.Second}, &versions)
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		return fmt.Errorf("%s does not look like a Matrix homeserver: %w", c.base, err)
	case err != nil:
		return fmt.Errorf("cannot reach the homeserver at %s: %w", c.base, err)
	case len(versions.Versions) == 0:
		return fmt.Errorf("%s does not look like a Matrix homeserver: /_matrix/client/versions lists no versions", c.base)
	}
	return nil
}

// CreateRoom creates a public room (anyone may join, so joins need no
// invites) and returns its ID.
func (c *Client) CreateRoom(ctx context.Context, name string) (string, error) {
	var res struct {
		RoomID string `json:"room_id"`
	}
	_, err := c.do(ctx, request{method: http.MethodPost, path: clientPath("createRoom"),
		body: map[string]any{"preset": "public_chat", "name": name}}, &res)
	if err == nil && res.RoomID == "" {
		err = errors.New("POST /createRoom: answer has no room_id")
	}
	return res.RoomID, err
}

// Join joins a room by ID.
func (c *Client) Join(ctx context.Context, roomID string) error {
	_, err := c.do(ctx, request{method: http.MethodPost, path: clientPath("rooms", roomID, "join"), body: map[string]any{}}, nil)
	return err
}

// Send sends an m.room.message with the given transaction ID and returns
// the event ID. until (when not zero) bounds waiting out rate limits, see
// request.retryUntil.
func (c *Client) Send(ctx context.Context, roomID, txnID string, content map[string]any, until time.Time) (string, error) {
	var res struct {
		EventID string `json:"event_id"`
	}
	_, err := c.do(ctx, request{method: http.MethodPut,
		path: clientPath("rooms", roomID, "send", "m.room.message", txnID), body: content, retryUntil: until}, &res)
	if err == nil && res.EventID == "" {
		err = errors.New("PUT /send: answer has no event_id")
	}
	return res.EventID, err
}

// SyncResponse is the part of a /sync answer the scenarios read.
type SyncResponse struct {
	NextBatch string `json:"next_batch"`
	Rooms     struct {
		Join map[string]struct {
			Timeline struct {
				Events  []SyncEvent `json:"events"`
				Limited bool        `json:"limited"`
			} `json:"timeline"`
		} `json:"join"`
	} `json:"rooms"`
}

// SyncEvent is a timeline event as far as the scenarios care.
type SyncEvent struct {
	Type    string         `json:"type"`
	Sender  string         `json:"sender"`
	EventID string         `json:"event_id"`
	Content map[string]any `json:"content"`
}

// Sync calls GET /sync. since empty is an initial sync; timeout is how
// long the server may park the request; filter is an inline JSON filter
// or "". It returns the size of the answer body.
func (c *Client) Sync(ctx context.Context, since string, timeout time.Duration, filter string) (*SyncResponse, int, error) {
	q := url.Values{"timeout": {strconv.FormatInt(timeout.Milliseconds(), 10)}}
	if since != "" {
		q.Set("since", since)
	}
	if filter != "" {
		q.Set("filter", filter)
	}
	var res SyncResponse
	n, err := c.do(ctx, request{method: http.MethodGet, path: clientPath("sync"), query: q, timeout: timeout + syncGrace}, &res)
	if err == nil && res.NextBatch == "" {
		err = errors.New("GET /sync: answer has no next_batch")
	}
	return &res, n, err
}
