package config

import (
	"fmt"
	"strings"
	"text/template"
	"time"
)

// TURN is the TURN server clients use to relay VoIP calls, handed out by
// GET /_matrix/client/v3/voip/turnServer. Without URIs no TURN server is
// configured and that endpoint answers 404 M_NOT_FOUND.
//
// https://spec.matrix.org/latest/client-server-api/#get_matrixclientv3voipturnserver
type TURN struct {
	// URIs are the turn: and turns: URIs of the server, such as
	// turn:turn.example.org:3478?transport=udp.
	URIs []string `yaml:"uris"`
	// SharedSecret is the static-auth-secret of the TURN server (coturn's
	// use-auth-secret, the "TURN REST API"): each user gets a username
	// "<expiry>:<user id>" and the base64 HMAC-SHA1 of it as password.
	SharedSecret string `yaml:"shared_secret"`
	// Username and Password are fixed credentials given to every user,
	// for servers without a shared secret. Not with SharedSecret.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// UserLifetime is how long shared-secret credentials are valid.
	UserLifetime time.Duration `yaml:"user_lifetime"`
	// AllowGuests hands credentials to guest accounts too.
	AllowGuests bool `yaml:"allow_guests"`
}

// Configured reports whether a TURN server is set.
func (t TURN) Configured() bool { return len(t.URIs) > 0 }

func defaultTURN() TURN {
	return TURN{URIs: []string{}, UserLifetime: time.Hour, AllowGuests: true}
}

func (t TURN) validate(bad func(key, format string, args ...any)) {
	for i, u := range t.URIs {
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			bad(fmt.Sprintf("turn.uris[%d]", i), "must start with turn: or turns:, got %q", u)
		}
	}
	static := t.Username != "" || t.Password != ""
	switch {
	case t.SharedSecret != "" && static:
		bad("turn.shared_secret", "set either shared_secret or username and password, not both")
	case t.Username != "" && t.Password == "", t.Username == "" && t.Password != "":
		bad("turn.username", "username and password must be set together")
	case t.Configured() && t.SharedSecret == "" && !static:
		bad("turn.shared_secret", "turn.uris needs credentials: shared_secret, or username and password")
	case !t.Configured() && (t.SharedSecret != "" || static):
		bad("turn.uris", "credentials are set but no TURN URI")
	}
	if d := t.UserLifetime; d < time.Minute || d > 7*24*time.Hour {
		bad("turn.user_lifetime", "must be between 1m and 168h, got %s", d)
	}
}

// turnTemplate is the turn section of the generated file, rendered with
// the TURN value.
const turnTemplate = `
turn:
  # TURN server for VoIP calls (such as coturn), handed to clients by
  # /_matrix/client/v3/voip/turnServer. Empty: no TURN server, and calls
  # only connect where peers reach each other directly.
  # Such as ["turn:turn.example.org:3478?transport=udp",
  #          "turn:turn.example.org:3478?transport=tcp",
  #          "turns:turn.example.org:5349?transport=tcp"].
  uris: [{{range $i, $u := .URIs}}{{if $i}}, {{end}}{{printf "%q" $u}}{{end}}]
  # coturn's static-auth-secret (use-auth-secret): every user gets
  # short-lived credentials derived from it. Prefer
  # OCOMMS_TURN_SHARED_SECRET over writing it here.
  shared_secret: {{printf "%q" .SharedSecret}}
  # Or fixed credentials given to every user (when the TURN server has no
  # shared secret; anyone logged in can read them).
  username: {{printf "%q" .Username}}
  password: {{printf "%q" .Password}}
  # How long shared-secret credentials are valid; clients fetch new ones
  # before they expire.
  user_lifetime: {{.UserLifetime}}
  # Give TURN credentials to guest accounts too.
  allow_guests: {{.AllowGuests}}
`

// withTURN adds the turn section's template to the file's.
func withTURN(t *template.Template) *template.Template {
	template.Must(t.New("turn").Parse(turnTemplate))
	return t
}
