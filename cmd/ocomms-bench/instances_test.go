package main

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ocomms/ocomms/internal/testserver"
)

func TestURLFlagTakesInstancesRepeatedOrCommaSeparated(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"one URL stays one instance", []string{"-url", "http://127.0.0.1:8008/"}, []string{"http://127.0.0.1:8008"}},
		{"a repeated flag adds instances in order",
			[]string{"-url", "http://127.0.0.1:8008", "-url", "http://127.0.0.1:8009/"},
			[]string{"http://127.0.0.1:8008", "http://127.0.0.1:8009"}},
		{"a comma-separated list adds instances in order",
			[]string{"-url", "http://127.0.0.1:8008, http://127.0.0.1:8009,,http://[::1]:8010"},
			[]string{"http://127.0.0.1:8008", "http://127.0.0.1:8009", "http://[::1]:8010"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, io.Discard, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.urls, tc.want) || o.url != tc.want[0] {
				t.Errorf("urls %q, url %q; want %q, first %q", o.urls, o.url, tc.want, tc.want[0])
			}
		})
	}
}

func TestLatencyUsersAreDealtToInstancesRoundRobin(t *testing.T) {
	for _, tc := range []struct {
		name             string
		users, senders   int
		instances        int
		wantPerUserIndex []int
	}{
		{"one instance serves everyone", 5, 2, 1, []int{0, 0, 0, 0, 0}},
		{"two instances: senders on the first, syncers on the second", 5, 2, 2, []int{0, 0, 1, 1, 1}},
		{"three instances: syncers alternate over the second and third", 7, 1, 3, []int{0, 1, 2, 1, 2, 1, 2}},
		{"every user a sender keeps everyone on the first", 3, 3, 2, []int{0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for i := range tc.users {
				got = append(got, instanceOf(i, tc.senders, tc.instances))
			}
			if !slices.Equal(got, tc.wantPerUserIndex) {
				t.Errorf("instances %v, want %v", got, tc.wantPerUserIndex)
			}
		})
	}

	urls := []string{"http://a", "http://b", "http://c"}
	var users []*Client
	for i := range 6 {
		users = append(users, (&Client{UserID: fmt.Sprintf("@u%d:x", i)}).on(urls[instanceOf(i, 2, len(urls))]))
	}
	at := servedBy(urls, users)
	if want := []int{0, 0, 1, 2, 1, 2}; !slices.Equal(at, want) {
		t.Errorf("servedBy = %v, want %v", at, want)
	}
	got := latencyInstances(urls, users, at, 2)
	want := []LatencyInstance{
		{Index: 0, URL: "http://a", Senders: []string{"@u0:x", "@u1:x"}, Syncers: []string{}},
		{Index: 1, URL: "http://b", Senders: []string{}, Syncers: []string{"@u2:x", "@u4:x"}},
		{Index: 2, URL: "http://c", Senders: []string{}, Syncers: []string{"@u3:x", "@u5:x"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("latencyInstances = %+v\nwant %+v", got, want)
	}
}

func TestPairLatenciesSplitDeliveriesBySenderAndSyncerInstance(t *testing.T) {
	// Users 0 and 1 send on instance 0; user 2 syncs on instance 1, user 3
	// on instance 2. Message 0 from user 0, message 1 from user 1, message
	// 2 from user 0 failed.
	t0 := time.Unix(1000, 0)
	sent := []sentMessage{{start: t0, sender: 0, ok: true}, {start: t0, sender: 1, ok: true}, {start: t0, sender: 0}}
	at := func(msg int, ms int) arrival {
		return arrival{msg: msg, at: t0.Add(time.Duration(ms) * time.Millisecond)}
	}
	receivers := []*receiver{
		{arrivals: []arrival{at(1, 5)}},                      // user 0 sees user 1's message
		{arrivals: []arrival{at(0, 6), at(1, 99)}},           // its own message does not count
		{arrivals: []arrival{at(0, 20), at(1, 30)}},          // both cross to instance 1
		{arrivals: []arrival{at(0, 40), at(2, 1), at(7, 1)}}, // message 1 missing; failed and unknown ones ignored
	}
	got := pairLatencies(3, []int{0, 0, 1, 2}, sent, receivers)
	want := []PairLatency{
		{From: 0, To: 0, Expected: 2, Delivered: 2, Latency: Summarize(durations(5, 6))},
		{From: 0, To: 1, Expected: 2, Delivered: 2, Latency: Summarize(durations(20, 30))},
		{From: 0, To: 2, Expected: 2, Delivered: 1, Latency: Summarize(durations(40))},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pairLatencies =\n%+v\nwant\n%+v", got, want)
	}
}

func TestTextReportShowsInstancesAndPairs(t *testing.T) {
	rep := &Report{URL: "http://a", URLs: []string{"http://a", "http://b"}, Prefix: "p", Registration: regOpen, StartedAt: time.Unix(0, 0),
		Latency: &LatencyReport{Users: 9, Senders: 1, Messages: 1, Latency: Summarize(durations(10, 20)),
			Instances: []LatencyInstance{
				{Index: 0, URL: "http://a", Senders: []string{"@s:x"}},
				{Index: 1, URL: "http://b", Syncers: []string{"@1:x", "@2:x", "@3:x", "@4:x", "@5:x", "@6:x", "@7:x", "@8:x"}},
			},
			Pairs: []PairLatency{{From: 0, To: 1, Expected: 8, Delivered: 7, Latency: Summarize(durations(10, 20))}},
		}}
	textReport(t, rep, []string{
		"ocomms-bench against 2 instances http://a http://b (users p-*",
		"instances (senders send and sync on 0, the other users sync round-robin on 1 to 1):",
		"    0 http://a: 1 sender, 0 syncers (@s:x)\n",
		"    1 http://b: 0 senders, 8 syncers (@1:x @2:x @3:x @4:x @5:x @6:x and 2 more)\n",
		"    0→1  delivered 7 of 8  p50 10ms  p95 20ms  p99 20ms  max 20ms  (n=2)\n",
	})
}

func TestLatencyAcrossTwoInstancesReportsEachPair(t *testing.T) {
	testserver.ForEachBackend(t, func(t *testing.T, b testserver.Backend) {
		a, c := testserver.StartTwoInstances(t, b, testserver.Config(t, b))
		code, rep, stderr := runBench(t, "-url", a.URL, "-url", c.URL, "-json", "-scenario", "latency",
			"-shared-secret", testserver.SharedSecret, "-prefix", "two", "-users", "5", "-senders", "2", "-messages", "10", "-rate", "0")
		if code != exitOK || rep == nil || rep.Latency == nil {
			t.Fatalf("exit %d, report %v; stderr:\n%s", code, rep, stderr)
		}
		if !slices.Equal(rep.URLs, []string{a.URL, c.URL}) || rep.URL != a.URL {
			t.Errorf("report URLs %q (url %q); want both instances, the first as url", rep.URLs, rep.URL)
		}
		l := rep.Latency
		if l.Sent != 10 || l.Expected != 40 || l.Delivered != 40 || l.Duplicates != 0 || len(l.SyncErrors) != 0 {
			t.Errorf("sent %d, expected %d, delivered %d, duplicates %d, sync errors %v; want 10, 40, 40, 0, none",
				l.Sent, l.Expected, l.Delivered, l.Duplicates, l.SyncErrors)
		}
		if len(l.Instances) != 2 || len(l.Instances[0].Senders) != 2 || len(l.Instances[0].Syncers) != 0 ||
			len(l.Instances[1].Senders) != 0 || len(l.Instances[1].Syncers) != 3 || l.Instances[1].URL != c.URL {
			t.Errorf("instances %+v; want 2 senders on the first, 3 syncers on the second", l.Instances)
		}
		// Each message reaches the other sender on instance 0 and the three
		// syncers on instance 1.
		if len(l.Pairs) != 2 {
			t.Fatalf("pairs %+v; want 0→0 and 0→1", l.Pairs)
		}
		for i, want := range []struct{ from, to, n int }{{0, 0, 10}, {0, 1, 30}} {
			p := l.Pairs[i]
			if p.From != want.from || p.To != want.to || p.Expected != want.n || p.Delivered != want.n ||
				p.Latency.Count != want.n || p.Latency.Min <= 0 || p.Latency.Max > l.Latency.Max {
				t.Errorf("pair %d = %+v; want %d→%d with %d deliveries, within the overall latency", i, p, want.from, want.to, want.n)
			}
		}
	})
}
