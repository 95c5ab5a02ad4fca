package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// rssInterval is how often the server's memory is read: often enough to
// see a peak of a few hundred milliseconds, rarely enough to cost nothing.
const rssInterval = 200 * time.Millisecond

// RSSReport is the server's resident memory over a window of the run:
// each scenario's measured phase (after its users and rooms are set up),
// and the whole run.
type RSSReport struct {
	PID        int   `json:"pid"`
	PeakBytes  int64 `json:"peak_bytes"`
	FinalBytes int64 `json:"final_bytes"`
	Samples    int   `json:"samples"`
}

func (r *RSSReport) String() string {
	return fmt.Sprintf("peak %s  final %s  (%d samples)", fmtBytes(r.PeakBytes), fmtBytes(r.FinalBytes), r.Samples)
}

// readRSS returns VmRSS of a process from /proc/PID/status (Linux).
func readRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the memory of process %d: %w", pid, err)
	}
	return parseVmRSS(data)
}

// parseVmRSS reads the "VmRSS:   123456 kB" line of a status file.
func parseVmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmRSS line %q: %w", sc.Text(), err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmRSS line (a kernel thread, or not Linux?)")
}

type rssSample struct {
	at    time.Time
	bytes int64
}

// rssSampler reads a process's RSS every rssInterval until its context
// ends. The samples are kept (a run is bounded by -max-time, so they are
// bounded too) so each scenario can report the peak of its own window.
type rssSampler struct {
	pid     int
	mu      sync.Mutex
	samples []rssSample
	err     error
}

// startRSS checks the process can be read and samples it in the
// background until ctx ends.
func startRSS(ctx context.Context, pid int) (*rssSampler, error) {
	first, err := readRSS(pid)
	if err != nil {
		return nil, err
	}
	s := &rssSampler{pid: pid, samples: []rssSample{{time.Now(), first}}}
	go func() {
		t := time.NewTicker(rssInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if !s.sample() {
					return
				}
			}
		}
	}()
	return s, nil
}

// sample records one reading; false once the process is gone.
func (s *rssSampler) sample() bool {
	n, err := readRSS(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return false
	}
	s.samples = append(s.samples, rssSample{time.Now(), n})
	return true
}

// window reports the samples taken since from, after a reading of its own
// so the final figure is current.
func (s *rssSampler) window(from time.Time) (*RSSReport, error) {
	if s == nil {
		return nil, nil
	}
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, fmt.Errorf("server process %d: %w", s.pid, s.err)
	}
	r := &RSSReport{PID: s.pid}
	for _, sm := range s.samples {
		if sm.at.Before(from) {
			continue
		}
		r.Samples++
		r.PeakBytes = max(r.PeakBytes, sm.bytes)
		r.FinalBytes = sm.bytes
	}
	return r, nil
}

func fmtBytes(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
