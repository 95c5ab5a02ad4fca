package clienttest

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/config"
)

// buildOcomms builds cmd/ocomms as `make build` does and returns the
// binary's path. The go build cache makes a rebuild of unchanged code
// quick; a test builds it once and starts it as often as it needs.
func buildOcomms(t *testing.T) string {
	t.Helper()
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("finding the module root: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "ocomms")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/ocomms")
	build.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ocomms: %v\n%s", err, out)
	}
	return bin
}

// ocommsProcess is a running `ocomms run`.
type ocommsProcess struct {
	// URL is the client API's base URL.
	URL string
	// Dir is the working directory; `ocomms run` keeps its data in Dir/data.
	Dir    string
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	exited chan struct{}
	err    error // of cmd.Wait, set before exited closes
}

// firstStartAddr finds the client API address in the first-start banner.
var firstStartAddr = regexp.MustCompile(`client API:\s+http://(\S+)`)

// startOcomms runs `bin run` in a new temporary working directory, as
// `make run` does in the checkout: no config file, so the server writes
// its default one, its signing key and its data under ./data. The
// environment holds only env of the OCOMMS_ variables (the test's own are
// left out so a developer's settings cannot leak in), plus a free
// loopback port for each listener. It returns once /versions answers.
func startOcomms(t *testing.T, bin string, env ...string) *ocommsProcess {
	t.Helper()
	p := &ocommsProcess{Dir: t.TempDir(), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "run")
	p.cmd.Dir = p.Dir
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, config.EnvPrefix) {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, "OCOMMS_ALLOW_EPHEMERAL_DATA=1",
		// Port 0: the banner says which port the kernel chose, so runs
		// on a shared machine never collide.
		"OCOMMS_CLIENT_API_LISTEN=127.0.0.1:0", "OCOMMS_METRICS_LISTEN=127.0.0.1:0", "OCOMMS_FEDERATION_LISTEN=127.0.0.1:0")
	p.cmd.Env = append(p.cmd.Env, env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s run: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("ocomms stdout:\n%s\nocomms stderr:\n%s", p.stdout, p.stderr)
		}
	})

	addr := p.waitFor(t, "the first-start banner", func() (string, bool) {
		m := firstStartAddr.FindStringSubmatch(p.stdout.String())
		if m == nil {
			return "", false
		}
		return m[1], true
	})
	p.URL = "http://" + addr
	p.waitFor(t, "/_matrix/client/versions", func() (string, bool) {
		resp, err := http.Get(p.URL + "/_matrix/client/versions")
		if err != nil {
			return "", false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return "", resp.StatusCode == http.StatusOK
	})
	return p
}

// waitFor polls cond until it holds, failing the test if the process
// exits first or 30 seconds pass (a cold start migrates a new database).
func (p *ocommsProcess) waitFor(t *testing.T, what string, cond func() (string, bool)) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if v, ok := cond(); ok {
			return v
		}
		select {
		case <-p.exited:
			t.Fatalf("ocomms exited (%v) before %s", p.err, what)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s from ocomms within 30s", what)
		}
	}
}

// Stop sends SIGTERM, as a terminal's Ctrl-C or a container runtime does,
// and requires the process to shut down gracefully and exit 0 within its
// shutdown timeout (the default, as `make run` has it).
func (p *ocommsProcess) Stop(t *testing.T) {
	t.Helper()
	timeout := config.Defaults().Limits.ShutdownTimeout
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("ocomms still running %s after SIGTERM", timeout)
	}
	if p.err != nil {
		t.Fatalf("ocomms exited with %v after SIGTERM", p.err)
	}
	if !strings.Contains(p.stderr.String(), "shutting down") {
		t.Errorf("ocomms exited without logging its shutdown")
	}
	t.Logf("ocomms exited 0, %s after SIGTERM", time.Since(start).Round(time.Millisecond))
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
