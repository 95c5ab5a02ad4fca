// Package server assembles one ocomms process: it runs the start-up
// preflight, opens storage and the bus, builds the components, serves their
// routes on the configured listeners and shuts everything down in order.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/ocomms/ocomms/bus"
	"github.com/ocomms/ocomms/clientapi"
	"github.com/ocomms/ocomms/clientapi/accountdata"
	"github.com/ocomms/ocomms/clientapi/accounts"
	"github.com/ocomms/ocomms/clientapi/presence"
	"github.com/ocomms/ocomms/clientapi/pushers"
	"github.com/ocomms/ocomms/clientapi/pushrules"
	"github.com/ocomms/ocomms/clientapi/receipts"
	"github.com/ocomms/ocomms/clientapi/typing"
	"github.com/ocomms/ocomms/federation"
	"github.com/ocomms/ocomms/internal/config"
	"github.com/ocomms/ocomms/mediaapi"
	"github.com/ocomms/ocomms/roomserver"
	"github.com/ocomms/ocomms/spec/signing"
	"github.com/ocomms/ocomms/storage"
	"github.com/ocomms/ocomms/syncapi"
)

// Server is one running ocomms process.
type Server struct {
	cfg        config.Config
	log        *slog.Logger
	db         *storage.DB
	bus        *bus.Bus
	signingKey signing.SigningKey
	components []Component
	listeners  []*listener
	metrics    *metrics
	ready      atomic.Bool

	// FirstStart is true when this start created the signing key, so the
	// command can tell the operator what to do next.
	FirstStart bool
}

// New runs the preflight and builds everything; nothing is served until Run.
// On error every resource opened so far is closed again.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, log: log}
	if err := s.open(ctx); err != nil {
		_ = s.closeResources(context.Background())
		return nil, err
	}
	return s, nil
}

