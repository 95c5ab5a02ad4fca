// Package config loads and validates the one YAML file that configures an
// ocomms process, with every key overridable from the environment for
// containers.
package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ocomms/ocomms/spec/roomversion"
)

// Config is the whole configuration file. Field yaml tags are the file's key
// names; the environment override of a key is OCOMMS_ followed by its dotted
// path in upper case with dots replaced by underscores
// (database.postgres_dsn → OCOMMS_DATABASE_POSTGRES_DSN).
type Config struct {
	// ServerName is the domain part of every user ID and room alias on this
	// server. It cannot change once users exist.
	ServerName string `yaml:"server_name"`
	// DataDir holds the SQLite database, the embedded bus's storage and the
	// signing key unless those are configured elsewhere.
	DataDir string `yaml:"data_dir"`
	// SigningKeyPath is the ed25519 key that signs events and federation
	// requests; relative paths are relative to DataDir.
	SigningKeyPath string `yaml:"signing_key_path"`

	ClientAPI  ClientAPI  `yaml:"client_api"`
	Federation Federation `yaml:"federation"`
	Metrics    Metrics    `yaml:"metrics"`
	Database   Database   `yaml:"database"`
	Bus        Bus        `yaml:"bus"`
	Logging    Logging    `yaml:"logging"`
	Limits     Limits     `yaml:"limits"`

	Rooms        Rooms        `yaml:"rooms"`
	Registration Registration `yaml:"registration"`
	Auth         Auth         `yaml:"auth"`
	RateLimits   RateLimits   `yaml:"rate_limits"`
	WellKnown    WellKnown    `yaml:"well_known"`
	Media        Media        `yaml:"media"`
	Presence     Presence     `yaml:"presence"`
	TURN         TURN         `yaml:"turn"`
	Push         Push         `yaml:"push"`
	Sync         Sync         `yaml:"sync"`
}

// Presence configures whether users see each other online.
// https://spec.matrix.org/latest/client-server-api/#presence
type Presence struct {
	// Enabled publishes presence; off, PUT /presence is accepted and
	// ignored, GET answers offline and /sync carries no presence, as in
	// Synapse with presence disabled.
	Enabled bool `yaml:"enabled"`
	// OfflineAfter is how long a user who stopped syncing (on every
	// instance) stays online or unavailable before becoming offline, so a
	// dropped connection that comes back does not flap.
	OfflineAfter time.Duration `yaml:"offline_after"`
}

// WellKnown is what /.well-known/matrix/* tells clients and other servers
// about where this server is reached. Each document is served only when its
// key is set, as Synapse serves the client one only with public_baseurl.
type WellKnown struct {
	// ClientBaseURL is the public URL of the Client-Server API (the
	// m.homeserver base_url of /.well-known/matrix/client).
	ClientBaseURL string `yaml:"client_base_url"`
	// Server is the host:port other servers reach the federation API on
	// (the m.server of /.well-known/matrix/server).
	Server string `yaml:"server"`
}

// Rooms holds room defaults.
type Rooms struct {
	// DefaultVersion is the room version of new rooms when the client does
	// not ask for one.
	DefaultVersion string `yaml:"default_version"`
	// RestrictProfileLookups limits GET /profile to authenticated users
	// and to the profiles the spec requires a server to serve (users
	// sharing a room with the caller, or joined to a public or
	// world-readable room); other look-ups answer 403.
	RestrictProfileLookups bool `yaml:"restrict_profile_lookups"`
}

// Registration decides who may create accounts.
type Registration struct {
	// Enabled opens /register to anyone (m.login.dummy); off by default so a
	// production server is never open by accident.
	Enabled bool `yaml:"enabled"`
	// RequireToken makes open registration need a registration token
	// (m.login.registration_token), managed with the admin API and CLI.
	RequireToken bool `yaml:"require_token"`
	// SharedSecret enables /_synapse/admin/v1/register for provisioning
	// tools; empty disables it.
	SharedSecret string `yaml:"shared_secret"`
	// GuestAccess allows kind=guest registration.
	GuestAccess bool `yaml:"guest_access"`
}

// Auth tunes access tokens.
type Auth struct {
	// RefreshableTokenLifetime is how long an access token lives when the
	// client asked for a refresh token; tokens without one do not expire.
	RefreshableTokenLifetime time.Duration `yaml:"refreshable_token_lifetime"`
	LoginToken               LoginToken    `yaml:"login_token"`
}

// LoginToken configures POST /login/get_token, with which a logged-in
// client signs another one in (m.login.token, such as a QR code login).
type LoginToken struct {
	// Enabled mounts the endpoint and offers the m.login.token login flow.
	Enabled bool `yaml:"enabled"`
	// Lifetime is how long a token may wait to be used; the spec
	// recommends two minutes.
	Lifetime time.Duration `yaml:"lifetime"`
}

