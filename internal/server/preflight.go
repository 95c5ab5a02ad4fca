package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// ErrEphemeralData is returned when the data directory would vanish with the
// container.
var ErrEphemeralData = errors.New("data directory is not persistent")

// AllowEphemeralEnv lets a container run on throwaway data, for demos and CI.
const AllowEphemeralEnv = "OCOMMS_ALLOW_EPHEMERAL_DATA"

// prepareDataDir creates the data directory and proves it is writable before
// anything else starts, so a permissions problem is one clear line at start
// and not a database error later.
func prepareDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data_dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("data_dir %s: cannot create it: %w", abs, err)
	}
	probe, err := os.CreateTemp(abs, ".write-check-*")
	if err != nil {
		return "", fmt.Errorf("data_dir %s: not writable: %w", abs, err)
	}
	name := probe.Name()
	_ = probe.Close()
	if err := os.Remove(name); err != nil {
		return "", fmt.Errorf("data_dir %s: cannot remove a file in it: %w", abs, err)
	}
	return abs, nil
}

// hostView is what the container check reads from the machine, passed in so
// the check can be tested with fixtures.
type hostView struct {
	fileExists func(path string) bool
	readFile   func(path string) ([]byte, error)
	getenv     func(key string) string
}

func realHost() hostView {
	return hostView{
		fileExists: func(p string) bool { _, err := os.Stat(p); return err == nil },
		readFile:   os.ReadFile,
		getenv:     os.Getenv,
	}
}

// checkPersistentDataDir refuses to run inside a container whose data
// directory is part of the container's own writable layer: the database,
// the signing key and every message would be lost on the next
// `docker compose up --build`.
//
// With OCOMMS_ALLOW_EPHEMERAL_DATA=1 it only warns: `make run` in a
// development container, demos and CI run on throwaway data on purpose.
func checkPersistentDataDir(dataDir string, host hostView, log *slog.Logger) error {
	err := ephemeralDataDir(dataDir, host)
	if err != nil && host.getenv(AllowEphemeralEnv) == "1" {
		log.Warn("running on throwaway data: it is lost when the container is recreated", slog.String("data_dir", dataDir), slog.String("allowed_by", AllowEphemeralEnv))
		return nil
	}
	return err
}

func ephemeralDataDir(dataDir string, host hostView) error {
	if !inContainer(host) {
		return nil
	}
	mountinfo, err := host.readFile("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("checking whether %s is a volume: %w", dataDir, err)
	}
	if underMountPoint(dataDir, mountinfo) {
		return nil
	}
	return fmt.Errorf("%w: %s is inside the container's own filesystem, so the database, the signing key and all messages are lost when the container is recreated; "+
		"mount a volume there: in docker-compose.yml add `volumes: [\"ocomms-data:%s\"]` to the ocomms service and `ocomms-data: {}` under the top-level `volumes:` key "+
		"(or `docker run -v ocomms-data:%s ...`); to run on throwaway data anyway set %s=1",
		ErrEphemeralData, dataDir, dataDir, dataDir, AllowEphemeralEnv)
}

func inContainer(host hostView) bool {
	if host.fileExists("/.dockerenv") || host.fileExists("/run/.containerenv") {
		return true
	}
	cgroup, err := host.readFile("/proc/1/cgroup")
	if err != nil {
		return false
	}
	for _, marker := range []string{"docker", "kubepods", "containerd", "libpod", "lxc"} {
		if bytes.Contains(cgroup, []byte(marker)) {
			return true
		}
	}
	return false
}

// underMountPoint reports whether dir is at or below a mount point other
// than the root filesystem, reading /proc/self/mountinfo (field 5 is the
// mount point, with spaces escaped as \040).
func underMountPoint(dir string, mountinfo []byte) bool {
	dir = filepath.Clean(dir)
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := strings.ReplaceAll(fields[4], `\040`, " ")
		if mp == "/" {
			continue
		}
		if dir == mp || strings.HasPrefix(dir, mp+"/") {
			return true
		}
	}
	return false
}
