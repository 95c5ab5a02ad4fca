//go:build goexperiment.jsonv2

package difftest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/ocomms/ocomms/spec/auth"
	"github.com/ocomms/ocomms/spec/event"
	"github.com/ocomms/ocomms/spec/roomversion"
)

// TestMautrixV12RoomVector reads the version 12 room that mautrix ships
// with its event auth tests (federation/eventauth/testroom-v12-success.jsonl:
// 21 events a real server federated, each with its event ID in
// unsigned.event_id) from the mautrix module directory, and requires that
// our parser computes every event ID and accepts every content hash, and
// that our auth rules accept every event against the room's state and its
// auth events. The file is read where Go keeps the module, not copied.
func TestMautrixV12RoomVector(t *testing.T) {
	path := filepath.Join(mautrixDir(t), "federation", "eventauth", "testroom-v12-success.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := roomversion.Lookup("12")
	if err != nil {
		t.Fatal(err)
	}
	state := stateMap{}
	events := map[string]*event.Event{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		want := gjson.GetBytes(raw, "unsigned.event_id").Str
		ev, err := event.Parse(rules, raw)
		if err != nil {
			t.Fatalf("event #%d (%s): Parse: %v", n, want, err)
		}
		if ev.EventID() != want {
			t.Fatalf("event #%d: event ID %s, want %s", n, ev.EventID(), want)
		}
		if err := event.CheckContentHash(ev); err != nil {
			t.Errorf("event #%d (%s): content hash: %v", n, want, err)
		}
		var authEvents []event.PDU
		for _, id := range ev.AuthEventIDs() {
			ae, ok := events[id]
			if !ok {
				t.Fatalf("event #%d (%s) cites %s, not earlier in the file", n, want, id)
			}
			authEvents = append(authEvents, ae)
		}
		if err := auth.CheckAuthEvents(rules, ev, authEvents); err != nil {
			t.Errorf("event #%d (%s %s): auth events: %v", n, want, ev.Type(), err)
		}
		if err := auth.Allowed(rules, ev, state); err != nil {
			t.Errorf("event #%d (%s %s): rejected against the room's state: %v", n, want, ev.Type(), err)
		}
		events[ev.EventID()] = ev
		if sk := ev.StateKey(); sk != nil {
			state[auth.StateKey{Type: ev.Type(), StateKey: *sk}] = ev
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("%s holds %d events; expected mautrix's 21-event room", path, n)
	}
}

// mautrixDir is the directory of the maunium.net/go/mautrix module this
// package is built with, found as Go tooling finds it.
func mautrixDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "maunium.net/go/mautrix").Output()
	if err != nil {
		t.Fatalf("go list -m maunium.net/go/mautrix: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatal("go list gives no directory for maunium.net/go/mautrix: run go mod download")
	}
	return dir
}
