package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the ocomms executable built once for the tests that run it as
// an operator would: as a separate process, with signals.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ocomms-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ocomms")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ocomms:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// freePort reserves a loopback port for a child process's listener.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// childEnv is the environment of a child server: the test's own, minus
// anything that would change its configuration.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OCOMMS_") && !strings.HasPrefix(kv, "OCOMMS_TEST_") {
			continue
		}
		env = append(env, kv)
	}
	// The suite may itself run in a container; test data is throwaway.
	env = append(env, "OCOMMS_ALLOW_EPHEMERAL_DATA=1")
	return append(env, extra...)
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "ocomms.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBadConfigurationFailsStartWithOneLineReason(t *testing.T) {
	unreachable := freePort(t) // nothing listens there once freePort returns
	tests := []struct {
		name     string
		config   string
		env      []string
		wantCode int
		wantMsg  string
		wantLog  string // logged before the reason, if set
	}{
		{"unknown key", "server_name: a.example\nclient_api:\n  listn: 127.0.0.1:0\n", nil, exitUsage, "client_api.listn (line 3): unknown key", ""},
		{"wrong type", "server_name: a.example\ndatabase:\n  max_open_conns: twenty\n", nil, exitUsage, "database.max_open_conns (line 3): expected a whole number", ""},
		{"unknown environment override", "server_name: a.example\n", []string{"OCOMMS_DATABSE_BACKEND=postgres"}, exitUsage, "OCOMMS_DATABSE_BACKEND does not name a configuration key", ""},
		{"unreachable database", "server_name: a.example\nmetrics:\n  enabled: false\nclient_api:\n  listen: 127.0.0.1:0\ndatabase:\n  backend: postgres\n  postgres_dsn: postgres://nobody@" + unreachable + "/x?sslmode=disable&connect_timeout=2\n", nil, exitFailure, "database", ""},
		{"missing named file", "", nil, exitUsage, "create one with: ocomms generate-config", ""},
		{"unreachable nats", "server_name: a.example\nmetrics:\n  enabled: false\nclient_api:\n  listen: 127.0.0.1:0\nbus:\n  nats_urls: [nats://" + unreachable + "]\n  connect_timeout: 1s\n", nil, exitFailure,
			"bus: connect to nats (nats://" + unreachable + "): no connection within 1s (last attempt:", "level=WARN msg=\"bus: cannot reach nats, retrying\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "absent.yaml")
			if tt.config != "" {
				path = writeConfig(t, dir, tt.config+"data_dir: "+filepath.Join(dir, "data")+"\n")
			}
			cmd := exec.Command(binary, "run", "-config", path)
			cmd.Env = childEnv(tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			exitErr, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("ocomms did not fail: %v, stderr %q", err, stderr.String())
			}
			if exitErr.ExitCode() != tt.wantCode {
				t.Errorf("exit code %d, want %d", exitErr.ExitCode(), tt.wantCode)
			}
			// Log lines may come first; the reason is the last line, whole.
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			reason := lines[len(lines)-1]
			if !strings.HasPrefix(reason, "ocomms run: ") {
				t.Errorf("last line is not the reason:\n%s", stderr.String())
			}
			if !strings.Contains(reason, tt.wantMsg) {
				t.Errorf("reason %q does not contain %q", reason, tt.wantMsg)
			}
			if tt.wantLog != "" && !strings.Contains(stderr.String(), tt.wantLog) {
				t.Errorf("stderr does not log %q:\n%s", tt.wantLog, stderr.String())
			}
		})
	}
}

// process is an ocomms server running as a child process.
type process struct {
	cmd    *exec.Cmd
	url    string
	stdout *bytes.Buffer
	done   chan error
}

