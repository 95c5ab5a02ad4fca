package pushers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/spec/pushrules"
	syncout "github.com/ocomms/ocomms/syncapi/api"
)

// handlePush delivers one push to every http pusher of its user. A
// pusher whose gateway failed in a way worth retrying makes the message
// come back later; those that succeeded are remembered (sentSet) so the
// retry does not alert them twice. Past max_attempts the push is given
// up with an error log.
func (p *Pushers) handlePush(ctx context.Context, m bus.Message) error {
	var push syncout.Push
	if err := m.Decode(&push); err != nil {
		return bus.Permanent(err)
	}
	if push.Version != syncout.PushVersion {
		return fmt.Errorf("push for %s has version %d, this server reads %d", push.EventID, push.Version, syncout.PushVersion)
	}
	if m.Delivered > uint64(p.cfg.MaxAttempts) {
		p.log.ErrorContext(ctx, "giving up a push notification", slog.String("user_id", push.UserID),
			slog.String("event_id", push.EventID), slog.Uint64("attempts", m.Delivered-1))
		return nil
	}
	all, err := listPushers(ctx, p.db, push.UserID)
	if err != nil {
		return err
	}
	msgKey := strconv.FormatUint(m.Sequence, 10)
	var todo []pusher
	for _, pr := range all {
		if pr.Kind == "http" && !p.sent.has(msgKey, pr) {
			todo = append(todo, pr)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	ev, found, err := p.details.PushEvent(ctx, push.UserID, push.EventID)
	if err != nil {
		return fmt.Errorf("describing %s: %w", push.EventID, err)
	}
	if !found {
		// The sync API records the notification with the event, so this
		// is an event purged since: nothing to tell the phone about.
		return nil
	}
	var actions pushrules.Actions
	if err := json.Unmarshal(push.Actions, &actions); err != nil {
		return bus.Permanent(fmt.Errorf("push for %s: actions: %w", push.EventID, err))
	}
	var retry []error
	for _, pr := range todo {
		rejected, err := p.gateway.notify(ctx, pr.URL, buildNotification(pr, push, ev, actions))
		switch {
		case errors.Is(err, errPermanent):
			p.log.WarnContext(ctx, "push gateway refused a notification", slog.String("user_id", pr.UserID),
				slog.String("app_id", pr.AppID), slog.String("event_id", push.EventID), slog.Any("error", err))
			p.sent.add(msgKey, pr)
		case err != nil:
			retry = append(retry, fmt.Errorf("pusher %s of %s: %w", pr.AppID, pr.UserID, err))
		default:
			p.sent.add(msgKey, pr)
			p.removeRejected(ctx, pr, rejected)
		}
	}
	return errors.Join(retry...)
}

// removeRejected deletes the user's pushers of the app whose pushkeys the
// gateway rejected: the spec says to stop sending to them.
func (p *Pushers) removeRejected(ctx context.Context, pr pusher, rejected []string) {
	for _, key := range rejected {
		if err := deletePusher(ctx, p.db, pr.UserID, pr.AppID, key); err != nil {
			p.log.WarnContext(ctx, "removing a rejected pusher", slog.String("user_id", pr.UserID), slog.Any("error", err))
			continue
		}
		p.log.InfoContext(ctx, "removed a pusher its gateway rejected", slog.String("user_id", pr.UserID),
			slog.String("app_id", pr.AppID))
	}
}

// sentSetSize bounds the deliveries remembered for retries.
const sentSetSize = 16384

// sentSet remembers, per bus message, the pushers a push already reached,
// so a retry for the others does not alert them again. It is per
// instance: a retry that another instance takes may repeat a push, which
// gateways drop by event_id (the spec asks them to).
type sentSet struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

func newSentSet() *sentSet { return &sentSet{keys: map[string]struct{}{}} }

func sentKey(msg string, pr pusher) string {
	return msg + "\x00" + pr.UserID + "\x00" + pr.AppID + "\x00" + pr.PushKey
}

func (s *sentSet) has(msg string, pr pusher) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.keys[sentKey(msg, pr)]
	return ok
}

func (s *sentSet) add(msg string, pr pusher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) >= sentSetSize {
		s.keys = map[string]struct{}{}
	}
	s.keys[sentKey(msg, pr)] = struct{}{}
}
