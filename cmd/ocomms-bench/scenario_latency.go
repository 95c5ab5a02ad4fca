package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Timing of the latency scenario.
const (
	// syncTimeout is what Element and the other clients ask for.
	syncTimeout = 30 * time.Second
	// drainTimeout is how long after the last send the receivers may take
	// to see everything before the rest is counted missing.
	drainTimeout = 20 * time.Second
	// joinWait bounds how long a joined user's sync may take to show the
	// room before the scenario starts.
	joinWait = 30 * time.Second
	// syncRetryWait spaces out syncs after a failed one.
	syncRetryWait = time.Second
)

// Content keys carrying the bench's nonce and send time. Namespaced, so
// clients of a shared test server ignore them.
const (
	keyNonce  = "org.ocomms.bench.nonce"
	keySentTS = "org.ocomms.bench.sent_ts"
)

// LatencyReport is the outcome of the latency scenario.
type LatencyReport struct {
	Users         int     `json:"users"`
	Senders       int     `json:"senders"`
	Messages      int     `json:"messages"`
	RatePerSecond float64 `json:"rate_per_second"`
	Sent          int     `json:"sent"`
	// Expected is every successful send times every joined user but its
	// sender; Delivered counts each (message, receiver) once.
	Expected   int `json:"expected_deliveries"`
	Delivered  int `json:"delivered"`
	Missing    int `json:"missing"`
	Duplicates int `json:"duplicates"`
	// LimitedTimelines counts sync answers whose room timeline was
	// limited: the server skipped events, which then show as missing.
	LimitedTimelines int            `json:"limited_timelines"`
	SendErrors       map[string]int `json:"send_errors"`
	SyncErrors       map[string]int `json:"sync_errors"`
	RateLimited      int64          `json:"rate_limited"`
	// Latency is from the start of each send to its arrival in each
	// receiver's /sync; Send is the PUT's own duration.
	Latency Summary    `json:"latency"`
	Send    Summary    `json:"send"`
	RSS     *RSSReport `json:"rss,omitempty"`
	// Instances and Pairs are there when -url named several instances:
	// which users each served, and the latency of each (sender instance,
	// syncer instance) pair; Latency above is over all of them.
	Instances []LatencyInstance `json:"instances,omitempty"`
	Pairs     []PairLatency     `json:"pairs,omitempty"`
}

type sentMessage struct {
	start  time.Time
	took   time.Duration
	sender int
	ok     bool
}

type arrival struct {
	msg int
	at  time.Time
}

// receiver is one user parked in /sync, recording bench messages.
type receiver struct {
	client     *Client
	since      string
	arrivals   []arrival
	seen       map[int]bool
	duplicates int
	limited    int
}