func startProcess(t *testing.T, workDir string, env ...string) *process {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(binary, "run")
	cmd.Dir = workDir
	cmd.Env = childEnv(append([]string{"OCOMMS_CLIENT_API_LISTEN=" + addr, "OCOMMS_METRICS_ENABLED=false"}, env...)...)
	p := &process{cmd: cmd, url: "http://" + addr, stdout: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout = p.stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log(sc.Text())
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitVersions waits until /versions answers 200, as a user checking a fresh
// `make run` would.
func (p *process) waitVersions(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(p.url + "/_matrix/client/versions")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("server exited before answering: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/versions did not answer within %s", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *process) waitExit(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(within):
		t.Fatalf("server did not exit within %s", within)
		return nil
	}
}

func TestFirstRunWritesConfigAndKeyAndServesVersions(t *testing.T) {
	work := t.TempDir()
	p := startProcess(t, work)
	p.waitVersions(t, 10*time.Second)

	for _, f := range []string{"data/ocomms.yaml", "data/signing.key", "data/ocomms.db"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("first run did not create %s: %v", f, err)
		}
	}
	out := p.stdout.String()
	for _, want := range []string{"server name:  localhost", "config file:", "signing key:"} {
		if !strings.Contains(out, want) {
			t.Errorf("first-run message lacks %q:\n%s", want, out)
		}
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.waitExit(t, 30*time.Second); err != nil {
		t.Fatalf("graceful shutdown exited with %v", err)
	}
}

func TestRestartAfterSIGKILLKeepsData(t *testing.T) {
	work := t.TempDir()
	first := startProcess(t, work)
	first.waitVersions(t, 10*time.Second)
	key, err := os.ReadFile(filepath.Join(work, "data/signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.waitExit(t, 10*time.Second)

	second := startProcess(t, work)
	second.waitVersions(t, 10*time.Second)
	if strings.Contains(second.stdout.String(), "first time") {
		t.Error("restart was treated as a first start")
	}
	again, err := os.ReadFile(filepath.Join(work, "data/signing.key"))
	if err != nil || !bytes.Equal(key, again) {
		t.Fatalf("signing key changed across the crash (%v)", err)
	}
	// The server_name recorded at the first start must have survived: a
	// restart under another name is refused.
	_ = second.cmd.Process.Signal(syscall.SIGTERM)
	_ = second.waitExit(t, 30*time.Second)

	third := startProcess(t, work, "OCOMMS_SERVER_NAME=other.example")
	if err := third.waitExit(t, 30*time.Second); err == nil {
		t.Fatal("server started under a different server_name")
	}
}

func TestGenerateConfigRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ocomms.yaml")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"generate-config", "-server-name", "chat.example.org", "-o", path}, &stdout, &stderr, nil); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if code := run(context.Background(), []string{"check-config", "-config", path}, &stdout, &stderr, nil); code != exitOK {
		t.Fatalf("generated config does not check: %s", stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"generate-config", "-o", path}, &stdout, &stderr, nil); code != exitUsage {
		t.Fatalf("overwrite exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "already exists") {
		t.Errorf("stderr %q", stderr.String())
	}
}

func TestUnknownCommandListsCommands(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, &stdout, &stderr, nil); code != exitUsage {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stderr.String(), "generate-config") {
		t.Errorf("usage does not list commands: %s", stderr.String())
	}
}

func TestHelpPrintsUsageAndSucceeds(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout or stderr
	}{
		{"--help lists commands", []string{"--help"}, exitOK, "generate-config"},
		{"-h lists commands", []string{"-h"}, exitOK, "create-user"},
		{"help lists commands", []string{"help"}, exitOK, "Commands:"},
		{"run -help lists its flags", []string{"run", "-help"}, exitOK, "-config"},
		{"create-user -h lists its flags", []string{"create-user", "-h"}, exitOK, "-admin"},
		{"registration-token create --help lists its flags", []string{"registration-token", "create", "--help"}, exitOK, "-valid-for"},
		{"an unknown flag is still a usage error", []string{"run", "-nonsense"}, exitUsage, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr, nil)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			out := stdout.String() + stderr.String()
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output does not contain %q:\n%s", tt.wantOut, out)
			}
			if tt.wantCode == exitOK && strings.Contains(out, "help requested") {
				t.Errorf("help reported as an error:\n%s", out)
			}
		})
	}
}
