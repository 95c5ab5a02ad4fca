package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenarios (-scenario).
const (
	scenarioLatency     = "latency"
	scenarioThroughput  = "throughput"
	scenarioInitialSync = "initial-sync"
	scenarioAll         = "all"
)

// Upper bounds of the counts, so a typo cannot start an unbounded run.
const (
	maxUsers    = 5000
	maxSenders  = 1000
	maxRooms    = 10000
	maxMessages = 1_000_000
	maxRepeats  = 1000
)

// sharedSecretEnv holds the shared secret when -shared-secret is not
// given, which keeps it out of the process list. Not OCOMMS_: the server
// refuses unknown OCOMMS_ variables, and both may run from one shell.
const sharedSecretEnv = "BENCH_SHARED_SECRET"

type options struct {
	// urls are the instances of the homeserver (-url); url is the first,
	// which registers users and serves everything but the latency
	// scenario's users spread over the others.
	urls                                              urlList
	url, registration, sharedSecret, scenario, prefix string
	users, senders, rooms, messages, roomMessages     int
	repeats                                           int
	rate                                              float64
	duration, maxTime                                 time.Duration
	sharedRoom, json                                  bool
	pid                                               int
}

// prefixPattern keeps usernames valid localparts on every server.
var prefixPattern = regexp.MustCompile(`^[a-z0-9._=-]{1,64}$`)

func parseFlags(args []string, stderr io.Writer, getenv func(string) string) (options, error) {
	var o options
	fs := flag.NewFlagSet("ocomms-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ocomms-bench -url URL [-url URL ...] [flags]\n\n"+
			"A load generator for Matrix homeservers, speaking only the Client-Server API.\n"+
			"Meant for loopback and test servers: it creates users and rooms and sends as told.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.Var(&o.urls, "url", "base URL of the homeserver's client API, such as http://127.0.0.1:8008 (required); repeated or comma-separated for instances of one homeserver: latency senders use the first, the other latency users sync round-robin on the rest")
	fs.StringVar(&o.registration, "registration", "", "how users are created: open (POST /register with m.login.dummy) or shared-secret (/_synapse/admin/v1/register); default shared-secret when a secret is given, else open")
	fs.StringVar(&o.sharedSecret, "shared-secret", "", "the server's registration shared secret (default $"+sharedSecretEnv+")")
	fs.StringVar(&o.scenario, "scenario", scenarioAll, "latency, throughput, initial-sync or all")
	fs.StringVar(&o.prefix, "prefix", "", "prefix of the usernames, so runs do not collide (default bench-<random>)")
	fs.IntVar(&o.users, "users", 20, "latency: users parked in /sync on one room (at least 2)")
	fs.IntVar(&o.senders, "senders", 4, "latency: how many of the users send; throughput: concurrent senders")
	fs.IntVar(&o.messages, "messages", 200, "latency: messages sent in all")
	fs.Float64Var(&o.rate, "rate", 20, "latency: messages per second across the senders (0: as fast as they can)")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "throughput: how long the senders send")
	fs.BoolVar(&o.sharedRoom, "shared-room", false, "throughput: all senders in one room instead of a room each")
	fs.IntVar(&o.rooms, "rooms", 50, "initial-sync: rooms of the syncing user")
	fs.IntVar(&o.roomMessages, "room-messages", 10, "initial-sync: messages sent to each room")
	fs.IntVar(&o.repeats, "repeats", 5, "initial-sync: timed initial syncs")
	fs.IntVar(&o.pid, "pid", 0, "the server's process ID, to sample its RSS from /proc/PID/status (same machine only)")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.DurationVar(&o.maxTime, "max-time", 15*time.Minute, "stop the whole run after this long")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.sharedSecret == "" {
		o.sharedSecret = getenv(sharedSecretEnv)
	}
	if o.registration == "" {
		o.registration = regOpen
		if o.sharedSecret != "" {
			o.registration = regSharedSecret
		}
	}
	if o.prefix == "" {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		o.prefix = "bench-" + strconv.FormatInt(time.Now().Unix(), 36) + hex.EncodeToString(b)
	}
	return o, o.validate()
}

