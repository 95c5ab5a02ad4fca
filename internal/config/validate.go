package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ocomms/ocomms/spec/roomversion"
)

var busPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Validate checks every key and reports all problems at once, each naming
// its key, so an operator fixes the file in one pass.
func (c Config) Validate() error {
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}

	if err := validServerName(c.ServerName); err != nil {
		bad("server_name", "%v", err)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.SigningKeyPath == "" {
		bad("signing_key_path", "must not be empty")
	}
	checkListen := func(key, addr string) {
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
			bad(key, "must be host:port, such as 127.0.0.1:8008, got %q", addr)
		}
	}
	checkListen("client_api.listen", c.ClientAPI.Listen)
	if c.Federation.Enabled {
		checkListen("federation.listen", c.Federation.Listen)
		if (c.Federation.TLSCertFile == "") != (c.Federation.TLSKeyFile == "") {
			bad("federation.tls_cert_file", "tls_cert_file and tls_key_file must be set together")
		}
	}
	if c.Metrics.Enabled {
		checkListen("metrics.listen", c.Metrics.Listen)
	}

	switch c.Database.Backend {
	case "sqlite":
		if c.Database.SQLitePath == "" {
			bad("database.sqlite_path", "must not be empty when database.backend is sqlite")
		}
	case "postgres":
		if c.Database.PostgresDSN == "" {
			bad("database.postgres_dsn", "must be set when database.backend is postgres, such as postgres://user@host:5432/ocomms")
		}
	default:
		bad("database.backend", `must be "sqlite" or "postgres", got %q`, c.Database.Backend)
	}
	if c.Database.MaxOpenConns < 1 {
		bad("database.max_open_conns", "must be at least 1, got %d", c.Database.MaxOpenConns)
	}
	if c.Database.MaxIdleConns < 0 {
		bad("database.max_idle_conns", "must not be negative, got %d", c.Database.MaxIdleConns)
	}

	if !busPrefixPattern.MatchString(c.Bus.Prefix) {
		bad("bus.prefix", "must be 1-32 letters, digits, '_' or '-', got %q", c.Bus.Prefix)
	}
	for i, u := range c.Bus.NATSURLs {
		if !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
			bad(fmt.Sprintf("bus.nats_urls[%d]", i), "must start with nats:// or tls://, got %q", u)
		}
	}
	if c.Bus.Replicas < 1 || c.Bus.Replicas > 5 {
		bad("bus.replicas", "must be between 1 and 5, got %d", c.Bus.Replicas)
	}
	if len(c.Bus.NATSURLs) == 0 && c.Bus.Replicas != 1 {
		bad("bus.replicas", "must be 1 with the embedded bus")
	}
	if c.Bus.ConnectTimeout < time.Second {
		bad("bus.connect_timeout", "must be at least 1s, got %s", c.Bus.ConnectTimeout)
	}
	if len(c.Bus.NATSURLs) == 0 && c.Bus.StorageDir == "" {
		bad("bus.storage_dir", "must not be empty when the embedded bus is used")
	}

	switch c.Logging.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("logging.level", `must be one of debug, info, warn, error, got %q`, c.Logging.Level)
	}
	switch c.Logging.Format {
	case "text", "json":
	default:
		bad("logging.format", `must be "text" or "json", got %q`, c.Logging.Format)
	}

	if c.Limits.MaxRequestBodyBytes < 1024 {
		bad("limits.max_request_body_bytes", "must be at least 1024, got %d", c.Limits.MaxRequestBodyBytes)
	}
	if c.Limits.ReadHeaderTimeout <= 0 {
		bad("limits.read_header_timeout", "must be positive")
	}
	if c.Limits.ShutdownTimeout <= 0 {
		bad("limits.shutdown_timeout", "must be positive")
	}

	if r, err := roomversion.Lookup(roomversion.ID(c.Rooms.DefaultVersion)); err != nil {
		bad("rooms.default_version", "%v", err)
	} else if r.Stability != roomversion.Stable {
		bad("rooms.default_version", "room version %s is not stable", r.ID)
	}
	if c.Registration.RequireToken && !c.Registration.Enabled {
		bad("registration.require_token", "has no effect unless registration.enabled is true")
	}
	if s := c.Registration.SharedSecret; s != "" && len(s) < 16 {
		bad("registration.shared_secret", "must be at least 16 characters (it grants admin accounts), got %d", len(s))
	}
	if c.Auth.RefreshableTokenLifetime < time.Minute {
		bad("auth.refreshable_token_lifetime", "must be at least 1m")
	}
	if l := c.Auth.LoginToken.Lifetime; l < 10*time.Second || l > time.Hour {
		bad("auth.login_token.lifetime", "must be between 10s and 1h, got %s", l)
	}
	for key, rl := range map[string]RateLimit{"login": c.RateLimits.Login, "register": c.RateLimits.Register, "send": c.RateLimits.Send} {
		if rl.PerSecond <= 0 || rl.Burst < 1 {
			bad("rate_limits."+key, "per_second must be positive and burst at least 1")
		}
	}

	if d := c.Presence.OfflineAfter; d < time.Second || d > time.Hour {
		bad("presence.offline_after", "must be between 1s and 1h, got %s", d)
	}
	if _, err := c.RateLimits.TrustedProxyPrefixes(); err != nil {
		bad("rate_limits.trusted_proxies", "%v", err)
	}
	if u := c.WellKnown.ClientBaseURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			bad("well_known.client_base_url", "must be an http(s) URL such as https://matrix.example.org, got %q", u)
		}
	}
	if s := c.WellKnown.Server; s != "" {
		if err := validServerName(s); err != nil {
			bad("well_known.server", "must be a host with an optional port, such as matrix.example.org:443: %v", err)
		}
	}
	c.Media.validate(bad)
	c.TURN.validate(bad)
	c.Push.validate(bad)
	c.Sync.validate(bad)

	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// Path resolves a configured path against DataDir unless it is absolute.
func (c Config) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.DataDir, p)
}
