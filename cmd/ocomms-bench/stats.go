package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Summary describes a sample of durations. Percentiles use the
// nearest-rank method: P95 is a value that was actually measured, at or
// above 95 % of the sample, so a small sample never reports an
// interpolated time nobody saw.
type Summary struct {
	Count int
	Min   time.Duration
	Mean  time.Duration
	P50   time.Duration
	P95   time.Duration
	P99   time.Duration
	Max   time.Duration
}

// Summarize sorts a copy of samples and summarizes it. An empty sample
// gives the zero Summary.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	var total time.Duration
	for _, d := range sorted {
		total += d
	}
	return Summary{
		Count: len(sorted),
		Min:   sorted[0],
		Mean:  total / time.Duration(len(sorted)),
		P50:   Percentile(sorted, 50),
		P95:   Percentile(sorted, 95),
		P99:   Percentile(sorted, 99),
		Max:   sorted[len(sorted)-1],
	}
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of an
// ascending sample: the smallest value with at least p % of the sample at
// or below it. p <= 0 gives the minimum; an empty sample gives 0.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// MarshalJSON writes the durations as milliseconds, the unit every other
// Matrix tool reports latency in.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"count":   s.Count,
		"min_ms":  ms(s.Min),
		"mean_ms": ms(s.Mean),
		"p50_ms":  ms(s.P50),
		"p95_ms":  ms(s.P95),
		"p99_ms":  ms(s.P99),
		"max_ms":  ms(s.Max),
	})
}

// UnmarshalJSON reads what MarshalJSON writes, so -json output can be
// read back (by the tests, and by scripts comparing runs).
func (s *Summary) UnmarshalJSON(data []byte) error {
	var raw map[string]float64
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	d := func(k string) time.Duration { return time.Duration(raw[k] * float64(time.Millisecond)) }
	*s = Summary{Count: int(raw["count"]), Min: d("min_ms"), Mean: d("mean_ms"),
		P50: d("p50_ms"), P95: d("p95_ms"), P99: d("p99_ms"), Max: d("max_ms")}
	return nil
}

// String is the one-line form of the text report.
func (s Summary) String() string {
	if s.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s  (n=%d)",
		fmtDur(s.P50), fmtDur(s.P95), fmtDur(s.P99), fmtDur(s.Max), s.Count)
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

// fmtDur prints a duration with three significant digits or so, which is
// all a load test on a shared machine can claim.
func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Microsecond).String()
	}
}

// ErrorCounts counts failed requests by Matrix errcode (or by a transport
// failure class), safe for concurrent use.
type ErrorCounts struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one failure of err.
func (e *ErrorCounts) Add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == nil {
		e.n = map[string]int{}
	}
	e.n[errorKind(err)]++
}

// Snapshot returns the counts so far (never nil).
func (e *ErrorCounts) Snapshot() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == nil {
		return map[string]int{}
	}
	return maps.Clone(e.n)
}

// fmtCounts prints counts as "M_FORBIDDEN=2, network=1", sorted by key.
func fmtCounts(counts map[string]int) string {
	if len(counts) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

func total(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}
