package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentileIsTheNearestRank(t *testing.T) {
	ten := durations(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty sample is zero", nil, 50, 0},
		{"one value is every percentile", durations(7), 99, 7 * time.Millisecond},
		{"p0 is the minimum", ten, 0, time.Millisecond},
		{"negative p is the minimum", ten, -5, time.Millisecond},
		{"p50 of ten is the fifth", ten, 50, 5 * time.Millisecond},
		{"p51 of ten is the sixth", ten, 51, 6 * time.Millisecond},
		{"p95 of ten is the tenth", ten, 95, 10 * time.Millisecond},
		{"p100 is the maximum", ten, 100, 10 * time.Millisecond},
		{"p above 100 is the maximum", ten, 150, 10 * time.Millisecond},
		{"p99 of a hundred is the 99th", hundred, 99, 99 * time.Millisecond},
		{"p99.9 of a hundred is the maximum", hundred, 99.9, 100 * time.Millisecond},
		{"p1 of a hundred is the first", hundred, 1, time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("Percentile(p%g) = %s, want %s", tc.p, got, tc.want)
			}
		})
	}
}

func TestSummarizeDoesNotNeedSortedInputAndLeavesItAlone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		want    Summary
	}{
		{"empty", nil, Summary{}},
		{"one", durations(4), Summary{Count: 1, Min: 4e6, Mean: 4e6, P50: 4e6, P95: 4e6, P99: 4e6, Max: 4e6}},
		{"unsorted", durations(30, 10, 20, 40), Summary{Count: 4, Min: 10e6, Mean: 25e6, P50: 20e6, P95: 40e6, P99: 40e6, Max: 40e6}},
		{"with a tail", durations(5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100),
			Summary{Count: 20, Min: 1e6, Mean: 6150e3, P50: 1e6, P95: 5e6, P99: 100e6, Max: 100e6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fmt.Sprint(tc.samples)
			if got := Summarize(tc.samples); got != tc.want {
				t.Errorf("Summarize = %+v, want %+v", got, tc.want)
			}
			if fmt.Sprint(tc.samples) != before {
				t.Errorf("Summarize reordered its input: %v, was %v", tc.samples, before)
			}
		})
	}
}

func TestSummaryJSONIsInMillisecondsAndReadsBack(t *testing.T) {
	s := Summarize(durations(1, 2, 3))
	s.P99 += 1500 * time.Microsecond // a fraction of a millisecond survives
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]float64
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["p50_ms"] != 2 || raw["p99_ms"] != 4.5 || raw["count"] != 3 {
		t.Errorf("JSON = %s, want p50_ms 2, p99_ms 4.5, count 3", data)
	}
	var back Summary
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back != s {
		t.Errorf("read back %+v, want %+v", back, s)
	}
}

func TestErrorCountsGroupByErrcodeThenStatusThenTransport(t *testing.T) {
	var c ErrorCounts
	for _, err := range []error{
		&APIError{Status: 429, Errcode: "M_LIMIT_EXCEEDED"},
		fmt.Errorf("wrapped: %w", &APIError{Status: 429, Errcode: "M_LIMIT_EXCEEDED"}),
		&APIError{Status: 502},
		errors.New("connection refused"),
		fmt.Errorf("GET /sync: %w", context.DeadlineExceeded),
	} {
		c.Add(err)
	}
	want := map[string]int{"M_LIMIT_EXCEEDED": 2, "HTTP_502": 1, "network": 1, "timeout": 1}
	got := c.Snapshot()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	if s := fmtCounts(got); s != "HTTP_502=1, M_LIMIT_EXCEEDED=2, network=1, timeout=1" {
		t.Errorf("fmtCounts = %q", s)
	}
	if s := fmtCounts(nil); s != "none" {
		t.Errorf("fmtCounts(nil) = %q, want none", s)
	}
}

func TestParseVmRSS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{"a process", "Name:\tocomms\nVmPeak:\t  900 kB\nVmRSS:\t   123456 kB\nThreads:\t9\n", 123456 * 1024, false},
		{"a kernel thread has no VmRSS", "Name:\tkthreadd\nThreads:\t1\n", 0, true},
		{"another unit", "VmRSS:\t 5 MB\n", 0, true},
		{"not a number", "VmRSS:\t lots kB\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(tc.status))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseVmRSS = %d, %v; want %d, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
