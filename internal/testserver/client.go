package testserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Client is a Matrix client of a test server, logged in as one device (or
// anonymous when AccessToken is empty).
type Client struct {
	BaseURL     string
	UserID      string
	DeviceID    string
	AccessToken string
	HTTP        *http.Client
}

// ClientResponse is a finished request.
type ClientResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *ClientResponse) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response (%d) is not the expected JSON: %v: %s", r.Status, err, r.Body)
	}
}

// Map decodes the body as a JSON object.
func (r *ClientResponse) Map(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Errcode is the errcode of an error response, or "".
func (r *ClientResponse) Errcode() string {
	var e struct {
		Errcode string `json:"errcode"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Errcode
}

// Anonymous returns a client without an access token.
func (s *Server) Anonymous() *Client {
	return &Client{BaseURL: s.URL, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Do sends a request. path is absolute on the server ("/_matrix/client/v3/...").
// body is nil, a []byte or string sent as is, or a value sent as JSON.
func (c *Client) Do(t *testing.T, method, path string, body any) *ClientResponse {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding request body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.BaseURL+path, rd)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.AccessToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading response: %v", method, path, err)
	}
	return &ClientResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// MustDo sends a request and fails the test unless it answers wantStatus;
// it returns the decoded JSON object.
func (c *Client) MustDo(t *testing.T, method, path string, body any, wantStatus int) map[string]any {
	t.Helper()
	resp := c.Do(t, method, path, body)
	if resp.Status != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.Status, wantStatus, resp.Body)
	}
	if len(resp.Body) == 0 {
		return nil
	}
	return resp.Map(t)
}

// NewUser registers localpart through the shared-secret admin registration
// (as provisioning tools and the conformance suite do) and returns a client
// logged in as the new user's first device.
func (s *Server) NewUser(t *testing.T, localpart string) *Client {
	t.Helper()
	return s.newUser(t, localpart, "password-"+localpart, false)
}

// NewAdmin is NewUser for a server admin.
func (s *Server) NewAdmin(t *testing.T, localpart string) *Client {
	t.Helper()
	return s.newUser(t, localpart, "password-"+localpart, true)
}

func (s *Server) newUser(t *testing.T, localpart, password string, admin bool) *Client {
	t.Helper()
	anon := s.Anonymous()
	nonce, _ := anon.MustDo(t, http.MethodGet, "/_synapse/admin/v1/register", nil, http.StatusOK)["nonce"].(string)
	mac := hmac.New(sha1.New, []byte(SharedSecret))
	role := "notadmin"
	if admin {
		role = "admin"
	}
	mac.Write([]byte(nonce + "\x00" + localpart + "\x00" + password + "\x00" + role))
	res := anon.MustDo(t, http.MethodPost, "/_synapse/admin/v1/register", map[string]any{
		"nonce": nonce, "username": localpart, "password": password, "admin": admin,
		"mac": hex.EncodeToString(mac.Sum(nil)),
	}, http.StatusOK)
	c := s.Anonymous()
	c.UserID, _ = res["user_id"].(string)
	c.DeviceID, _ = res["device_id"].(string)
	c.AccessToken, _ = res["access_token"].(string)
	if c.UserID == "" || c.AccessToken == "" {
		t.Fatalf("registration of %s returned no user or token: %v", localpart, res)
	}
	return c
}

// On returns a copy of the client, logged in as the same device, that
// talks to instance s.
func (c *Client) On(s *Server) *Client {
	other := *c
	other.BaseURL = s.URL
	return &other
}