func (s *Server) open(ctx context.Context) error {
	var err error
	cfg, log := s.cfg, s.log
	dataDir, err := prepareDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	if err := checkPersistentDataDir(dataDir, realHost(), log); err != nil {
		return err
	}
	s.cfg.DataDir = dataDir

	s.signingKey, s.FirstStart, err = loadOrCreateSigningKey(s.cfg.Path(cfg.SigningKeyPath))
	if err != nil {
		return err
	}

	s.db, err = storage.Open(ctx, storageConfig(s.cfg), log)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	s.bus, err = bus.Open(ctx, busConfig(s.cfg), log)
	if err != nil {
		return fmt.Errorf("bus: %w", err)
	}

	accts := accounts.New(s.db, s.bus, s.cfg, log)
	rs := roomserver.New(s.db, s.bus, s.cfg, s.signingKey, log)
	// The client API is built before the sync API, which hides the rooms
	// users forgot through it, and leaves the rooms of users accounts
	// deactivate.
	client := clientapi.New(s.cfg, s.db, s.bus, rs, accts, log)
	accts.SetRoomParter(client.RoomParter())
	rules := pushrules.New(s.db, s.bus, accts, log)
	// Deleting a device deletes its keys, and /sync reports the syncing
	// device's one-time key counts, through the key store.
	keyStore := client.Keys()
	accts.AddDeviceObserver(keyStore)
	accts.SetDehydratedDevices(keyStore)
	syncAPI := syncapi.New(s.db, s.bus, s.cfg, rs, accts, client.Forgotten(), log)
	syncAPI.SetKeyCounts(keyStore)
	syncAPI.SetPushRules(rules)
	syncAPI.SetDehydratedDevices(keyStore)
	syncAPI.SetDevices(accts)
	pres := presence.New(s.cfg, s.db, s.bus, rs, accts, log)
	syncAPI.UsePresence(pres)
	// Account data is its own component; others set account data on a
	// user's behalf through it (clientapi/api.AccountData).
	accountData := accountdata.New(s.db, s.bus, accts, log)
	accts.SetAccountDataEraser(accountData)
	client.SetInvitePermissions(accountData)
	media, err := mediaapi.New(s.db, s.bus, s.cfg, accts, log)
	if err != nil {
		return err
	}
	client.SetRoomMediaQuota(media)
	// Pushers call push gateways for the notifications the sync API
	// records, and go with the device that set them.
	push, err := pushers.New(s.db, s.bus, s.cfg, accts, syncAPI, log)
	if err != nil {
		return err
	}
	accts.AddDeviceObserver(push)
	s.components = []Component{
		accts,
		rs,
		syncAPI,
		client,
		keyStore,
		accountData,
		federation.New(s.cfg.ServerName, s.signingKey, log),
		receipts.New(s.db, s.bus, rs, accts, accountData, log),
		rules,
		media,
		typing.New(s.bus, rs, accts, log),
		pres,
		push,
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	for _, c := range s.components {
		if err := s.bus.EnsureStreams(ctx, c.Streams()...); err != nil {
			return fmt.Errorf("%s streams: %w", c.Name(), err)
		}
	}

	s.metrics = newMetrics(s.db, s.bus)
	if err := s.bindListeners(); err != nil {
		return err
	}
	return nil
}

func storageConfig(cfg config.Config) storage.Config {
	return storage.Config{
		Backend:         cfg.Database.Backend,
		SQLitePath:      cfg.Path(cfg.Database.SQLitePath),
		PostgresDSN:     cfg.Database.PostgresDSN,
		MaxOpenConns:    cfg.Database.MaxOpenConns,
		MaxIdleConns:    cfg.Database.MaxIdleConns,
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime,
	}
}

func busConfig(cfg config.Config) bus.Config {
	host, _ := os.Hostname()
	return bus.Config{
		URLs:            cfg.Bus.NATSURLs,
		DataDir:         cfg.Path(cfg.Bus.StorageDir),
		Prefix:          cfg.Bus.Prefix,
		Name:            "ocomms@" + host,
		CredentialsFile: cfg.Bus.CredentialsFile,
		Replicas:        cfg.Bus.Replicas,
		ConnectTimeout:  cfg.Bus.ConnectTimeout,
	}
}

// Run serves until ctx is cancelled (SIGTERM, SIGINT) or a listener fails,
// then shuts down gracefully within the configured timeout.
func (s *Server) Run(ctx context.Context) error {
	var runners []Runner
	for _, c := range s.components {
		if r, ok := c.(Runner); ok {
			if err := r.Start(ctx); err != nil {
				s.shutdown(runners)
				return fmt.Errorf("starting %s: %w", c.Name(), err)
			}
			runners = append(runners, r)
		}
	}
	serveErr := make(chan error, len(s.listeners))
	for _, l := range s.listeners {
		go func() { serveErr <- l.serve() }()
		s.log.Info("listening", slog.String("listener", l.name), slog.String("addr", l.Addr()))
	}
	s.ready.Store(true)

	var err error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", slog.Duration("timeout", s.cfg.Limits.ShutdownTimeout))
	case err = <-serveErr:
		s.log.Error("listener failed, shutting down", slog.Any("error", err))
	}
	return errors.Join(err, s.shutdown(runners))
}

// shutdown stops accepting, lets requests in flight finish, stops the
// components' background work, then closes the bus (flushing acknowledged
// publishes) and the database — in that order, so nothing writes to a
// closed resource.
func (s *Server) shutdown(runners []Runner) error {
	s.ready.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Limits.ShutdownTimeout)
	defer cancel()
	var errs []error
	for _, l := range s.listeners {
		if err := l.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s listener: %w", l.name, err))
		}
	}
	for i := len(runners) - 1; i >= 0; i-- {
		if err := runners[i].Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.closeResources(ctx))
	return errors.Join(errs...)
}

func (s *Server) closeResources(ctx context.Context) error {
	var errs []error
	for _, l := range s.listeners {
		_ = l.ln.Close()
	}
	if s.bus != nil {
		if err := s.bus.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("closing bus: %w", err))
		}
	}
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing database: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Addr returns the bound address of a listener ("client", "federation",
// "metrics"), or "" when it is off. Tests listen on port 0 and ask here.
func (s *Server) Addr(name string) string {
	for _, l := range s.listeners {
		if l.name == name {
			return l.Addr()
		}
	}
	return ""
}

// SigningKey is the server's current signing key.
func (s *Server) SigningKey() signing.SigningKey { return s.signingKey }

// SigningKeyPath is the absolute path of the signing key file.
func (s *Server) SigningKeyPath() string { return s.cfg.Path(s.cfg.SigningKeyPath) }
