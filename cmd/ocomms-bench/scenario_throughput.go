package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ThroughputReport is the outcome of the throughput scenario.
type ThroughputReport struct {
	Senders    int  `json:"senders"`
	SharedRoom bool `json:"shared_room"`
	// Duration is how long senders started new sends; Elapsed runs until
	// the last one in flight finished, and is what the rate divides by.
	Duration    float64        `json:"duration_s"`
	Elapsed     float64        `json:"elapsed_s"`
	Sent        int            `json:"sent"`
	PerSecond   float64        `json:"messages_per_second"`
	Errors      map[string]int `json:"errors"`
	RateLimited int64          `json:"rate_limited"`
	Send        Summary        `json:"send"`
	RSS         *RSSReport     `json:"rss,omitempty"`
}

// throughput has every sender send back to back for the duration, each in
// a room of its own or all in one, and counts what the server accepted.
// A sender told M_LIMIT_EXCEEDED waits retry_after_ms and sends the same
// transaction again, so the rate is what the server lets one user do.
func (b *bench) throughput(ctx context.Context) (*ThroughputReport, error) {
	o := b.opts
	rep := &ThroughputReport{Senders: o.senders, SharedRoom: o.sharedRoom, Duration: o.duration.Seconds()}
	var limited atomic.Int64
	senders, err := b.setupUsers(ctx, "tput", o.senders, &limited)
	if err != nil {
		return nil, err
	}
	rooms, err := b.throughputRooms(ctx, senders)
	if err != nil {
		return nil, err
	}
	limited.Store(0) // set-up retries are not the scenario's

	b.logf("throughput: %d senders sending for %s", len(senders), o.duration)
	start := time.Now()
	window := start
	end := start.Add(o.duration)
	errs := &ErrorCounts{}
	times := make([][]time.Duration, len(senders))
	var wg sync.WaitGroup
	for i, c := range senders {
		wg.Go(func() {
			for k := 0; time.Now().Before(end) && ctx.Err() == nil; k++ {
				txn := fmt.Sprintf("%s-t%d-%d", b.runID, i, k)
				t0 := time.Now()
				// In-flight sends finish after the deadline (ctx, not end,
				// bounds them); only waits for a rate limit stop at end.
				_, err := c.Send(ctx, rooms[i], txn, map[string]any{
					"msgtype": "m.text", "body": fmt.Sprintf("ocomms-bench throughput %d/%d", i, k),
				}, end)
				switch {
				case err == nil:
					times[i] = append(times[i], time.Since(t0))
				case errors.Is(err, errStopped), ctx.Err() != nil:
				default:
					errs.Add(err)
					// A failing server is not hammered in a tight loop.
					_ = sleep(ctx, 100*time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	rep.Elapsed = elapsed.Seconds()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("throughput scenario: %w", err)
	}
	var all []time.Duration
	for _, t := range times {
		all = append(all, t...)
	}
	rep.Sent = len(all)
	rep.PerSecond = float64(rep.Sent) / elapsed.Seconds()
	rep.Send = Summarize(all)
	rep.Errors = errs.Snapshot()
	rep.RateLimited = limited.Load()
	rep.RSS, err = b.rss.window(window)
	return rep, err
}

// throughputRooms returns the room each sender sends to.
func (b *bench) throughputRooms(ctx context.Context, senders []*Client) ([]string, error) {
	rooms := make([]string, len(senders))
	if !b.opts.sharedRoom {
		err := parallel(ctx, len(senders), setupWorkers, func(ctx context.Context, i int) error {
			var err error
			rooms[i], err = senders[i].CreateRoom(ctx, fmt.Sprintf("%s throughput %d", b.opts.prefix, i))
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("creating the throughput rooms: %w", err)
		}
		return rooms, nil
	}
	roomID, err := senders[0].CreateRoom(ctx, b.opts.prefix+" throughput")
	if err != nil {
		return nil, fmt.Errorf("creating the throughput room: %w", err)
	}
	rooms[0] = roomID
	err = parallel(ctx, len(senders)-1, setupWorkers, func(ctx context.Context, i int) error {
		rooms[i+1] = roomID
		return senders[i+1].Join(ctx, roomID)
	})
	if err != nil {
		return nil, fmt.Errorf("joining the throughput room: %w", err)
	}
	return rooms, nil
}
