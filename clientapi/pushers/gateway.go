package pushers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/netguard"
)

// maxGatewayResponse bounds what a gateway's answer is read up to.
const maxGatewayResponse = 64 << 10

// gateway calls push gateways through a client that never reaches
// internal addresses the operator did not allow, never follows redirects
// and bounds every request.
type gateway struct {
	client *http.Client
}

func newGateway(cfg config.Push) (*gateway, error) {
	allowed, err := cfg.AllowedGatewayPrefixes()
	if err != nil {
		return nil, err
	}
	transport := netguard.Guard{Allowed: allowed}.Transport(cfg.Timeout)
	// Connections to a gateway are reused across pushes.
	transport.MaxIdleConnsPerHost, transport.IdleConnTimeout = 8, 90*time.Second
	transport.ForceAttemptHTTP2 = true
	return &gateway{client: &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}, nil
}

// errPermanent marks a gateway answer no retry changes (a 4xx other than
// 429, a refused address).
var errPermanent = errors.New("push gateway refused the notification")

// notify POSTs one notification and returns the pushkeys the gateway
// rejected.
func (g *gateway) notify(ctx context.Context, url string, n notifyRequest) ([]string, error) {
	body, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding: %v", errPermanent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OComms push (Matrix homeserver)")
	resp, err := g.client.Do(req)
	if err != nil {
		if errors.Is(err, netguard.ErrForbiddenAddress) {
			return nil, fmt.Errorf("%w: %v", errPermanent, err)
		}
		return nil, fmt.Errorf("calling the push gateway: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxGatewayResponse))
	if err != nil {
		return nil, fmt.Errorf("reading the push gateway's answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, fmt.Errorf("push gateway answered %d", resp.StatusCode)
	default:
		return nil, fmt.Errorf("%w: it answered %d", errPermanent, resp.StatusCode)
	}
	var out struct {
		Rejected []string `json:"rejected"`
	}
	// A gateway that answers 200 without the rejected list accepted
	// everything.
	_ = json.Unmarshal(data, &out)
	return out.Rejected, nil
}
