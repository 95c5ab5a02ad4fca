// Package mediaapi is the content repository: uploads, downloads and
// thumbnails on the authenticated media endpoints (and the deprecated
// unauthenticated ones for media older than the freeze), quotas and rate
// limits, retention, quarantine, moving media between stores, and URL
// previews with SSRF guards. Bytes live in a blobstore (local or S3),
// named by their SHA-256; everything about them lives in this
// component's tables.
//
// https://spec.matrix.org/latest/client-server-api/#content-repository
package mediaapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/ratelimit"
	"github.com/ocomms/ocomms/mediaapi/blobstore"
	"github.com/ocomms/ocomms/mediaapi/preview"
	"github.com/ocomms/ocomms/roomserver/api"
	"github.com/ocomms/ocomms/storage"
)

// MediaAPI is the content repository component.
type MediaAPI struct {
	db     *storage.DB
	bus    *bus.Bus
	cfg    config.Config
	authn  httpapi.Authenticator
	log    *slog.Logger
	stores stores
	remote RemoteFetcher
	// remoteFetches makes concurrent downloads of one uncached remote
	// media fetch it once.
	remoteFetches singleflight.Group

	uploads   *ratelimit.Limiter
	previews  *ratelimit.Limiter
	previewer *preview.Previewer
	// decoding bounds the images decoded at once, so memory stays at
	// about max_image_pixels x 4 bytes per slot.
	decoding chan struct{}
	// freeze is the instant before which media is served unauthenticated.
	freeze  time.Time
	waiters *waiters
	mover   *mover

	// runCtx lives from Start to Stop, for background work.
	runCtx   context.Context
	stop     context.CancelFunc
	bg       sync.WaitGroup
	uploaded bus.Subscription
	// roomEvents records the media rooms' events refer to (roomrefs.go).
	roomEvents bus.Subscription
}

// New builds the component and opens its stores. The S3 store is opened
// whenever it is configured, also when uploads go to the local one, so
// media already there stays readable.
func New(db *storage.DB, b *bus.Bus, cfg config.Config, authn httpapi.Authenticator, log *slog.Logger) (*MediaAPI, error) {
	mc := cfg.Media
	local, err := blobstore.NewLocal(cfg.Path(mc.Local.Path))
	if err != nil {
		return nil, fmt.Errorf("mediaapi: %w", err)
	}
	st := stores{primary: local, local: local, byName: map[string]blobstore.Store{"local": local}}
	if mc.S3.Configured() {
		s3, err := blobstore.NewS3(mc.S3)
		if err != nil {
			return nil, fmt.Errorf("mediaapi: %w", err)
		}
		st.byName["s3"] = s3
		if mc.Store == "s3" {
			st.primary = s3
		}
	}
	freeze, err := mc.UnauthenticatedCutoff()
	if err != nil {
		return nil, fmt.Errorf("media.unauthenticated_before: %w", err)
	}
	m := &MediaAPI{
		db: db, bus: b, cfg: cfg, authn: authn, stores: st, freeze: freeze,
		log:      log.With(slog.String("component", "mediaapi")),
		uploads:  ratelimit.New(mc.UploadRateLimit),
		previews: ratelimit.New(mc.URLPreview.RateLimit),
		decoding: make(chan struct{}, max(1, min(runtime.GOMAXPROCS(0), 4))),
		waiters:  newWaiters(),
	}
	m.mover = newMover(m)
	if mc.URLPreview.Enabled {
		m.previewer, err = preview.New(previewConfig(mc.URLPreview))
		if err != nil {
			return nil, fmt.Errorf("media.url_preview: %w", err)
		}
	}
	return m, nil
}

// SetRemote plugs in the fetcher of other servers' media (federation).
// Without one, media of other servers is served only from the cache.
func (m *MediaAPI) SetRemote(f RemoteFetcher) { m.remote = f }

// Name identifies the component in logs and migrations.
func (m *MediaAPI) Name() string { return "mediaapi" }

// Migrations returns the component's schema history.
func (m *MediaAPI) Migrations() []storage.Migration { return migrations }

// Streams returns the bus streams the component publishes to, and the
// roomserver's output it consumes, so the consumer finds it whatever the
// start-up order.
func (m *MediaAPI) Streams() []bus.StreamSpec {
	return slices.Concat(uploadedStreams(), api.Streams())
}

// Register mounts the component's client endpoints.
func (m *MediaAPI) Register(routes httpapi.Routes) {
	r := routes.Client
	m.registerUpload(r)
	m.registerDownload(r)
	m.registerThumbnail(r)
	m.registerConfig(r)
	m.registerPreview(r)
	m.registerAdmin(r)
	m.registerQuota(r)
	m.registerRoomQuota(r)
	m.registerMove(r)
}

// Start checks the S3 store answers, subscribes to upload notices (which
// wake downloads waiting for a created media ID on any instance), joins
// the consumer of room events that counts rooms' media and starts the
// retention sweep.
func (m *MediaAPI) Start(ctx context.Context) error {
	if s3, ok := m.stores.byName["s3"].(*blobstore.S3); ok {
		checkCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := s3.Check(checkCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("mediaapi: %w", err)
		}
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.runCtx, m.stop = runCtx, cancel
	var err error
	m.uploaded, err = m.subscribeUploaded(runCtx)
	if err != nil {
		cancel()
		return fmt.Errorf("mediaapi: %w", err)
	}
	m.roomEvents, err = m.consumeRoomEvents(runCtx)
	if err != nil {
		m.uploaded.Stop()
		cancel()
		return fmt.Errorf("mediaapi: room events: %w", err)
	}
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		m.retentionLoop(runCtx)
	}()
	return nil
}

// Stop ends the retention sweep and any move between stores (a move
// resumes where it stopped when started again) and the subscription.
func (m *MediaAPI) Stop(ctx context.Context) error {
	if m.stop == nil {
		return nil
	}
	m.stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.uploaded.Stop()
		m.roomEvents.Stop()
		m.bg.Wait()
		m.mover.wait()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("mediaapi: background work did not stop in time")
	}
}

func nowMs() int64 { return time.Now().UnixMilli() }
