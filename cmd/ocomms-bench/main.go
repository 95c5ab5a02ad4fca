// Command ocomms-bench is a load generator for Matrix homeservers. It
// speaks only the Client-Server API, so it runs against any homeserver
// (OComms, Synapse, Dendrite) given its base URL and a way to create
// users: open registration or the shared-secret registration admin API.
//
// It is meant for loopback and test servers: it creates users and rooms
// and sends as fast as it is told to.
//
//	ocomms-bench -url http://127.0.0.1:8008 -registration shared-secret \
//	    -shared-secret S -scenario all -users 20 -senders 4 -duration 30s
//
// -url repeated (or a comma-separated list) names instances of one
// homeserver: the latency scenario's senders use the first, its other
// users sync on the others, and latency is reported per instance pair.
//
// Scenarios: latency (send→sync delivery with users parked in /sync),
// throughput (sustained messages/s), initial-sync (time of a first sync
// for a user in many rooms), or all three.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// Exit codes: 0 success, 1 the run failed, 2 bad usage.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parseFlags(args, stderr, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "ocomms-bench:", err)
		return exitUsage
	}
	for _, w := range o.warnings() {
		fmt.Fprintln(stderr, "ocomms-bench: warning:", w)
	}
	ctx, cancel := context.WithTimeout(ctx, o.maxTime)
	defer cancel()
	b := newBench(o, stderr)
	rep, runErr := b.run(ctx)
	if rep != nil {
		if err := writeReport(stdout, rep, o.json); err != nil {
			fmt.Fprintln(stderr, "ocomms-bench: writing the report:", err)
			return exitFailure
		}
	}
	if runErr != nil {
		if errors.Is(runErr, context.DeadlineExceeded) && ctx.Err() != nil {
			runErr = fmt.Errorf("%w (the run exceeded -max-time %s)", runErr, o.maxTime)
		}
		fmt.Fprintln(stderr, "ocomms-bench:", runErr)
		return exitFailure
	}
	return exitOK
}

// bench is one run against one server (one or several of its instances).
type bench struct {
	opts  options
	runID string
	reg   *registrar
	probe *Client
	rss   *rssSampler
	log   io.Writer
}

func newBench(o options, log io.Writer) *bench {
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	pw := make([]byte, 16)
	_, _ = rand.Read(pw)
	httpc := newHTTPClient(o.poolSize())
	reg := &registrar{base: o.url, mode: o.registration, secret: o.sharedSecret,
		password: hex.EncodeToString(pw), http: httpc}
	return &bench{opts: o, runID: hex.EncodeToString(id), reg: reg, probe: reg.anonymous(), log: log}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "ocomms-bench: "+format+"\n", args...)
}

// run checks the server answers, then runs the chosen scenarios in turn.
// It returns the report of the scenarios that finished even when a later
// one failed.
func (b *bench) run(ctx context.Context) (*Report, error) {
	for _, u := range b.opts.urls {
		if err := b.probe.on(u).checkServer(ctx); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	rep := &Report{URL: b.opts.url, Prefix: b.opts.prefix, Registration: b.opts.registration, StartedAt: start.UTC()}
	if len(b.opts.urls) > 1 {
		rep.URLs = b.opts.urls
	}
	if b.opts.pid != 0 {
		rssCtx, stop := context.WithCancel(ctx)
		defer stop()
		var err error
		if b.rss, err = startRSS(rssCtx, b.opts.pid); err != nil {
			return nil, err
		}
	}
	scenarios := []struct {
		name string
		run  func(context.Context) error
	}{
		{scenarioLatency, func(ctx context.Context) (err error) { rep.Latency, err = b.latency(ctx); return err }},
		{scenarioThroughput, func(ctx context.Context) (err error) { rep.Throughput, err = b.throughput(ctx); return err }},
		{scenarioInitialSync, func(ctx context.Context) (err error) { rep.InitialSync, err = b.initialSync(ctx); return err }},
	}
	for _, s := range scenarios {
		if !b.opts.runs(s.name) {
			continue
		}
		if err := s.run(ctx); err != nil {
			return rep, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	var err error
	rep.RSS, err = b.rss.window(start)
	return rep, err
}

// setupUsers registers n users for a scenario, counting their rate-limited
// requests in limited.
func (b *bench) setupUsers(ctx context.Context, role string, n int, limited *atomic.Int64) ([]*Client, error) {
	b.logf("%s: registering %s (%s)", role, plural(n, "user"), b.opts.registration)
	users, err := b.reg.registerUsers(ctx, b.opts.prefix, role, n)
	if err != nil {
		return nil, err
	}
	for _, c := range users {
		c.limited = limited
	}
	return users, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