func (o *options) validate() error {
	switch {
	case len(o.urls) == 0:
		return errors.New("-url is required (the homeserver's client API, such as http://127.0.0.1:8008)")
	case len(o.urls) > maxInstances:
		return fmt.Errorf("-url: %d instances, want at most %d", len(o.urls), maxInstances)
	}
	for i, raw := range o.urls {
		base, err := validateURL(raw)
		if err != nil {
			return err
		}
		if slices.Contains(o.urls[:i], base) {
			return fmt.Errorf("-url %q is given twice; each instance once", raw)
		}
		o.urls[i] = base
	}
	o.url = o.urls[0]
	switch o.registration {
	case regOpen:
	case regSharedSecret:
		if o.sharedSecret == "" {
			return fmt.Errorf("-registration shared-secret needs -shared-secret or $%s", sharedSecretEnv)
		}
	default:
		return fmt.Errorf("-registration %q: want open or shared-secret", o.registration)
	}
	switch o.scenario {
	case scenarioLatency, scenarioThroughput, scenarioInitialSync, scenarioAll:
	default:
		return fmt.Errorf("-scenario %q: want latency, throughput, initial-sync or all", o.scenario)
	}
	if !prefixPattern.MatchString(o.prefix) {
		return fmt.Errorf("-prefix %q: want 1 to 64 of a-z 0-9 . _ = -", o.prefix)
	}
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"-users", o.users, 2, maxUsers},
		{"-senders", o.senders, 1, maxSenders},
		{"-messages", o.messages, 1, maxMessages},
		{"-rooms", o.rooms, 1, maxRooms},
		{"-room-messages", o.roomMessages, 0, maxMessages / max(o.rooms, 1)},
		{"-repeats", o.repeats, 1, maxRepeats},
		{"-pid", o.pid, 0, 1 << 22},
	} {
		if c.v < c.lo || c.v > c.hi {
			return fmt.Errorf("%s %d: want %d to %d", c.name, c.v, c.lo, c.hi)
		}
	}
	if o.runs(scenarioLatency) && o.senders > o.users {
		return fmt.Errorf("-senders %d: the latency scenario's senders are among its %d users", o.senders, o.users)
	}
	if o.runs(scenarioLatency) && o.users-o.senders < len(o.urls)-1 {
		return fmt.Errorf("-users %d: with %d instances the latency scenario needs at least %d users beyond the %s, one to sync on each instance but the first",
			o.users, len(o.urls), len(o.urls)-1, plural(o.senders, "sender"))
	}
	switch {
	case o.rate < 0:
		return fmt.Errorf("-rate %g: want 0 or more", o.rate)
	case o.duration <= 0 || o.duration > 24*time.Hour:
		return fmt.Errorf("-duration %s: want more than 0 and at most 24h", o.duration)
	case o.maxTime <= 0:
		return fmt.Errorf("-max-time %s: want more than 0", o.maxTime)
	}
	return nil
}

// validateURL checks one -url and returns it without a trailing slash.
func validateURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("-url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return "", fmt.Errorf("-url %q: want http:// or https:// and a host", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("-url %q: want a base URL without query, fragment or user", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

func (o *options) runs(scenario string) bool {
	return o.scenario == scenarioAll || o.scenario == scenario
}

// poolSize is the connections the busiest scenario holds at once: in the
// latency one every user parks a /sync and every sender sends.
func (o *options) poolSize() int {
	n := setupWorkers
	if o.runs(scenarioLatency) {
		n = max(n, o.users+o.senders)
	}
	if o.runs(scenarioThroughput) {
		n = max(n, o.senders)
	}
	return n + 4 // room for the probe and a sync or two in flight
}

// warnings are about options that are allowed but probably unintended.
func (o *options) warnings() []string {
	var w []string
	for _, raw := range o.urls {
		u, _ := url.Parse(raw)
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			w = append(w, fmt.Sprintf("%s is not a loopback address; this tool is meant for test servers (it creates users and rooms and loads the server)", u.Hostname()))
		}
	}
	if o.rate > 0 && o.runs(scenarioLatency) && float64(o.messages)/o.rate > float64(o.maxTime/time.Second) {
		w = append(w, fmt.Sprintf("-messages %d at -rate %g takes longer than -max-time %s", o.messages, o.rate, o.maxTime))
	}
	return w
}
