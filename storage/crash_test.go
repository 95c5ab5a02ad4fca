//go:build unix

package storage_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/storage/storagetest"
)

// The child process of TestCommittedWritesSurviveSIGKILL is this test binary,
// told by these variables which database to write to.
const (
	crashBackendEnv = "OCOMMS_STORAGE_CRASH_BACKEND"
	crashTargetEnv  = "OCOMMS_STORAGE_CRASH_TARGET"
	crashAckPrefix  = "committed "
)

var crashRowsTable = storage.Migration{Version: 1, Name: "crash rows", Up: `
	CREATE TABLE crash_rows (id BIGINT PRIMARY KEY, payload BYTEA NOT NULL)`}

// TestCommittedWritesSurviveSIGKILL runs a child process that commits rows
// one transaction at a time and prints each ID once WithTx has returned, kills
// it with SIGKILL mid-stream, and checks that every acknowledged row is in the
// reopened database.
func TestCommittedWritesSurviveSIGKILL(t *testing.T) {
	if backend := os.Getenv(crashBackendEnv); backend != "" {
		writeUntilKilled(t, backend, os.Getenv(crashTargetEnv))
		return
	}
	const killAfter = 200
	forEachConfig(t, func(t *testing.T, cfg storage.Config) {
		db := storagetest.Open(t, cfg)
		mustMigrate(t, db, "crash", crashRowsTable)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		target := cfg.SQLitePath
		if cfg.Backend == storage.BackendPostgres {
			target = cfg.PostgresDSN
		}
		ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCommittedWritesSurviveSIGKILL$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashBackendEnv+"="+cfg.Backend, crashTargetEnv+"="+target)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}

		acked := map[int64]bool{}
		killed := false
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			rest, ok := strings.CutPrefix(lines.Text(), crashAckPrefix)
			if !ok {
				continue
			}
			id, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				t.Fatalf("child printed %q: %v", lines.Text(), err)
			}
			acked[id] = true
			if len(acked) == killAfter {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
					t.Fatalf("kill child: %v", err)
				}
				killed = true
			}
		}
		waitErr := cmd.Wait()
		var exitErr *exec.ExitError
		if !killed || !errors.As(waitErr, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("child was not killed mid-stream after %d acknowledged rows (wait: %v); its stderr:\n%s", len(acked), waitErr, stderr.String())
		}

		reopened := storagetest.Open(t, cfg)
		rows, err := reopened.Query(t.Context(), "SELECT id FROM crash_rows")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		found := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			found[id] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for id := range acked {
			if !found[id] {
				t.Errorf("row %d was acknowledged before the kill but is missing", id)
			}
		}
		t.Logf("%d rows acknowledged before SIGKILL, %d found after reopening", len(acked), len(found))
		if cfg.Backend == storage.BackendSQLite {
			var check string
			if err := reopened.QueryRow(t.Context(), "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
				t.Errorf("integrity_check = %q, %v; want ok", check, err)
			}
		}
	})
}

// writeUntilKilled is the child: several goroutines commit rows and print
// each ID only after its commit returned. It never stops by itself before
// the parent's deadline.
func writeUntilKilled(t *testing.T, backend, target string) {
	cfg := storage.Config{Backend: backend, SQLitePath: target}
	if backend == storage.BackendPostgres {
		cfg = storage.Config{Backend: backend, PostgresDSN: target}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*waitTimeout)
	defer cancel()
	db, err := storage.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	payload := bytes.Repeat([]byte("ocomms"), 1000) // spans several pages
	var next atomic.Int64
	var out sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				id := next.Add(1)
				err := db.WithTx(ctx, func(ctx context.Context, tx *storage.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO crash_rows (id, payload) VALUES ($1, $2)", id, payload)
					return err
				})
				if err != nil {
					t.Errorf("write %d: %v", id, err)
					return
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "%s%d\n", crashAckPrefix, id)
				out.Unlock()
			}
		})
	}
	wg.Wait()
	t.Fatal("the parent did not kill this process before the deadline")
}