// RateLimits bound how fast one user or address may call the expensive or
// abusable endpoints. Rates are per second; bursts are request counts.
type RateLimits struct {
	Login    RateLimit `yaml:"login"`
	Register RateLimit `yaml:"register"`
	Send     RateLimit `yaml:"send"`
	// TrustedProxies are the reverse proxies (CIDRs or addresses) whose
	// X-Forwarded-For names the client; from anyone else the header is
	// ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// TrustedProxyPrefixes parses TrustedProxies; a bare address is a prefix
// of its own length.
func (r RateLimits) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range r.TrustedProxies {
		if strings.Contains(s, "/") {
			prefix, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", s)
			}
			out = append(out, prefix.Masked())
			continue
		}
		addr, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", s)
		}
		addr = addr.Unmap()
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}

// RateLimit is a token bucket.
type RateLimit struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// ClientAPI is the listener for the Client-Server API.
type ClientAPI struct {
	Listen string `yaml:"listen"`
}

// Federation is the listener for the Server-Server API.
type Federation struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
	// TLSCertFile and TLSKeyFile make the listener serve HTTPS itself; when
	// both are empty it serves plain HTTP behind a TLS-terminating proxy.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
}

// Metrics is the Prometheus and health listener, kept off the public ports.
type Metrics struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
}

// Database selects and tunes the storage backend.
type Database struct {
	Backend string `yaml:"backend"`
	// SQLitePath is relative to DataDir unless absolute.
	SQLitePath      string        `yaml:"sqlite_path"`
	PostgresDSN     string        `yaml:"postgres_dsn"`
	MaxOpenConns    int           `yaml:"max_open_conns"`
	MaxIdleConns    int           `yaml:"max_idle_conns"`
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime"`
}

// Bus selects the NATS JetStream deployment.
type Bus struct {
	// NATSURLs empty means an embedded server inside this process.
	NATSURLs []string `yaml:"nats_urls"`
	// Prefix namespaces every stream and subject, so several deployments can
	// share one NATS cluster.
	Prefix string `yaml:"prefix"`
	// StorageDir is the embedded server's JetStream storage, relative to
	// DataDir unless absolute.
	StorageDir string `yaml:"storage_dir"`
	// CredentialsFile authenticates to an external NATS (.creds file).
	CredentialsFile string `yaml:"credentials_file"`
	// Replicas is the replication factor of streams on a NATS cluster.
	Replicas int `yaml:"replicas"`
	// ConnectTimeout is how long start-up waits for an external NATS to
	// answer before it fails with the reason.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
}

// Logging configures log/slog output on stderr.
type Logging struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Limits protect the process from oversized or slow requests.
type Limits struct {
	MaxRequestBodyBytes int64         `yaml:"max_request_body_bytes"`
	ReadHeaderTimeout   time.Duration `yaml:"read_header_timeout"`
	ShutdownTimeout     time.Duration `yaml:"shutdown_timeout"`
}

// Defaults returns the configuration used for every key the file leaves out.
func Defaults() Config {
	return Config{
		ServerName:     "localhost",
		DataDir:        "./data",
		SigningKeyPath: "signing.key",
		ClientAPI:      ClientAPI{Listen: "127.0.0.1:8008"},
		Federation:     Federation{Enabled: false, Listen: "127.0.0.1:8448"},
		Metrics:        Metrics{Enabled: true, Listen: "127.0.0.1:9108"},
		Database: Database{
			Backend:         "sqlite",
			SQLitePath:      "ocomms.db",
			MaxOpenConns:    20,
			MaxIdleConns:    20,
			ConnMaxLifetime: time.Hour,
		},
		Bus:     Bus{Prefix: "ocomms", StorageDir: "jetstream", Replicas: 1, ConnectTimeout: 30 * time.Second},
		Logging: Logging{Level: "info", Format: "text"},
		Rooms:   Rooms{DefaultVersion: string(roomversion.Default)},
		Auth: Auth{
			RefreshableTokenLifetime: 5 * time.Minute,
			LoginToken:               LoginToken{Lifetime: 2 * time.Minute},
		},
		RateLimits: RateLimits{
			Login:    RateLimit{PerSecond: 0.2, Burst: 5},
			Register: RateLimit{PerSecond: 0.1, Burst: 3},
			Send:     RateLimit{PerSecond: 10, Burst: 50},
		},
		Presence: Presence{Enabled: true, OfflineAfter: 30 * time.Second},
		Media:    defaultMedia(),
		TURN:     defaultTURN(),
		Push:     defaultPush(),
		Sync:     defaultSync(),
		Limits: Limits{
			MaxRequestBodyBytes: 1 << 20,
			ReadHeaderTimeout:   10 * time.Second,
			ShutdownTimeout:     20 * time.Second,
		},
	}
}
