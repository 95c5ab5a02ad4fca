package server

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeHost(t *testing.T, files map[string]string, env map[string]string) hostView {
	t.Helper()
	return hostView{
		fileExists: func(p string) bool { _, ok := files[p]; return ok },
		readFile: func(p string) ([]byte, error) {
			if data, ok := files[p]; ok {
				return []byte(data), nil
			}
			return nil, os.ErrNotExist
		},
		getenv: func(k string) string { return env[k] },
	}
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestCheckPersistentDataDir(t *testing.T) {
	volume, noVolume := readFixture(t, "mountinfo-volume"), readFixture(t, "mountinfo-novolume")
	tests := []struct {
		name    string
		dataDir string
		files   map[string]string
		env     map[string]string
		wantErr bool
	}{
		{"outside a container anything goes", "/data", map[string]string{"/proc/self/mountinfo": noVolume}, nil, false},
		{"docker with a volume on the data directory", "/data", map[string]string{"/.dockerenv": "", "/proc/self/mountinfo": volume}, nil, false},
		{"docker with a volume above the data directory", "/data/ocomms", map[string]string{"/.dockerenv": "", "/proc/self/mountinfo": volume}, nil, false},
		{"docker without a volume is refused", "/data", map[string]string{"/.dockerenv": "", "/proc/self/mountinfo": noVolume}, nil, true},
		{"a sibling path with the same prefix is not the volume", "/database", map[string]string{"/.dockerenv": "", "/proc/self/mountinfo": volume}, nil, true},
		{"kubernetes detected through cgroups", "/data", map[string]string{"/proc/1/cgroup": "0::/kubepods/burstable/pod1", "/proc/self/mountinfo": noVolume}, nil, true},
		{"podman detected through containerenv", "/data", map[string]string{"/run/.containerenv": "", "/proc/self/mountinfo": noVolume}, nil, true},
		{"escaped spaces in mount points", "/srv/data dir", map[string]string{"/.dockerenv": "", "/proc/self/mountinfo": noVolume}, nil, false},
		{"the override allows throwaway data", "/data", map[string]string{"/.dockerenv": "", "/proc/self/mountinfo": noVolume}, map[string]string{AllowEphemeralEnv: "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPersistentDataDir(tt.dataDir, fakeHost(t, tt.files, tt.env), slog.New(slog.DiscardHandler))
			if tt.wantErr != (err != nil) {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrEphemeralData) {
					t.Errorf("error does not wrap ErrEphemeralData: %v", err)
				}
				for _, hint := range []string{"docker-compose.yml", "ocomms-data:" + tt.dataDir, AllowEphemeralEnv} {
					if !strings.Contains(err.Error(), hint) {
						t.Errorf("error does not say %q: %v", hint, err)
					}
				}
			}
		})
	}
}

func TestPrepareDataDirCreatesAndChecksWritability(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	abs, err := prepareDataDir(dir)
	if err != nil {
		t.Fatalf("prepareDataDir: %v", err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		t.Fatalf("data dir not created: %v", err)
	}
	entries, _ := os.ReadDir(abs)
	if len(entries) != 0 {
		t.Errorf("probe file left behind: %v", entries)
	}
}

func TestPrepareDataDirRefusesAFileInItsPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := prepareDataDir(path); err == nil || !strings.Contains(err.Error(), "cannot create it") {
		t.Fatalf("got %v, want a cannot-create error", err)
	}
}
