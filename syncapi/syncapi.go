// Package syncapi serves what clients read: /sync, /messages, /context,
// /relations, /threads and the ephemeral streams. It keeps its own read-optimised copy of rooms,
// filled from the roomserver's output stream, and never writes room state.
package syncapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/ocomms/ocomms/bus"
	clientapi "github.com/ocomms/ocomms/clientapi/api"
	"github.com/ocomms/ocomms/internal/background"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/outbox"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
	syncout "github.com/ocomms/ocomms/syncapi/api"
)

// SyncAPI is the sync component.
type SyncAPI struct {
	db         *storage.DB
	bus        *bus.Bus
	cfg        config.Config
	rooms      api.API
	authn      httpapi.Authenticator
	forgotten  Forgotten
	keyCounts  KeyCounts
	dehydrated DehydratedDevices
	pushRules  PushRules
	devices    Devices
	pushCache  pushRoomCache
	presence   PresenceTracker
	// pushOut publishes the pushes recorded with notifications.
	pushOut  *outbox.Outbox
	log      *slog.Logger
	notifier *notifier
	// sections are the streams /sync serves besides room events, and
	// consumers the durable bus consumers that fill them (stream.go).
	sections  []section
	consumers []consumer
	// typing is who types where, read from the typing stream.
	typing *typingState

	// backfill derives what later migrations added (relationships,
	// searchable text, timestamps) for the events stored before them
	// (backfill.go).
	backfill background.Loop
	// sweeper prunes read notifications and stale to-device messages (sweep.go).
	sweeper background.Loop

	stop    context.CancelFunc
	subs    []bus.Subscription
	wakeUps bus.Subscription
	// done closes when the background loops started by Start ended.
	done chan struct{}
}

// New builds the component. forgotten may be nil: then no room is
// hidden from /sync.
func New(db *storage.DB, b *bus.Bus, cfg config.Config, rooms api.API, authn httpapi.Authenticator, forgotten Forgotten, log *slog.Logger) *SyncAPI {
	s := &SyncAPI{
		db: db, bus: b, cfg: cfg, rooms: rooms, authn: authn, forgotten: forgotten,
		log:      log.With(slog.String("component", "syncapi")),
		notifier: newNotifier(),
		typing:   newTypingState(),
	}
	s.pushOut = outbox.New(db, b, pushOutboxTable, syncout.PushSubject, s.log)
	s.sections = append(s.sections, s.typingSection(), s.presenceSection())
	s.consumers = []consumer{{
		stream: api.OutputStream, durable: consumerName, subject: api.OutputSubject, handle: s.handleOutput,
	}, {
		stream: clientapi.ReceiptsStream, durable: receiptsConsumerName, subject: clientapi.ReceiptsSubject, handle: s.handleReceipt,
	}, {
		stream: clientapi.PushRulesStream, durable: pushRulesConsumerName, subject: clientapi.PushRulesSubject, handle: s.handlePushRulesChanged,
	}, {
		stream: clientapi.PresenceStream, durable: presenceConsumer, subject: clientapi.PresenceSubject, handle: s.handlePresence,
	}, s.accountDataConsumer()}
	s.sections = append(s.sections, s.toDeviceSection(), s.deviceListSection(), s.receiptsSection(), s.pushRulesSection(), s.accountDataSection())
	s.consumers = append(s.consumers, s.toDeviceConsumer(), s.deviceListConsumer(), s.erasureConsumer())
	return s
}

// Name identifies the component in logs and migrations.
func (s *SyncAPI) Name() string { return "syncapi" }

// Migrations returns the component's schema history.
func (s *SyncAPI) Migrations() []storage.Migration { return migrations }

// Streams returns the bus streams the component publishes to (its
// wake-ups, typing expiries, pushes) and the client API's presence and
// erasure streams it consumes, so the consumer finds it whatever the start-up order.
func (s *SyncAPI) Streams() []bus.StreamSpec {
	return slices.Concat(wakeUpStreams(), clientapi.TypingStreams(), clientapi.PresenceStreams(), clientapi.ErasureStreams(), syncout.PushStreams())
}

// Register mounts the component's client endpoints.
func (s *SyncAPI) Register(routes httpapi.Routes) {
	s.registerSync(routes)
	s.registerSlidingSync(routes)
	s.registerFilters(routes)
	s.registerMessages(routes)
	s.registerContext(routes)
	s.registerMembers(routes)
	s.registerKeyChanges(routes)
	s.registerDehydratedEvents(routes)
	s.registerRelations(routes)
	s.registerThreads(routes)
	s.registerTimestampToEvent(routes)
	s.registerNotifications(routes)
	s.registerSearch(routes)
}

// Start subscribes to wake-ups first, so no commit after the consumers
// start goes unnoticed, then joins the shared consumers. Parked /sync
// requests are released as soon as ctx ends (shutdown begins), so they do
// not hold up the graceful shutdown of the listeners.
func (s *SyncAPI) Start(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	context.AfterFunc(ctx, s.notifier.close)
	var err error
	s.wakeUps, err = s.bus.Subscribe(runCtx, wakeUpSubject, func(m bus.Message) {
		var wu wakeUp
		if err := m.Decode(&wu); err != nil {
			s.log.Warn("ignoring an undecodable sync wake-up", slog.Any("error", err))
			return
		}
		s.notifier.notify(wu)
	})
	if err != nil {
		cancel()
		return fmt.Errorf("syncapi: %w", err)
	}
	// Typing state is rebuilt from everything the stream still holds.
	typing, err := s.bus.Subscribe(runCtx, clientapi.TypingSubject, s.handleTyping, bus.WithDeliverAll())
	if err != nil {
		s.stopSubscriptions()
		cancel()
		return fmt.Errorf("syncapi: typing: %w", err)
	}
	s.subs = append(s.subs, typing)
	for _, c := range s.consumers {
		sub, err := s.bus.Consume(runCtx, c.stream, c.durable, c.handle,
			bus.WithFilterSubjects(c.subject), bus.WithOrderedDelivery())
		if err != nil {
			s.stopSubscriptions()
			cancel()
			return fmt.Errorf("syncapi: consumer %s: %w", c.durable, err)
		}
		s.subs = append(s.subs, sub)
	}
	if err := s.pushOut.Start(runCtx); err != nil {
		s.stopSubscriptions()
		cancel()
		return fmt.Errorf("syncapi: push outbox: %w", err)
	}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.expireTyping(runCtx)
	}()
	s.backfill.Start(s.backfillAll)
	s.sweeper.Start(s.sweep)
	return nil
}

func (s *SyncAPI) stopSubscriptions() {
	for _, sub := range s.subs {
		sub.Stop()
	}
	s.subs = nil
	if s.wakeUps != nil {
		s.wakeUps.Stop()
	}
}

// Stop ends the consumers (a message being stored is handed back to its
// stream) and the wake-up subscription.
func (s *SyncAPI) Stop(ctx context.Context) error {
	s.notifier.close()
	if _, err := s.backfill.Stop(ctx); err != nil {
		s.log.Warn("the backfill did not stop in time", slog.Any("error", err))
	}
	if _, err := s.sweeper.Stop(ctx); err != nil {
		s.log.Warn("the sweeper did not stop in time", slog.Any("error", err))
	}
	if s.stop == nil {
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.stopSubscriptions()
	}()
	select {
	case <-done:
		s.stop()
		if s.done != nil {
			<-s.done
		}
		return s.pushOut.Stop(ctx)
	case <-ctx.Done():
		s.stop()
		return errors.Join(errors.New("syncapi: consumers did not stop in time"), s.pushOut.Stop(ctx))
	}
}
