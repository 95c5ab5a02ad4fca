package main

import (
	"strings"
	"testing"
	"time"
)

func TestTextReportShowsEachScenarioThatRan(t *testing.T) {
	lat := Summarize(durations(10, 20, 30))
	rep := &Report{URL: "http://127.0.0.1:8008", Prefix: "p", Registration: regOpen, StartedAt: time.Unix(0, 0),
		Latency: &LatencyReport{Users: 3, Senders: 1, Messages: 1, RatePerSecond: 20, Sent: 1, Expected: 2, Delivered: 2,
			SendErrors: map[string]int{"M_FORBIDDEN": 1}, Latency: lat},
		InitialSync: &InitialSyncReport{Rooms: 1, MessagesPerRoom: 10, Repeats: 1, RoomsSeen: 1, Time: lat, MinBytes: 20480, MaxBytes: 20480},
		RSS:         &RSSReport{PID: 42, PeakBytes: 3 << 20, FinalBytes: 2 << 20, Samples: 5},
	}
	out := textReport(t, rep, []string{
		"latency: 3 users parked in /sync on one room, 1 sender, 1 message at 20/s",
		"errors: M_FORBIDDEN=1",
		"delivered 2 of 2",
		"send→sync  p50 20ms  p95 30ms  p99 30ms  max 30ms  (n=3)",
		"initial-sync: one user in 1 room of 10 messages each",
		"response   20.0 KiB to 20.0 KiB, 1 rooms in the smallest",
		"server RSS over the run (pid 42): peak 3.0 MiB  final 2.0 MiB",
	})
	if strings.Contains(out, "throughput") {
		t.Errorf("report shows a scenario that did not run:\n%s", out)
	}
	if strings.Contains(out, "instance") || !strings.HasPrefix(out, "ocomms-bench against http://127.0.0.1:8008 (") {
		t.Errorf("a one-URL report speaks of instances:\n%s", out)
	}
}

// textReport writes rep as text and fails t for each wanted line missing.
func textReport(t *testing.T, rep *Report, want []string) string {
	t.Helper()
	var b strings.Builder
	if err := writeReport(&b, rep, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
	return out
}
