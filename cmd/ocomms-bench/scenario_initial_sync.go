package main

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// catchUpWait bounds how long the server may take to show every room and
// its last message in a sync before the timed syncs start.
const catchUpWait = 60 * time.Second

// InitialSyncReport is the outcome of the initial-sync scenario.
type InitialSyncReport struct {
	Rooms           int `json:"rooms"`
	MessagesPerRoom int `json:"messages_per_room"`
	Repeats         int `json:"repeats"`
	// RoomsSeen is the fewest joined rooms any timed sync returned; it
	// equals Rooms on a correct server.
	RoomsSeen int     `json:"rooms_seen"`
	Time      Summary `json:"time"`
	MinBytes  int     `json:"min_bytes"`
	MaxBytes  int     `json:"max_bytes"`
	// SetupSeconds is how long creating the rooms and messages took.
	SetupSeconds float64    `json:"setup_s"`
	RateLimited  int64      `json:"rate_limited"`
	RSS          *RSSReport `json:"rss,omitempty"`
}

// initialSync gives one user R rooms with some messages each, then times
// fresh initial syncs (no since token, no filter: what a client does on
// first login).
func (b *bench) initialSync(ctx context.Context) (*InitialSyncReport, error) {
	o := b.opts
	rep := &InitialSyncReport{Rooms: o.rooms, MessagesPerRoom: o.roomMessages, Repeats: o.repeats}
	var limited atomic.Int64
	users, err := b.setupUsers(ctx, "isync", 1, &limited)
	if err != nil {
		return nil, err
	}
	c := users[0]
	b.logf("initial-sync: creating %d rooms with %d messages each", o.rooms, o.roomMessages)
	setup := time.Now()
	last := make(map[string]string, o.rooms) // room ID → last event ID
	rooms := make([]string, o.rooms)
	lastIDs := make([]string, o.rooms)
	err = parallel(ctx, o.rooms, setupWorkers, func(ctx context.Context, i int) error {
		roomID, err := c.CreateRoom(ctx, fmt.Sprintf("%s initial sync %d", o.prefix, i))
		if err != nil {
			return fmt.Errorf("creating room %d: %w", i, err)
		}
		rooms[i] = roomID
		for k := range o.roomMessages {
			id, err := c.Send(ctx, roomID, fmt.Sprintf("%s-r%d-%d", b.runID, i, k), map[string]any{
				"msgtype": "m.text", "body": fmt.Sprintf("ocomms-bench initial sync room %d message %d", i, k),
			}, time.Time{})
			if err != nil {
				return fmt.Errorf("sending to room %d: %w", i, err)
			}
			lastIDs[i] = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, r := range rooms {
		last[r] = lastIDs[i]
	}
	if err := waitCaughtUp(ctx, c, last); err != nil {
		return nil, err
	}
	rep.SetupSeconds = time.Since(setup).Seconds()

	b.logf("initial-sync: timing %d initial syncs", o.repeats)
	window := time.Now()
	times := make([]time.Duration, 0, o.repeats)
	rep.RoomsSeen = o.rooms
	for i := range o.repeats {
		t0 := time.Now()
		res, size, err := c.Sync(ctx, "", 0, "")
		if err != nil {
			return nil, fmt.Errorf("initial sync %d: %w", i+1, err)
		}
		times = append(times, time.Since(t0))
		rep.RoomsSeen = min(rep.RoomsSeen, len(res.Rooms.Join))
		if i == 0 || size < rep.MinBytes {
			rep.MinBytes = size
		}
		rep.MaxBytes = max(rep.MaxBytes, size)
	}
	rep.Time = Summarize(times)
	rep.RateLimited = limited.Load()
	rep.RSS, err = b.rss.window(window)
	return rep, err
}

// waitCaughtUp syncs until every room shows with its last message, so the
// timed syncs measure reading, not the server still processing sends.
// These syncs ask for one timeline event per room, to load the server as
// little as possible while it catches up.
func waitCaughtUp(ctx context.Context, c *Client, last map[string]string) error {
	const filter = `{"room":{"timeline":{"limit":1}}}`
	deadline := time.Now().Add(catchUpWait)
	for {
		res, _, err := c.Sync(ctx, "", 0, filter)
		if err != nil {
			return fmt.Errorf("initial sync of %s: %w", c.UserID, err)
		}
		pending := 0
		for roomID, eventID := range last {
			room, ok := res.Rooms.Join[roomID]
			if !ok || eventID != "" && !slices.ContainsFunc(room.Timeline.Events, func(e SyncEvent) bool { return e.EventID == eventID }) {
				pending++
			}
		}
		if pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s, %d of %d rooms still did not show with their last message in %s's sync", catchUpWait, pending, len(last), c.UserID)
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
}
