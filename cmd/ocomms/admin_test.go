package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

// adminSetup is a configuration file for the admin commands and the same
// configuration for a test server, on one backend.
type adminSetup struct {
	path    string
	environ []string
	cfg     config.Config
}

func newAdminSetup(t *testing.T, b testserver.Backend) adminSetup {
	t.Helper()
	cfg := testserver.Config(t, b)
	data, err := config.Generate(cfg.ServerName, cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ocomms.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return adminSetup{path: path, cfg: cfg, environ: []string{
		"OCOMMS_DATABASE_BACKEND=" + cfg.Database.Backend,
		"OCOMMS_DATABASE_POSTGRES_DSN=" + cfg.Database.PostgresDSN,
	}}
}

// run runs an admin command in-process with stdin and returns its output.
func (s adminSetup) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := cmdEnv{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, environ: s.environ}
	name, rest := args[0], args[1:]
	var sub []string
	if name == "registration-token" && len(rest) > 0 {
		sub, rest = []string{rest[0]}, rest[1:]
	}
	args = append(append(sub, "-config", s.path), rest...)
	for _, c := range commands() {
		if c.name == name {
			err := c.run(context.Background(), args, env)
			if stderr.Len() > 0 {
				t.Logf("%s stderr: %s", name, stderr.String())
			}
			return stdout.String(), err
		}
	}
	t.Fatalf("no command %s", name)
	return "", nil
}

func (s adminSetup) mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := s.run(t, stdin, args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return out
}

func passwordLogin(t *testing.T, srv *testserver.Server, user, password string) *testserver.ClientResponse {
	t.Helper()
	return srv.Anonymous().Do(t, http.MethodPost, "/_matrix/client/v3/login", map[string]any{
		"type": "m.login.password", "identifier": map[string]any{"type": "m.id.user", "user": user}, "password": password,
	})
}

func loggedIn(t *testing.T, srv *testserver.Server, user, password string) *testserver.Client {
	t.Helper()
	resp := passwordLogin(t, srv, user, password)
	if resp.Status != http.StatusOK {
		t.Fatalf("login as %s: %d %s", user, resp.Status, resp.Body)
	}
	c := srv.Anonymous()
	c.AccessToken, _ = resp.Map(t)["access_token"].(string)
	return c
}

func TestCreateUserOnAFreshDatabaseThenLogIn(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		s := newAdminSetup(t, b)
		pwFile := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := s.mustRun(t, "", "create-user", "-admin", "-password-file", pwFile, "root")
		if !strings.Contains(out, "@root:test.ocomms.local") {
			t.Errorf("create-user said %q", out)
		}
		s.mustRun(t, "from-stdin\n", "create-user", "alice")
		if _, err := s.run(t, "x\n", "create-user", "alice"); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("creating alice twice: %v", err)
		}
		if _, err := s.run(t, "x\n", "create-user", "Not Valid"); err == nil {
			t.Error("an invalid name was accepted")
		}
		if _, err := s.run(t, "\n", "create-user", "bob"); err == nil {
			t.Error("an empty password was accepted")
		}

		srv := testserver.Start(t, s.cfg)
		root := loggedIn(t, srv, "root", "s3cret")
		root.MustDo(t, http.MethodGet, "/_synapse/admin/v1/registration_tokens", nil, http.StatusOK)
		alice := loggedIn(t, srv, "alice", "from-stdin")
		if resp := alice.Do(t, http.MethodGet, "/_synapse/admin/v1/registration_tokens", nil); resp.Status != http.StatusForbidden {
			t.Errorf("alice is an admin: %d", resp.Status)
		}
	})
}

func TestAdminCommandsWorkWhileTheServerRuns(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		s := newAdminSetup(t, b)
		srv := testserver.Start(t, s.cfg)
		alice := srv.NewUser(t, "alice")

		s.mustRun(t, "", "make-admin", "@alice:test.ocomms.local")
		alice.MustDo(t, http.MethodGet, "/_synapse/admin/v1/registration_tokens", nil, http.StatusOK)
		s.mustRun(t, "", "make-admin", "alice", "-revoke")
		alice.MustDo(t, http.MethodGet, "/_synapse/admin/v1/registration_tokens", nil, http.StatusForbidden)

		s.mustRun(t, "", "reset-password", "-password", "brand-new", "alice")
		if resp := alice.Do(t, http.MethodGet, "/_matrix/client/v3/account/whoami", nil); resp.Status != http.StatusUnauthorized {
			t.Errorf("old session survived a password reset: %d", resp.Status)
		}
		if resp := passwordLogin(t, srv, "alice", "password-alice"); resp.Status != http.StatusForbidden {
			t.Errorf("old password still works: %d", resp.Status)
		}
		loggedIn(t, srv, "alice", "brand-new")

		for _, args := range [][]string{
			{"reset-password", "-password", "x", "nobody"},
			{"make-admin", "nobody"},
			{"make-admin", "@alice:other.example"},
			{"make-admin"},
		} {
			if _, err := s.run(t, "", args...); err == nil {
				t.Errorf("%v succeeded", args)
			}
		}
	})
}

func TestRegistrationTokenCommands(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		s := newAdminSetup(t, b)
		s.cfg.Registration.Enabled, s.cfg.Registration.RequireToken = true, true
		srv := testserver.Start(t, s.cfg)

		s.mustRun(t, "", "registration-token", "create", "-token", "welcome", "-uses", "1", "-valid-for", "24h")
		generated := strings.TrimSpace(s.mustRun(t, "", "registration-token", "create", "-length", "8"))
		if len(generated) != 8 {
			t.Errorf("generated token %q", generated)
		}
		list := s.mustRun(t, "", "registration-token", "list")
		if !strings.Contains(list, "welcome") || !strings.Contains(list, generated) {
			t.Errorf("list:\n%s", list)
		}
		valid := srv.Anonymous().MustDo(t, http.MethodGet, "/_matrix/client/v1/register/m.login.registration_token/validity?token=welcome", nil, http.StatusOK)
		if valid["valid"] != true {
			t.Errorf("token from the command is not valid: %v", valid)
		}
		s.mustRun(t, "", "registration-token", "delete", "welcome")
		if _, err := s.run(t, "", "registration-token", "delete", "welcome"); err == nil {
			t.Error("deleting a deleted token succeeded")
		}
		for _, args := range [][]string{
			{"registration-token", "create", "-token", "bad token"},
			{"registration-token", "create", "-uses", "-1"},
			{"registration-token", "create", "-length", "65"},
			{"registration-token", "rename"},
		} {
			if _, err := s.run(t, "", args...); err == nil {
				t.Errorf("%v succeeded", args)
			}
		}
	})
}