// latency parks every user in /sync on one room and measures how long
// messages take from the start of their send to each receiver.
func (b *bench) latency(ctx context.Context) (*LatencyReport, error) {
	o := b.opts
	rep := &LatencyReport{Users: o.users, Senders: o.senders, Messages: o.messages, RatePerSecond: o.rate}
	var limited atomic.Int64
	users, err := b.setupUsers(ctx, "lat", o.users, &limited)
	if err != nil {
		return nil, err
	}
	for i, c := range users {
		users[i] = c.on(o.urls[instanceOf(i, o.senders, len(o.urls))])
	}
	roomID, err := users[0].CreateRoom(ctx, o.prefix+" latency")
	if err != nil {
		return nil, fmt.Errorf("creating the latency room: %w", err)
	}
	b.logf("latency: %d users joining %s", len(users), roomID)
	if err := parallel(ctx, len(users)-1, setupWorkers, func(ctx context.Context, i int) error {
		return users[i+1].Join(ctx, roomID)
	}); err != nil {
		return nil, fmt.Errorf("joining the latency room: %w", err)
	}
	receivers := make([]*receiver, len(users))
	if err := parallel(ctx, len(users), setupWorkers, func(ctx context.Context, i int) error {
		since, err := waitJoined(ctx, users[i], roomID)
		receivers[i] = &receiver{client: users[i], since: since, seen: map[int]bool{}}
		return err
	}); err != nil {
		return nil, err
	}

	var delivered atomic.Int64
	progress := make(chan struct{}, 1)
	var syncErrs ErrorCounts
	recvCtx, stopReceivers := context.WithCancel(ctx)
	defer stopReceivers()
	var recvWG sync.WaitGroup
	for i, r := range receivers {
		recvWG.Go(func() { r.run(recvCtx, i, roomID, b.runID, users, &delivered, progress, &syncErrs) })
	}

	b.logf("latency: %d users parked in /sync, %d senders sending %d messages", len(users), o.senders, o.messages)
	window := time.Now()
	sent, sendErrs := b.sendPaced(ctx, users[:o.senders], roomID)
	for _, m := range sent {
		if m.ok {
			rep.Sent++
		}
	}
	rep.Expected = rep.Sent * (len(users) - 1)

	drain := time.NewTimer(drainTimeout)
	defer drain.Stop()
wait:
	for delivered.Load() < int64(rep.Expected) {
		select {
		case <-progress:
		case <-drain.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	stopReceivers()
	recvWG.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("latency scenario: %w", err)
	}

	var lat, send []time.Duration
	for _, m := range sent {
		if m.ok {
			send = append(send, m.took)
		}
	}
	for _, r := range receivers {
		rep.Duplicates += r.duplicates
		rep.LimitedTimelines += r.limited
	}
	eachDelivery(sent, receivers, func(_ sentMessage, _ int, d time.Duration) { lat = append(lat, d) })
	rep.Delivered = len(lat)
	rep.Missing = rep.Expected - rep.Delivered
	rep.Latency, rep.Send = Summarize(lat), Summarize(send)
	if len(o.urls) > 1 {
		at := servedBy(o.urls, users)
		rep.Instances = latencyInstances(o.urls, users, at, o.senders)
		rep.Pairs = pairLatencies(len(o.urls), at, sent, receivers)
	}
	rep.SendErrors, rep.SyncErrors = sendErrs.Snapshot(), syncErrs.Snapshot()
	rep.RateLimited = limited.Load()
	rep.RSS, err = b.rss.window(window)
	return rep, err
}

// eachDelivery calls fn for each successful send seen by a receiver other
// than its sender (user i is receivers[i]), with its send→sync latency.
func eachDelivery(sent []sentMessage, receivers []*receiver, fn func(m sentMessage, receiver int, d time.Duration)) {
	for i, r := range receivers {
		for _, a := range r.arrivals {
			if a.msg < 0 || a.msg >= len(sent) {
				continue // not a nonce this run sent
			}
			if m := sent[a.msg]; m.ok && m.sender != i {
				fn(m, i, a.at.Sub(m.start))
			}
		}
	}
}

// waitJoined syncs until the room shows among the user's joined rooms and
// returns the token to sync on from.
func waitJoined(ctx context.Context, c *Client, roomID string) (string, error) {
	filter := roomFilter(roomID, 1)
	deadline := time.Now().Add(joinWait)
	for {
		res, _, err := c.Sync(ctx, "", 0, filter)
		if err != nil {
			return "", fmt.Errorf("initial sync of %s: %w", c.UserID, err)
		}
		if _, ok := res.Rooms.Join[roomID]; ok {
			return res.NextBatch, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s joined %s but its sync did not show the room within %s", c.UserID, roomID, joinWait)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return "", err
		}
	}
}

// roomFilter is an inline sync filter for one room's timeline.
func roomFilter(roomID string, timelineLimit int) string {
	f := map[string]any{"room": map[string]any{
		"rooms":    []string{roomID},
		"timeline": map[string]any{"limit": timelineLimit},
	}}
	data, _ := json.Marshal(f)
	return string(data)
}

// run is one receiver's sync loop, until ctx ends.
func (r *receiver) run(ctx context.Context, self int, roomID, runID string, users []*Client,
	delivered *atomic.Int64, progress chan<- struct{}, errs *ErrorCounts) {
	filter := roomFilter(roomID, 100) // the most a server gives; limited answers are counted
	prefix := runID + "-"
	for ctx.Err() == nil {
		res, _, err := r.client.Sync(ctx, r.since, syncTimeout, filter)
		now := time.Now()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			errs.Add(err)
			_ = sleep(ctx, syncRetryWait)
			continue
		}
		r.since = res.NextBatch
		room, ok := res.Rooms.Join[roomID]
		if !ok {
			continue
		}
		if room.Timeline.Limited {
			r.limited++
		}
		for _, ev := range room.Timeline.Events {
			nonce, _ := ev.Content[keyNonce].(string)
			idx, err := strconv.Atoi(strings.TrimPrefix(nonce, prefix))
			if !strings.HasPrefix(nonce, prefix) || err != nil || ev.Sender == users[self].UserID {
				continue
			}
			if r.seen[idx] {
				r.duplicates++
				continue
			}
			r.seen[idx] = true
			r.arrivals = append(r.arrivals, arrival{msg: idx, at: now})
			delivered.Add(1)
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	}
}

// sendPaced sends o.messages messages to the room, message k by sender
// k mod len(senders) no earlier than k/rate after the start (at once when
// the rate is 0). Each send's start is taken before the request, so a
// server that makes senders wait shows in the latencies.
func (b *bench) sendPaced(ctx context.Context, senders []*Client, roomID string) ([]sentMessage, *ErrorCounts) {
	n := b.opts.messages
	sent := make([]sentMessage, n)
	errs := &ErrorCounts{}
	start := time.Now()
	var wg sync.WaitGroup
	for j, c := range senders {
		wg.Go(func() {
			for k := j; k < n && ctx.Err() == nil; k += len(senders) {
				if b.opts.rate > 0 {
					at := start.Add(time.Duration(float64(k) / b.opts.rate * float64(time.Second)))
					if sleep(ctx, time.Until(at)) != nil {
						return
					}
				}
				nonce := fmt.Sprintf("%s-%d", b.runID, k)
				m := sentMessage{start: time.Now(), sender: j}
				_, err := c.Send(ctx, roomID, nonce, map[string]any{
					"msgtype": "m.text",
					"body":    fmt.Sprintf("ocomms-bench latency message %d", k),
					keyNonce:  nonce,
					keySentTS: m.start.UnixMilli(),
				}, time.Time{})
				m.took, m.ok = time.Since(m.start), err == nil
				if err != nil && !errors.Is(err, context.Canceled) {
					errs.Add(err)
				}
				sent[k] = m
			}
		})
	}
	wg.Wait()
	return sent, errs
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
