package syncapi

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
)

// streamTyping names the typing section. Its position is not a row of
// syncapi_stream_positions but the sequence of the typing bus stream.
const streamTyping = "typing"

// typingTick is how often an instance looks for typing notifications
// that expired.
const typingTick = 250 * time.Millisecond

// typingPublishTimeout bounds the publish of one expiry, so a bus outage
// delays the next tick's retries rather than stalling them.
const typingPublishTimeout = 5 * time.Second

// typingForgetAfter is how long a room whose typing set became empty is
// remembered, so incremental syncs report that the last typist stopped.
const typingForgetAfter = 10 * time.Minute

// typingState is who types where, as this instance read it from the
// typing stream. Every instance reads the same messages in the same order
// from the start of the stream, so every instance holds the same state
// at the same sequence, and a sync token's typing position means the same
// thing on each of them.
type typingState struct {
	mu sync.Mutex
	// applied is the stream sequence of the last message applied.
	applied uint64
	rooms   map[string]*roomTyping
	// dropped is the highest change sequence of a room dropped from
	// rooms; a sync from before it gets every joined room's typing set.
	dropped uint64
}

type roomTyping struct {
	users map[string]*typist
	// changed is the sequence of the last message that changed users,
	// and changedAt when it was applied.
	changed   uint64
	changedAt time.Time
}

type typist struct {
	// start is the sequence of the message that made the user typing,
	// which names its expiry.
	start   uint64
	expires time.Time
	// stopSent is set once this instance published the expiry.
	stopSent bool
}

func newTypingState() *typingState {
	return &typingState{rooms: map[string]*roomTyping{}}
}

// apply applies one message of the stream and reports whether the room's
// typing set changed.
func (ts *typingState) apply(m bus.Message, t clientapi.Typing) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if m.Sequence <= ts.applied {
		return false
	}
	ts.applied = m.Sequence
	rt := ts.rooms[t.RoomID]
	if rt == nil {
		rt = &roomTyping{users: map[string]*typist{}}
		ts.rooms[t.RoomID] = rt
	}
	cur, was := rt.users[t.UserID]
	switch {
	case t.Typing:
		// The stream's clock, not this instance's: every instance then
		// agrees when the notification expires.
		rt.users[t.UserID] = &typist{start: m.Sequence, expires: m.Published.Add(time.Duration(t.TimeoutMS) * time.Millisecond)}
	case was && (t.Expires == 0 || t.Expires == cur.start):
		delete(rt.users, t.UserID)
	}
	if _, is := rt.users[t.UserID]; is == was {
		// A renewal, or a stop of nobody (or of a start that was renewed
		// since): the set is the same.
		return false
	}
	rt.changed, rt.changedAt = m.Sequence, time.Now()
	return true
}

// position is the sequence of the last message applied.
func (ts *typingState) position() int64 {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return int64(ts.applied)
}

// typingInRoom is one room's typing set as a sync reports it.
type typingInRoom struct {
	users   []string
	changed uint64
}

// rooms returns the typing sets of the given rooms and the sequence
// changes may have been forgotten up to.
func (ts *typingState) snapshot(roomIDs []string) (map[string]typingInRoom, uint64) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := make(map[string]typingInRoom, len(roomIDs))
	for _, r := range roomIDs {
		rt := ts.rooms[r]
		if rt == nil {
			continue
		}
		users := make([]string, 0, len(rt.users))
		for u := range rt.users {
			users = append(users, u)
		}
		slices.Sort(users)
		out[r] = typingInRoom{users: users, changed: rt.changed}
	}
	return out, ts.dropped
}

// expired returns the typists whose notification ran out and whose stop
// this instance has not published yet, and forgets rooms that stayed
// empty for typingForgetAfter.
func (ts *typingState) expired(now time.Time) []clientapi.Typing {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var out []clientapi.Typing
	for roomID, rt := range ts.rooms {
		if len(rt.users) == 0 && now.Sub(rt.changedAt) > typingForgetAfter {
			ts.dropped = max(ts.dropped, rt.changed)
			delete(ts.rooms, roomID)
			continue
		}
		for userID, tp := range rt.users {
			if !tp.stopSent && !now.Before(tp.expires) {
				out = append(out, clientapi.Typing{Version: clientapi.TypingVersion, RoomID: roomID, UserID: userID, Expires: tp.start})
			}
		}
	}
	return out
}

// stopSent records that the expiry of the start at seq went out.
func (ts *typingState) stopSent(roomID, userID string, start uint64) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if rt := ts.rooms[roomID]; rt != nil {
		if tp := rt.users[userID]; tp != nil && tp.start == start {
			tp.stopSent = true
		}
	}
}

// handleTyping applies a message of the typing stream and wakes the
// /sync requests parked on this instance for the room. Every instance
// reads the stream, so no wake-up needs to be published.
func (s *SyncAPI) handleTyping(m bus.Message) {
	var t clientapi.Typing
	if err := m.Decode(&t); err != nil || t.Version != clientapi.TypingVersion {
		s.log.Warn("ignoring a typing notification", slog.Uint64("seq", m.Sequence), slog.Int("version", t.Version), slog.Any("error", err))
		return
	}
	if s.typing.apply(m, t) {
		s.notifier.notify(wakeUp{Stream: streamTyping, Position: int64(m.Sequence), RoomID: t.RoomID})
	}
}

// expireTyping publishes the stop of every expired typing notification
// until ctx ends. Every instance does it under the same message ID, so
// the stream keeps one stop, which every instance then applies; an
// instance never drops a typist on its own, so all of them agree.
func (s *SyncAPI) expireTyping(ctx context.Context) {
	tick := time.NewTicker(typingTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for _, stop := range s.typing.expired(now) {
				pctx, cancel := context.WithTimeout(ctx, typingPublishTimeout)
				err := s.bus.Publish(pctx, clientapi.TypingSubject, stop,
					bus.WithMsgID(clientapi.TypingExpiryMsgID(stop.RoomID, stop.UserID, stop.Expires)))
				cancel()
				if err != nil {
					if ctx.Err() == nil {
						s.log.Warn("could not publish an expired typing notification; will retry", slog.Any("error", err))
					}
					break
				}
				s.typing.stopSent(stop.RoomID, stop.UserID, stop.Expires)
			}
		}
	}
}
