package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/testserver"
)

// runBench runs the command in-process and returns its exit code, its
// report (decoded when -json gave one) and its standard error.
func runBench(t *testing.T, args ...string) (int, *Report, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr, func(string) string { return "" })
	var rep *Report
	if stdout.Len() > 0 && strings.HasPrefix(strings.TrimSpace(stdout.String()), "{") {
		rep = &Report{}
		if err := json.Unmarshal(stdout.Bytes(), rep); err != nil {
			t.Fatalf("-json output is not a report: %v\n%s", err, stdout.String())
		}
	}
	return code, rep, stderr.String()
}

func TestEveryScenarioReportsSaneFiguresAgainstARealServer(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		srv := testserver.Start(t, testserver.Config(t, b))
		code, rep, stderr := runBench(t, "-url", srv.URL, "-json", "-scenario", "all",
			"-registration", "shared-secret", "-shared-secret", testserver.SharedSecret, "-prefix", "all",
			"-users", "3", "-senders", "2", "-messages", "20", "-rate", "0",
			"-duration", "500ms", "-rooms", "2", "-room-messages", "3", "-repeats", "3",
			"-pid", strconv.Itoa(os.Getpid())) // the server runs in this process
		if code != exitOK || rep == nil {
			t.Fatalf("exit %d, report %v; stderr:\n%s", code, rep, stderr)
		}

		l := rep.Latency
		if l == nil {
			t.Fatal("no latency report")
		}
		if l.Sent != 20 || l.Expected != 40 || l.Delivered != 40 || l.Missing != 0 || l.Duplicates != 0 {
			t.Errorf("latency: sent %d, expected %d, delivered %d, missing %d, duplicates %d; want 20, 40 (20 to each of the 2 others), 40, 0, 0",
				l.Sent, l.Expected, l.Delivered, l.Missing, l.Duplicates)
		}
		if len(l.SendErrors)+len(l.SyncErrors) != 0 {
			t.Errorf("latency errors: send %v, sync %v", l.SendErrors, l.SyncErrors)
		}
		if l.Latency.Count != 40 || l.Latency.Min <= 0 || l.Latency.P50 > l.Latency.P99 || l.Latency.P99 > l.Latency.Max {
			t.Errorf("latency summary %+v: want 40 positive, ordered samples", l.Latency)
		}
		if rep.URLs != nil || l.Instances != nil || l.Pairs != nil {
			t.Errorf("one -url: report has instances %v, %+v, %+v; want none, as before multi-instance runs", rep.URLs, l.Instances, l.Pairs)
		}
		if l.Send.Count != 20 || l.Send.Min <= 0 {
			t.Errorf("send summary %+v: want 20 positive samples", l.Send)
		}

		tp := rep.Throughput
		if tp == nil {
			t.Fatal("no throughput report")
		}
		if tp.Sent == 0 || tp.PerSecond <= 0 || tp.Send.Count != tp.Sent || len(tp.Errors) != 0 {
			t.Errorf("throughput: sent %d at %.1f/s, %d timed, errors %v; want some, all timed, no errors",
				tp.Sent, tp.PerSecond, tp.Send.Count, tp.Errors)
		}

		is := rep.InitialSync
		if is == nil {
			t.Fatal("no initial-sync report")
		}
		if is.RoomsSeen != 2 || is.Time.Count != 3 || is.Time.Min <= 0 || is.MinBytes == 0 || is.MaxBytes < is.MinBytes {
			t.Errorf("initial sync: %d rooms seen, %d timed (min %s), %d-%d bytes; want 2, 3 positive, a size",
				is.RoomsSeen, is.Time.Count, is.Time.Min, is.MinBytes, is.MaxBytes)
		}

		for name, r := range map[string]*RSSReport{"latency": l.RSS, "throughput": tp.RSS, "initial sync": is.RSS, "run": rep.RSS} {
			if r == nil || r.PID != os.Getpid() || r.PeakBytes <= 0 || r.FinalBytes <= 0 || r.FinalBytes > r.PeakBytes || r.Samples == 0 {
				t.Errorf("%s RSS = %+v, want samples of this process with final <= peak", name, r)
			}
		}
	})
}

