package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseAcceptsMinimalFileWithDefaults(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "minimal.yaml"), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Defaults()
	want.ServerName, want.DataDir = "chat.example.org", "/var/lib/ocomms"
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got %+v\nwant %+v", cfg, want)
	}
}

func TestParseRejectsBadFilesNamingTheKey(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantMsg string
	}{
		{"unknown top-level key", "server_nam: x\n", "server_nam (line 1): unknown key"},
		{"unknown nested key", "database:\n  bakend: sqlite\n", "database.bakend (line 2): unknown key"},
		{"wrong type for an integer", "database:\n  max_open_conns: lots\n", `database.max_open_conns (line 2): expected a whole number, got "lots"`},
		{"wrong type for a boolean", "metrics:\n  enabled: maybe\n", `metrics.enabled (line 2): expected true or false`},
		{"wrong type for a duration", "limits:\n  shutdown_timeout: 20\n", "limits.shutdown_timeout (line 2): expected a duration"},
		{"mapping where a value belongs", "server_name:\n  a: b\n", "server_name (line 2): expected a single value"},
		{"scalar where a section belongs", "database: sqlite\n", "database (line 1): expected a mapping"},
		{"duplicate key", "server_name: a\nserver_name: b\n", "key appears twice"},
		{"unknown backend", "database:\n  backend: mysql\n", `database.backend: must be "sqlite" or "postgres", got "mysql"`},
		{"postgres without dsn", "database:\n  backend: postgres\n", "database.postgres_dsn: must be set"},
		{"bad listen address", "client_api:\n  listen: 8008\n", "client_api.listen: must be host:port"},
		{"bad log level", "logging:\n  level: loud\n", "logging.level: must be one of"},
		{"bad server name", "server_name: 'not a name!'\n", "server_name:"},
		{"not YAML at all", "server_name: [unterminated\n", "invalid configuration"},
		{"half a TLS pair", "federation:\n  enabled: true\n  tls_cert_file: /c.pem\n", "tls_cert_file and tls_key_file must be set together"},
		{"unknown room version", "rooms:\n  default_version: \"99\"\n", "rooms.default_version: unsupported room version"},
		{"trusted proxy that is not a CIDR", "rate_limits:\n  trusted_proxies: [10.0.0.0/33]\n", "rate_limits.trusted_proxies: \"10.0.0.0/33\" is not a CIDR"},
		{"trusted proxy that is not an address", "rate_limits:\n  trusted_proxies: [proxy.local]\n", "rate_limits.trusted_proxies: \"proxy.local\" is not an address"},
		{"client well-known that is not a URL", "well_known:\n  client_base_url: matrix.example.org\n", "well_known.client_base_url: must be an http(s) URL"},
		{"login token lifetime too long", "auth:\n  login_token:\n    lifetime: 2h\n", "auth.login_token.lifetime: must be between 10s and 1h"},
		{"nats url without scheme", "bus:\n  nats_urls: [127.0.0.1:4222]\n", "bus.nats_urls[0]: must start with nats://"},
		{"turn uri without scheme", "turn:\n  uris: [turn.example.org:3478]\n  shared_secret: s\n", "turn.uris[0]: must start with turn: or turns:"},
		{"turn uri without credentials", "turn:\n  uris: [\"turn:turn.example.org\"]\n", "turn.shared_secret: turn.uris needs credentials"},
		{"turn secret and static credentials", "turn:\n  uris: [\"turn:t.example.org\"]\n  shared_secret: s\n  username: u\n  password: p\n", "not both"},
		{"turn username without password", "turn:\n  uris: [\"turn:t.example.org\"]\n  username: u\n", "turn.username: username and password must be set together"},
		{"turn credentials without uri", "turn:\n  shared_secret: s\n", "turn.uris: credentials are set but no TURN URI"},
		{"notification retention too short", "sync:\n  notification_retention: 1m\n", "sync.notification_retention: must be at least 1h"},
		{"connect timeout too short", "bus:\n  connect_timeout: 10ms\n", "bus.connect_timeout: must be at least 1s"},
		{"sweep interval too long", "sync:\n  sweep_interval: 48h\n", "sync.sweep_interval: must be between 1m and 24h"},
		{"turn lifetime too short", "turn:\n  user_lifetime: 1s\n", "turn.user_lifetime: must be between 1m and 168h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), nil)
			if err == nil {
				t.Fatal("Parse accepted a bad file")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestEnvironmentOverridesEveryKind(t *testing.T) {
	env := []string{
		"OCOMMS_SERVER_NAME=env.example.org",
		"OCOMMS_DATABASE_BACKEND=postgres",
		"OCOMMS_DATABASE_POSTGRES_DSN=postgres://u@db/ocomms",
		"OCOMMS_DATABASE_MAX_OPEN_CONNS=7",
		"OCOMMS_METRICS_ENABLED=false",
		"OCOMMS_LIMITS_SHUTDOWN_TIMEOUT=3s",
		"OCOMMS_BUS_NATS_URLS=nats://a:4222, nats://b:4222",
		"OCOMMS_ALLOW_EPHEMERAL_DATA=1",
		"OCOMMS_TEST_POSTGRES=ignored",
		"PATH=/usr/bin",
	}
	cfg, err := Parse([]byte("server_name: file.example.org\n"), env)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"server_name", cfg.ServerName, "env.example.org"},
		{"database.backend", cfg.Database.Backend, "postgres"},
		{"database.postgres_dsn", cfg.Database.PostgresDSN, "postgres://u@db/ocomms"},
		{"database.max_open_conns", cfg.Database.MaxOpenConns, 7},
		{"metrics.enabled", cfg.Metrics.Enabled, false},
		{"limits.shutdown_timeout", cfg.Limits.ShutdownTimeout, 3 * time.Second},
		{"bus.nats_urls", cfg.Bus.NATSURLs, []string{"nats://a:4222", "nats://b:4222"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestEnvironmentRejectsUnknownAndMalformedVariables(t *testing.T) {
	tests := []struct {
		name, env, wantMsg string
	}{
		{"misspelt key", "OCOMMS_DATABSE_BACKEND=postgres", "OCOMMS_DATABSE_BACKEND does not name a configuration key"},
		{"not a number", "OCOMMS_DATABASE_MAX_OPEN_CONNS=many", "database.max_open_conns (from OCOMMS_DATABASE_MAX_OPEN_CONNS)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(nil, []string{tt.env})
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestGeneratedFileParsesBackAndMentionsEveryKey(t *testing.T) {
	data, err := Generate("chat.example.org", "/srv/ocomms")
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	cfg, err := Parse(data, nil)
	if err != nil {
		t.Fatalf("generated file does not parse: %v", err)
	}
	want := Defaults()
	want.ServerName, want.DataDir = "chat.example.org", "/srv/ocomms"
	want.Bus.NATSURLs = []string{}
	want.RateLimits.TrustedProxies = []string{}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("generated file decodes to %+v\nwant %+v", cfg, want)
	}
	for _, path := range EnvNames() {
		leaf := path[strings.LastIndex(path, ".")+1:]
		if !strings.Contains(string(data), leaf+":") {
			t.Errorf("generated file does not mention %s", path)
		}
	}
}

func TestLoadReportsMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want a not-exist error", err)
	}
}

func TestParseRejectsBadMediaKeys(t *testing.T) {
	tests := []struct {
		name, yaml, wantMsg string
	}{
		{"unknown store", "media:\n  store: ftp\n", `media.store: must be "local" or "s3"`},
		{"s3 without bucket", "media:\n  store: s3\n  s3:\n    endpoint: s3.example.org\n", "media.s3.endpoint: media.s3.endpoint and media.s3.bucket must be set"},
		{"endpoint with scheme", "media:\n  s3:\n    endpoint: https://s3.example.org\n", "without a scheme"},
		{"freeze that is not a time", "media:\n  unauthenticated_before: yesterday\n", "media.unauthenticated_before: must be an RFC 3339 time"},
		{"preview range that is not a CIDR", "media:\n  url_preview:\n    allowed_ranges: [10.0.0.0/40]\n", "media.url_preview.allowed_ranges"},
		{"oEmbed provider without patterns", "media:\n  url_preview:\n    oembed_providers:\n      - endpoint: https://o.example.org/oembed\n", "oembed_providers[0].url_patterns"},
		{"short retention", "media:\n  retention:\n    local_max_age: 5m\n", "media.retention.local_max_age: must be 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v does not contain %q", err, tt.wantMsg)
			}
		})
	}
}
