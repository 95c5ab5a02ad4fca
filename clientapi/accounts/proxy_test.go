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

// loginFrom attempts a login as a fresh unknown user with the given
// X-Forwarded-For, and returns the status and errcode.
func loginFrom(t *testing.T, srv *testserver.Server, n int, forwardedFor string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"type": "m.login.password", "user": fmt.Sprintf("nobody%d", n), "password": "x"})
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
				status, code := loginFrom(t, srv, i, step.xff)
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
