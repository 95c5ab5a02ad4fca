package storagetest_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// probeEnv makes the test binary, run again as a child, call PostgresConfig
// under the environment the parent chose.
const probeEnv = "OCOMMS_STORAGETEST_PROBE"

func TestPostgresConfigFollowsTheEnvironment(t *testing.T) {
	if os.Getenv(probeEnv) != "" {
		storagetest.PostgresConfig(t)
		return
	}
	tests := []struct {
		name     string
		postgres string
		ci       string
		wantFail bool
		wantOut  string
	}{
		{"a developer machine without a server skips", "", "", false, "--- SKIP"},
		{"CI without a server fails", "", "true", true, "CI must set OCOMMS_TEST_POSTGRES"},
		{"an unreachable server fails", "postgres://postgres@127.0.0.1:1/test?sslmode=disable", "", true, "is set but PostgreSQL is unusable"},
		{"an unreachable server fails in CI too", "postgres://postgres@127.0.0.1:1/test?sslmode=disable", "true", true, "is set but PostgreSQL is unusable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPostgresConfigFollowsTheEnvironment$", "-test.v", "-test.count=1")
			cmd.Env = append(environWithout(storagetest.EnvPostgres, "CI"),
				probeEnv+"=1", storagetest.EnvPostgres+"="+tt.postgres, "CI="+tt.ci)
			out, err := cmd.CombinedOutput()
			var exitErr *exec.ExitError
			failed := errors.As(err, &exitErr)
			if err != nil && !failed {
				t.Fatalf("run child: %v", err)
			}
			if failed != tt.wantFail || !strings.Contains(string(out), tt.wantOut) {
				t.Errorf("child failed = %v, want %v, with %q in its output:\n%s", failed, tt.wantFail, tt.wantOut, out)
			}
		})
	}
}

func environWithout(keys ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		drop := false
		for _, k := range keys {
			drop = drop || strings.HasPrefix(kv, k+"=")
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return env
}

func TestEachBackendStartsEmpty(t *testing.T) {
	storagetest.ForEachBackend(t, func(t *testing.T, db *storage.DB) {
		versions, err := db.SchemaVersions(t.Context())
		if err != nil || len(versions) != 0 {
			t.Fatalf("SchemaVersions = %v, %v; want an empty database", versions, err)
		}
		if _, err := db.Exec(t.Context(), "CREATE TABLE private_to_this_test (id BIGINT)"); err != nil {
			t.Fatalf("create a table another test also creates: %v", err)
		}
	})
}
