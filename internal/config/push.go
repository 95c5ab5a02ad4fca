package config

import (
	"fmt"
	"net/netip"
	"time"
)

// Push configures delivery to the push gateways (such as Sygnal) that
// clients register with POST /pushers/set.
// https://spec.matrix.org/latest/push-gateway-api/
type Push struct {
	// AllowedGatewayRanges are CIDRs push gateways may be reached at
	// although they are loopback, private or otherwise internal. Gateway
	// URLs come from users, so everything internal is refused otherwise.
	AllowedGatewayRanges []string `yaml:"allowed_gateway_ranges"`
	// AllowHTTPGateways accepts http:// gateway URLs; the spec requires
	// https, which is the default.
	AllowHTTPGateways bool `yaml:"allow_http_gateways"`
	// Timeout bounds one notify request, connecting included.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how often a notification is tried before it is given
	// up (and logged).
	MaxAttempts int `yaml:"max_attempts"`
	// RetryInitial is the wait after the first failed attempt; it doubles
	// per attempt up to RetryMax.
	RetryInitial time.Duration `yaml:"retry_initial"`
	RetryMax     time.Duration `yaml:"retry_max"`
}

// AllowedGatewayPrefixes parses AllowedGatewayRanges.
func (p Push) AllowedGatewayPrefixes() ([]netip.Prefix, error) {
	return parsePrefixes(p.AllowedGatewayRanges)
}

func defaultPush() Push {
	return Push{
		AllowedGatewayRanges: []string{},
		Timeout:              10 * time.Second,
		MaxAttempts:          10,
		RetryInitial:         time.Second,
		RetryMax:             5 * time.Minute,
	}
}

func (p Push) validate(bad func(key, format string, args ...any)) {
	if _, err := p.AllowedGatewayPrefixes(); err != nil {
		bad("push.allowed_gateway_ranges", "%v", err)
	}
	if p.Timeout < time.Second || p.Timeout > 5*time.Minute {
		bad("push.timeout", "must be between 1s and 5m, got %s", p.Timeout)
	}
	if p.MaxAttempts < 1 || p.MaxAttempts > 100 {
		bad("push.max_attempts", "must be between 1 and 100, got %d", p.MaxAttempts)
	}
	if p.RetryInitial < 10*time.Millisecond || p.RetryInitial > time.Hour {
		bad("push.retry_initial", "must be between 10ms and 1h, got %s", p.RetryInitial)
	}
	if p.RetryMax < p.RetryInitial || p.RetryMax > 24*time.Hour {
		bad("push.retry_max", "must be at least retry_initial and at most 24h, got %s", p.RetryMax)
	}
}

// parsePrefixes reads CIDRs, taking a bare address as its own range.
func parsePrefixes(ranges []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ranges))
	for _, s := range ranges {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", s)
			}
			addr = addr.Unmap()
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// pushTemplate is the push section of the generated file, rendered with
// the Push value.
const pushTemplate = `
push:
  # Push notifications go to the push gateway each phone app registered
  # (POST /_matrix/client/v3/pushers/set), such as Sygnal. Gateway URLs come
  # from users, so loopback, private and link-local addresses are refused
  # (after DNS resolution, redirects included) unless listed here, such as
  # ["10.0.5.0/24"] for a Sygnal on the internal network.
  allowed_gateway_ranges: [{{range $i, $p := .AllowedGatewayRanges}}{{if $i}}, {{end}}{{printf "%q" $p}}{{end}}]
  # The spec requires https gateway URLs; true also accepts http:// ones.
  allow_http_gateways: {{.AllowHTTPGateways}}
  # Bound of one notify request to a gateway.
  timeout: {{.Timeout}}
  # A notification a gateway does not accept is retried with a wait that
  # starts at retry_initial and doubles up to retry_max, and is given up
  # (logged) after max_attempts tries.
  max_attempts: {{.MaxAttempts}}
  retry_initial: {{.RetryInitial}}
  retry_max: {{.RetryMax}}
`
