package syncapi

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ocomms/ocomms/bus"
)

// The wake-up stream tells every syncapi instance that the room event
// stream moved, so a /sync parked on any instance answers at once. Each
// message is worthless a minute later: a /sync that missed it still ends at
// its timeout and reads the database.
const (
	wakeUpStream  = "SYNCAPI_WAKEUPS"
	wakeUpSubject = "syncapi.wakeup"
)

func wakeUpStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        wakeUpStream,
		Description: "syncapi: stream positions committed, to wake parked /sync requests on every instance",
		Subjects:    []string{wakeUpSubject},
		MaxAge:      time.Minute,
		Duplicates:  30 * time.Second,
	}}
}

// wakeUpVersion is the wire version of wakeUp.
const wakeUpVersion = 1

// wakeUp is published after a consumer commits: the stream and its new
// position, the rooms whose members it concerns, and the users it
// concerns directly (for room events those whose membership changed: they
// may not be in the room yet, or any more).
type wakeUp struct {
	Version int `json:"v"`
	// Stream is a section's name; empty for the room event stream.
	Stream   string   `json:"stream,omitempty"`
	Position int64    `json:"pos"`
	RoomID   string   `json:"room_id,omitempty"`
	RoomIDs  []string `json:"room_ids,omitempty"`
	UserIDs  []string `json:"user_ids,omitempty"`
}

func (wakeUp) MessageType() string { return "syncapi.wakeup" }
func (wakeUp) MessageVersion() int { return wakeUpVersion }

// notifier holds the /sync requests parked on this instance and wakes those
// a wake-up concerns.
type notifier struct {
	mu      sync.Mutex
	waiters map[*waiter]struct{}
	done    chan struct{}
	closed  bool
}

func newNotifier() *notifier {
	return &notifier{waiters: make(map[*waiter]struct{}), done: make(chan struct{})}
}

// waiter is one parked /sync. Until it knows its rooms, every wake-up
// concerns it: the request is computing its response, and a wake-up in that
// window must not be lost.
type waiter struct {
	userID string
	ch     chan struct{}

	// Guarded by notifier.mu.
	rooms    map[string]bool
	roomsSet bool
	any      bool
}

func (n *notifier) register(userID string) *waiter {
	w := &waiter{userID: userID, ch: make(chan struct{}, 1)}
	n.mu.Lock()
	n.waiters[w] = struct{}{}
	n.mu.Unlock()
	return w
}

func (n *notifier) unregister(w *waiter) {
	n.mu.Lock()
	delete(n.waiters, w)
	n.mu.Unlock()
}

// watch narrows the wake-ups the waiter cares about to the rooms it is
// joined to and its own membership changes; any makes every wake-up count
// (a token from the future waits for the stream to pass it).
func (n *notifier) watch(w *waiter, rooms []string, any bool) {
	set := make(map[string]bool, len(rooms))
	for _, r := range rooms {
		set[r] = true
	}
	n.mu.Lock()
	w.rooms, w.roomsSet, w.any = set, true, any
	n.mu.Unlock()
}

func (n *notifier) notify(wu wakeUp) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for w := range n.waiters {
		if w.concerned(wu) {
			select {
			case w.ch <- struct{}{}:
			default:
			}
		}
	}
}

func (w *waiter) concerned(wu wakeUp) bool {
	if !w.roomsSet || w.any || w.rooms[wu.RoomID] {
		return true
	}
	for _, r := range wu.RoomIDs {
		if w.rooms[r] {
			return true
		}
	}
	for _, u := range wu.UserIDs {
		if u == w.userID {
			return true
		}
	}
	return false
}

// close releases every parked /sync at shutdown, so graceful shutdown does
// not wait for their timeouts.
func (n *notifier) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.closed = true
		close(n.done)
	}
}

// wake tells every instance's parked /sync requests that a stream moved.
// A lost wake-up only delays them until their timeout, so failures are
// logged, not returned: what woke them is already committed.
func (s *SyncAPI) wake(ctx context.Context, wu wakeUp) {
	wu.Version = wakeUpVersion
	if err := s.bus.Publish(ctx, wakeUpSubject, wu); err != nil {
		s.log.Warn("could not publish a sync wake-up", slog.String("stream", wu.Stream), slog.Int64("pos", wu.Position), slog.Any("error", err))
	}
}
