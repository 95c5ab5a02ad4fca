package config

import (
	"bytes"
	"fmt"
	"text/template"
)

// Generate returns a fully commented configuration file holding the given
// server name and data directory and the defaults for everything else.
func Generate(serverName, dataDir string) ([]byte, error) {
	cfg := Defaults()
	cfg.ServerName, cfg.DataDir = serverName, dataDir
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := fileTemplate.Execute(&buf, cfg); err != nil {
		return nil, fmt.Errorf("rendering config template: %w", err)
	}
	return buf.Bytes(), nil
}

var fileTemplate = withSync(withTURN(withMedia(template.Must(template.New("config").Parse(`# OComms homeserver configuration.
#
# Every key can be overridden by an environment variable: OCOMMS_ followed by
# the key's path in upper case, dots as underscores. For example
# database.postgres_dsn is OCOMMS_DATABASE_POSTGRES_DSN. Lists take
# comma-separated values; lists of sections (media.url_preview.oembed_providers)
# take a JSON or YAML flow list, such as
# [{"endpoint": "https://o.example/oembed", "url_patterns": ["https://o.example/*"]}].
# Unknown keys are an error.
#
# Durations are written like 30s, 5m or 1h.

# The domain part of every user ID (@alice:example.org) and room alias on
# this server. Other servers find you by it, so it cannot change once users
# exist. Use the domain people will see, not necessarily this machine's name.
server_name: {{printf "%q" .ServerName}}

# Where the server keeps its files: the SQLite database, the embedded bus's
# storage and the signing key. In a container this must be a mounted volume.
data_dir: {{printf "%q" .DataDir}}

# The ed25519 key that signs this server's events and federation requests,
# generated on first start when missing. Relative paths are inside data_dir.
# Back it up: other servers remember it.
signing_key_path: {{printf "%q" .SigningKeyPath}}

client_api:
  # Address for the Client-Server API (what Element and bots talk to). Put a
  # TLS-terminating reverse proxy in front of it for anything but local use.
  listen: {{printf "%q" .ClientAPI.Listen}}

federation:
  # The Server-Server API, for sharing rooms with other homeservers.
  enabled: {{.Federation.Enabled}}
  listen: {{printf "%q" .Federation.Listen}}
  # Serve HTTPS directly with this certificate and key (PEM). Leave both
  # empty to serve plain HTTP behind a TLS-terminating reverse proxy.
  tls_cert_file: {{printf "%q" .Federation.TLSCertFile}}
  tls_key_file: {{printf "%q" .Federation.TLSKeyFile}}

metrics:
  # Prometheus metrics on /metrics plus /health and /ready, on their own
  # listener so they are not exposed with the public API.
  enabled: {{.Metrics.Enabled}}
  listen: {{printf "%q" .Metrics.Listen}}

database:
  # "sqlite" (embedded, nothing to install; fine for small teams) or
  # "postgres" (production, required to run several instances).
  backend: {{printf "%q" .Database.Backend}}
  # SQLite database file, relative to data_dir unless absolute.
  sqlite_path: {{printf "%q" .Database.SQLitePath}}
  # PostgreSQL connection string, such as
  # postgres://ocomms:secret@db.internal:5432/ocomms?sslmode=require
  postgres_dsn: {{printf "%q" .Database.PostgresDSN}}
  # PostgreSQL connection pool. Keep max_idle_conns at max_open_conns:
  # a connection closed after a burst costs a new PostgreSQL backend and
  # its prepared statements on the next one.
  max_open_conns: {{.Database.MaxOpenConns}}
  max_idle_conns: {{.Database.MaxIdleConns}}
  conn_max_lifetime: {{.Database.ConnMaxLifetime}}

bus:
  # NATS servers with JetStream, such as nats://nats-1:4222. Leave empty to
  # run an embedded NATS server inside this process (single instance). Set it
  # to run several ocomms instances against one PostgreSQL.
  nats_urls: []
  # Prefix for every stream and subject, so several deployments can share
  # one NATS cluster.
  prefix: {{printf "%q" .Bus.Prefix}}
  # The embedded server's JetStream storage, relative to data_dir.
  storage_dir: {{printf "%q" .Bus.StorageDir}}
  # NATS credentials (.creds file) when the external server requires them.
  credentials_file: {{printf "%q" .Bus.CredentialsFile}}
  # Replication factor of every stream on a NATS cluster (1 to 5).
  replicas: {{.Bus.Replicas}}
  # How long start-up waits for nats_urls to answer (warning in the log
  # while it waits) before it gives up with the reason and exits non-zero.
  connect_timeout: {{.Bus.ConnectTimeout}}

logging:
  # debug, info, warn or error.
  level: {{printf "%q" .Logging.Level}}
  # "text" for people, "json" for log collectors.
  format: {{printf "%q" .Logging.Format}}

rooms:
  # Room version of new rooms when the client does not ask for one (1-12;
  # see https://spec.matrix.org/latest/rooms/).
  default_version: {{printf "%q" .Rooms.DefaultVersion}}
  # Serve profiles only to signed-in users who share a room with the user
  # (or see them in a public or world-readable room); others get 403.
  restrict_profile_lookups: {{.Rooms.RestrictProfileLookups}}

registration:
  # Let anyone create an account on /register. Off by default: create
  # accounts with "ocomms create-user" or turn on require_token.
  enabled: {{.Registration.Enabled}}
  # With enabled: true, also require a registration token (create tokens
  # with the admin API or "ocomms registration-token").
  require_token: {{.Registration.RequireToken}}
  # Secret for the Synapse-compatible /_synapse/admin/v1/register endpoint
  # used by provisioning tools (at least 16 characters). Empty disables it.
  shared_secret: {{printf "%q" .Registration.SharedSecret}}
  # Allow guest accounts (kind=guest).
  guest_access: {{.Registration.GuestAccess}}

auth:
  # Lifetime of access tokens issued together with a refresh token. Tokens
  # issued without one do not expire until logout.
  refreshable_token_lifetime: {{.Auth.RefreshableTokenLifetime}}
  login_token:
    # Let a logged-in client sign another device in with a single-use
    # token (POST /_matrix/client/v1/login/get_token and the m.login.token
    # login flow), after confirming the user's password.
    enabled: {{.Auth.LoginToken.Enabled}}
    # How long such a token may wait to be used (10s to 1h).
    lifetime: {{.Auth.LoginToken.Lifetime}}

rate_limits:
  # Token buckets per user or address: per_second is the sustained rate,
  # burst how many requests may come at once. Over the limit, clients get
  # M_LIMIT_EXCEEDED with retry_after_ms.
  login:
    per_second: {{.RateLimits.Login.PerSecond}}
    burst: {{.RateLimits.Login.Burst}}
  register:
    per_second: {{.RateLimits.Register.PerSecond}}
    burst: {{.RateLimits.Register.Burst}}
  send:
    per_second: {{.RateLimits.Send.PerSecond}}
    burst: {{.RateLimits.Send.Burst}}
  # Reverse proxies in front of the client API, as CIDRs or addresses
  # (such as ["127.0.0.1", "10.0.0.0/8"]). For requests they pass on, the
  # client's address is read from X-Forwarded-For (the rightmost hop that
  # is not itself a trusted proxy); everyone else's header is ignored.
  # Empty: limits count the connection's address, which behind a proxy is
  # the proxy's, shared by all clients.
  trusted_proxies: [{{range $i, $p := .RateLimits.TrustedProxies}}{{if $i}}, {{end}}{{printf "%q" $p}}{{end}}]

well_known:
  # Public URL of the client API, served as /.well-known/matrix/client so
  # clients find the server from the user ID's domain, such as
  # https://matrix.example.org. Empty: that document answers 404.
  client_base_url: {{printf "%q" .WellKnown.ClientBaseURL}}
  # host:port other servers reach the federation API on, served as
  # /.well-known/matrix/server (delegation), such as matrix.example.org:443.
  # Empty: that document answers 404.
  server: {{printf "%q" .WellKnown.Server}}

presence:
  # Show users online, unavailable or offline to those they share a room
  # with. Off: setting presence is accepted and ignored, everyone reads as
  # offline and /sync carries no presence (less traffic on large servers).
  enabled: {{.Presence.Enabled}}
  # How long a user who stopped syncing stays online before turning
  # offline, so a connection that drops and comes back does not flap.
  offline_after: {{.Presence.OfflineAfter}}

limits:
  # Largest request body accepted on the API listeners (media uploads have
  # their own limit).
  max_request_body_bytes: {{.Limits.MaxRequestBodyBytes}}
  # Slow clients that do not send their headers in time are disconnected.
  read_header_timeout: {{.Limits.ReadHeaderTimeout}}
  # How long a graceful shutdown (SIGTERM, SIGINT) waits for requests in
  # flight before closing the bus and the database.
  shutdown_timeout: {{.Limits.ShutdownTimeout}}
{{template "media" .Media}}{{template "turn" .TURN}}{{template "push" .Push}}{{template "sync" .Sync}}`)))))
