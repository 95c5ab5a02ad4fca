package mediaapi

import (
	"context"
	"sync"
	"time"

	"github.com/ocomms/ocomms/bus"
)

// A download of a media ID from /create waits for its upload, which may
// land on another instance: every instance publishes uploads of created
// IDs on the bus and wakes its own waiters. The waiters also re-read the
// database every second, so a lost notice costs latency, not an answer.

const (
	uploadedStream  = "MEDIAAPI_UPLOADED"
	uploadedSubject = "mediaapi.uploaded"
)

func uploadedStreams() []bus.StreamSpec {
	return []bus.StreamSpec{{
		Name:        uploadedStream,
		Description: "mediaapi: created media IDs whose content arrived, to wake downloads waiting on any instance",
		Subjects:    []string{uploadedSubject},
		MaxAge:      time.Minute,
	}}
}

// uploadedNotice is the wire form of an upload to a created media ID.
type uploadedNotice struct {
	Version int    `json:"v"`
	Origin  string `json:"origin"`
	MediaID string `json:"media_id"`
}

func (uploadedNotice) MessageType() string { return "mediaapi.uploaded" }
func (uploadedNotice) MessageVersion() int { return 1 }

func (m *MediaAPI) publishUploaded(ctx context.Context, key mediaKey) {
	m.waiters.wake(key)
	if err := m.bus.Publish(ctx, uploadedSubject, uploadedNotice{Version: 1, Origin: key.Origin, MediaID: key.MediaID}); err != nil {
		m.log.WarnContext(ctx, "publishing an upload notice; waiting downloads elsewhere poll instead", "error", err)
	}
}

func (m *MediaAPI) subscribeUploaded(ctx context.Context) (bus.Subscription, error) {
	return m.bus.Subscribe(ctx, uploadedSubject, func(msg bus.Message) {
		var n uploadedNotice
		if err := msg.Decode(&n); err != nil {
			m.log.Warn("ignoring an undecodable upload notice", "error", err)
			return
		}
		m.waiters.wake(mediaKey{Origin: n.Origin, MediaID: n.MediaID})
	})
}

// waiters are the downloads parked on this instance, by media.
type waiters struct {
	mu sync.Mutex
	by map[mediaKey][]chan struct{}
}

func newWaiters() *waiters { return &waiters{by: map[mediaKey][]chan struct{}{}} }

func (w *waiters) add(k mediaKey) chan struct{} {
	ch := make(chan struct{})
	w.mu.Lock()
	w.by[k] = append(w.by[k], ch)
	w.mu.Unlock()
	return ch
}

func (w *waiters) remove(k mediaKey, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.by[k]
	for i, c := range list {
		if c == ch {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(w.by, k)
	} else {
		w.by[k] = list
	}
}

func (w *waiters) wake(k mediaKey) {
	w.mu.Lock()
	list := w.by[k]
	delete(w.by, k)
	w.mu.Unlock()
	for _, ch := range list {
		close(ch)
	}
}
