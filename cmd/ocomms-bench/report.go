package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is everything one run measured. With -json it is printed as is;
// scenarios that did not run are left out.
type Report struct {
	URL string `json:"url"`
	// URLs are all the instances, when -url named more than one.
	URLs         []string           `json:"urls,omitempty"`
	Prefix       string             `json:"prefix"`
	Registration string             `json:"registration"`
	StartedAt    time.Time          `json:"started_at"`
	Seconds      float64            `json:"seconds"`
	Latency      *LatencyReport     `json:"latency,omitempty"`
	Throughput   *ThroughputReport  `json:"throughput,omitempty"`
	InitialSync  *InitialSyncReport `json:"initial_sync,omitempty"`
	// RSS covers the whole run, when -pid was given.
	RSS *RSSReport `json:"rss,omitempty"`
}

func writeReport(w io.Writer, r *Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	var b strings.Builder
	target := r.URL
	if len(r.URLs) > 1 {
		target = fmt.Sprintf("%d instances %s", len(r.URLs), strings.Join(r.URLs, " "))
	}
	fmt.Fprintf(&b, "ocomms-bench against %s (users %s-*, %s registration), started %s\n",
		target, r.Prefix, r.Registration, r.StartedAt.Format(time.RFC3339))
	if l := r.Latency; l != nil {
		rate := "as fast as possible"
		if l.RatePerSecond > 0 {
			rate = fmt.Sprintf("at %g/s", l.RatePerSecond)
		}
		fmt.Fprintf(&b, "\nlatency: %s parked in /sync on one room, %s, %s %s\n",
			plural(l.Users, "user"), plural(l.Senders, "sender"), plural(l.Messages, "message"), rate)
		fmt.Fprintf(&b, "  sent %d (errors: %s; rate limited %d times)\n", l.Sent, fmtCounts(l.SendErrors), l.RateLimited)
		fmt.Fprintf(&b, "  delivered %d of %d, missing %d, duplicates %d, limited timelines %d, sync errors: %s\n",
			l.Delivered, l.Expected, l.Missing, l.Duplicates, l.LimitedTimelines, fmtCounts(l.SyncErrors))
		fmt.Fprintf(&b, "  send→sync  %s\n", l.Latency)
		fmt.Fprintf(&b, "  send PUT   %s\n", l.Send)
		writeInstances(&b, l)
		writeRSS(&b, l.RSS)
	}
	if t := r.Throughput; t != nil {
		room := "a room each"
		if t.SharedRoom {
			room = "one shared room"
		}
		fmt.Fprintf(&b, "\nthroughput: %s in %s for %gs\n", plural(t.Senders, "sender"), room, t.Duration)
		fmt.Fprintf(&b, "  %.1f messages/s (%d sent in %.2fs; errors: %s; rate limited %d times)\n",
			t.PerSecond, t.Sent, t.Elapsed, fmtCounts(t.Errors), t.RateLimited)
		fmt.Fprintf(&b, "  send PUT   %s\n", t.Send)
		writeRSS(&b, t.RSS)
	}
	if s := r.InitialSync; s != nil {
		fmt.Fprintf(&b, "\ninitial-sync: one user in %s of %s each (set up in %.1fs), %s\n",
			plural(s.Rooms, "room"), plural(s.MessagesPerRoom, "message"), s.SetupSeconds, plural(s.Repeats, "initial sync"))
		fmt.Fprintf(&b, "  time       p50 %s  max %s  (n=%d)\n", fmtDur(s.Time.P50), fmtDur(s.Time.Max), s.Time.Count)
		fmt.Fprintf(&b, "  response   %s to %s, %d rooms in the smallest\n", fmtSize(s.MinBytes), fmtSize(s.MaxBytes), s.RoomsSeen)
		writeRSS(&b, s.RSS)
	}
	if r.RSS != nil {
		fmt.Fprintf(&b, "\nserver RSS over the run (pid %d): %s\n", r.RSS.PID, r.RSS)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRSS(b *strings.Builder, r *RSSReport) {
	if r != nil {
		fmt.Fprintf(b, "  server RSS %s\n", r)
	}
}

func fmtSize(n int) string {
	if n < 10*1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}