func TestOpenRegistrationCompletesTheDummyStage(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		cfg.Registration.Enabled = true
		srv := testserver.Start(t, cfg)
		code, rep, stderr := runBench(t, "-url", srv.URL+"/", "-json", "-scenario", "latency",
			"-registration", "open", "-prefix", "open", "-users", "2", "-senders", "1", "-messages", "3", "-rate", "0")
		if code != exitOK || rep == nil || rep.Latency == nil {
			t.Fatalf("exit %d, report %v; stderr:\n%s", code, rep, stderr)
		}
		if rep.Throughput != nil || rep.InitialSync != nil || rep.RSS != nil {
			t.Errorf("report has more than the latency scenario: %+v", rep)
		}
		if l := rep.Latency; l.Delivered != 3 || l.Missing != 0 {
			t.Errorf("latency: delivered %d, missing %d; want 3, 0", l.Delivered, l.Missing)
		}
	})
}

func TestRateLimitedSendsWaitAndAreNotCountedAsErrors(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		cfg := testserver.Config(t, b)
		cfg.RateLimits.Send = config.RateLimit{PerSecond: 10, Burst: 3}
		srv := testserver.Start(t, cfg)
		code, rep, stderr := runBench(t, "-url", srv.URL, "-json", "-scenario", "throughput",
			"-shared-secret", testserver.SharedSecret, "-prefix", "limited", "-senders", "2", "-shared-room", "-duration", "1s")
		if code != exitOK || rep == nil || rep.Throughput == nil {
			t.Fatalf("exit %d, report %v; stderr:\n%s", code, rep, stderr)
		}
		tp := rep.Throughput
		if tp.RateLimited == 0 || len(tp.Errors) != 0 || tp.Sent == 0 || !tp.SharedRoom {
			t.Errorf("throughput: rate limited %d times, errors %v, sent %d, shared room %v; want limits met and waited out, no errors",
				tp.RateLimited, tp.Errors, tp.Sent, tp.SharedRoom)
		}
	})
}

func TestFailuresSayWhatIsWrong(t *testing.T) {
	srv := testserver.Start(t, testserver.Config(t, testserver.Backends()[0])) // registration closed
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"without a URL", []string{"-scenario", "latency"}, exitUsage, "-url is required"},
		{"with an unknown scenario", []string{"-url", srv.URL, "-scenario", "soak"}, exitUsage, `-scenario "soak"`},
		{"with more senders than latency users", []string{"-url", srv.URL, "-users", "2", "-senders", "3"}, exitUsage, "among its 2 users"},
		{"with shared-secret registration and no secret", []string{"-url", srv.URL, "-registration", "shared-secret"}, exitUsage, "needs -shared-secret"},
		{"with a prefix that is no localpart", []string{"-url", srv.URL, "-prefix", "Bench!"}, exitUsage, "-prefix"},
		{"when nothing listens", []string{"-url", closed}, exitFailure, "cannot reach the homeserver at " + closed},
		{"when a second instance does not listen", []string{"-url", srv.URL + "," + closed}, exitFailure, "cannot reach the homeserver at " + closed},
		{"with an instance given twice", []string{"-url", srv.URL, "-url", srv.URL + "/"}, exitUsage, "given twice"},
		{"with a second URL that is not one", []string{"-url", srv.URL + ",ftp://x"}, exitUsage, `-url "ftp://x"`},
		{"with too few latency users for the instances", []string{"-url", srv.URL + "," + closed + ",http://127.0.0.2:1", "-users", "3", "-senders", "2"},
			exitUsage, "needs at least 2 users beyond the 2 senders"},
		{"when open registration is off", []string{"-url", srv.URL, "-registration", "open", "-scenario", "latency"},
			exitFailure, "open registration refused"},
		{"when the shared secret is wrong", []string{"-url", srv.URL, "-shared-secret", "not-the-secret-at-all", "-scenario", "latency"},
			exitFailure, "shared-secret registration refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runBench(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.wantCode, tc.wantErr)
			}
		})
	}
}
