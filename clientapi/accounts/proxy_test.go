package accounts_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

// loginFrom attempts a password login with the given X-Forwarded-For, and
// returns the status and errcode.
func loginFrom(t *testing.T, srv *testserver.Server, user, password, forwardedFor string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"type": "m.login.password", "user": user, "password": password})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+v3+"/login", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", forwardedFor)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct{ Errcode string }
	_ = json.Unmarshal(data, &e)
	return resp.StatusCode, e.Errcode
}

// proxyStep is one login: its X-Forwarded-For and whether it is limited.
type proxyStep struct {
	xff     string
	limited bool
}

func TestLoginLimitsFollowForwardedForOnlyFromTrustedProxies(t *testing.T) {
	oneLogin := config.RateLimit{PerSecond: 0.001, Burst: 1}
	tests := []struct {
		name    string
		trusted []string
		// each step is an X-Forwarded-For and whether it is limited
		steps []proxyStep
	}{
		{"behind a trusted proxy each client has its own limit", []string{"127.0.0.1"}, []proxyStep{{"203.0.113.1", false}, {"203.0.113.2", false}, {"203.0.113.1", true}, {"203.0.113.9, 203.0.113.2", true}}},
		{"from an untrusted peer the header is ignored", nil, []proxyStep{{"203.0.113.1", false}, {"203.0.113.2", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testserver.Config(t, testserver.Backends()[0])
			cfg.RateLimits.Login = oneLogin
			cfg.RateLimits.TrustedProxies = tt.trusted
			srv := testserver.Start(t, cfg)
			for i, step := range tt.steps {
				status, code := loginFrom(t, srv, fmt.Sprintf("nobody%d", i), "x", step.xff)
				if limited := status == http.StatusTooManyRequests && code == "M_LIMIT_EXCEEDED"; limited != step.limited {
					t.Fatalf("login %d from %q: %d %s, want limited %v", i, step.xff, status, code, step.limited)
				}
				if !step.limited && (status != http.StatusForbidden || code != "M_FORBIDDEN") {
					t.Fatalf("login %d from %q: %d %s, want 403 M_FORBIDDEN", i, step.xff, status, code)
				}
			}
		})
	}
}

// One user's logins are limited however many addresses they come from, so
// a password guesser cannot spread over a botnet; other users are not
// held back by it.
func TestLoginIsRateLimitedPerUserAcrossAddresses(t *testing.T) {
	cfg := testserver.Config(t, testserver.Backends()[0])
	cfg.RateLimits.Login = config.RateLimit{PerSecond: 0.001, Burst: 2}
	cfg.RateLimits.TrustedProxies = []string{"127.0.0.1"}
	srv := testserver.Start(t, cfg)
	srv.NewUser(t, "alice")
	srv.NewUser(t, "bob")
	tests := []struct {
		name, user, password, xff string
		status                    int
		code                      string
	}{
		{"a wrong password counts against the user", "alice", "wrong", "203.0.113.1", 403, "M_FORBIDDEN"},
		{"the right password from a second address", "alice", "password-alice", "203.0.113.2", 200, ""},
		{"a third address finds the user's limit spent", "alice", "password-alice", "203.0.113.3", 429, "M_LIMIT_EXCEEDED"},
		{"the user ID in full meets the same limit", "@alice:test.ocomms.local", "password-alice", "203.0.113.4", 429, "M_LIMIT_EXCEEDED"},
		{"another user from an address already used logs in", "bob", "password-bob", "203.0.113.1", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, code := loginFrom(t, srv, tt.user, tt.password, tt.xff); status != tt.status || code != tt.code {
				t.Fatalf("login as %s from %s: %d %s, want %d %s", tt.user, tt.xff, status, code, tt.status, tt.code)
			}
		})
	}
}
