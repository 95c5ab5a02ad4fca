package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bus is one connection to the message bus. It is safe for concurrent use.
type Bus struct {
	cfg   Config
	log   *slog.Logger
	names naming

	nc     *nats.Conn
	js     jetstream.JetStream
	closed chan struct{} // closed by nats once the connection is fully closed

	// embedded is the in-process server this Bus connects to, if any; owned
	// says whether this Bus started it and so must shut it down.
	embedded *server.Server
	owned    bool

	mu       sync.Mutex
	subs     map[stopper]struct{}
	shutting bool
}

type stopper interface{ Stop() }

// Open connects to the bus described by cfg. With no URLs it first starts an
// embedded server; from the moment the connection exists both cases share
// every line of code.
//
// With URLs, Open waits for the first successful connection (so a container
// may start before NATS does), warning while it waits, until cfg.ConnectTimeout
// has passed or ctx is done; after that it reconnects forever with backoff.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	started := time.Now()
	var ns *server.Server
	if len(cfg.URLs) == 0 {
		var err error
		if ns, err = startEmbedded(ctx, cfg, log); err != nil {
			return nil, err
		}
	}
	b, err := connect(ctx, cfg, log, ns)
	if err != nil {
		if ns != nil {
			ns.Shutdown()
		}
		return nil, err
	}
	b.owned = ns != nil
	log.Info("bus open", "embedded", b.owned, "prefix", cfg.Prefix, "elapsed", time.Since(started))
	return b, nil
}

// ConnectAnother opens a second, independent connection to the same bus:
// the same external servers, or the same embedded server in this process.
// It behaves like a separate instance of the server (its own durable
// consumer members, its own fan-out subscriptions), which is how tests run
// two instances against one bus. Closing it leaves the embedded server up.
func (b *Bus) ConnectAnother(ctx context.Context, name string) (*Bus, error) {
	cfg := b.cfg
	cfg.Name = name
	return connect(ctx, cfg, b.log, b.embedded)
}

func connect(ctx context.Context, cfg Config, log *slog.Logger, ns *server.Server) (*Bus, error) {
	b := &Bus{
		cfg:      cfg,
		log:      log,
		names:    naming{prefix: cfg.Prefix},
		closed:   make(chan struct{}),
		embedded: ns,
		subs:     make(map[stopper]struct{}),
	}
	name := cfg.Name
	if name == "" {
		name = "ocomms"
	}
	waitMax := cfg.ReconnectWaitMax
	if waitMax <= 0 {
		waitMax = defaultReconnectWaitMax
	}
	where := redactURLs(cfg.URLs)
	if ns != nil {
		where = "embedded server"
	}
	// The most recent failed attempt explains a start-up that times out.
	var lastErr atomic.Pointer[error]
	warn := warnEvery(unreachableWarnInterval)
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			return reconnectDelay(attempts, waitMax)
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err != nil {
				log.Warn("bus disconnected", "conn", name, "err", err)
			}
		}),
		nats.ReconnectErrHandler(func(nc *nats.Conn, err error) {
			lastErr.Store(&err)
			// Each attempt is logged at debug; an operator waiting on a
			// start-up or an outage sees a warning now and then.
			level := slog.LevelDebug
			if warn() {
				level = slog.LevelWarn
			}
			log.Log(context.Background(), level, "bus: cannot reach nats, retrying", "conn", name, "urls", where, "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("bus reconnected", "conn", name, "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Error("bus async error", "conn", name, "subject", subject, "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
	}
	if ns != nil {
		opts = append(opts, nats.InProcessServer(ns))
	}
	if cfg.CredentialsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredentialsFile))
	}
	if cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.ConnectTimeout, connectTimeoutError(cfg.ConnectTimeout))
		defer cancel()
	}

	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats (%s): %w", where, err)
	}
	if err := waitConnected(ctx, nc, &lastErr); err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect to nats (%s): %w", where, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream on nats (%s): %w", where, err)
	}
	// A server without JetStream would accept core publishes and fail every
	// stream call later; refuse it now, while the operator is watching.
	if _, err := js.AccountInfo(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream on nats (%s): %w", where, err)
	}
	b.nc, b.js = nc, js
	return b, nil
}

func waitConnected(ctx context.Context, nc *nats.Conn, lastErr *atomic.Pointer[error]) error {
	ch := nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer nc.RemoveStatusListener(ch)
	for !nc.IsConnected() {
		if nc.IsClosed() {
			if last := nc.LastError(); last != nil {
				return fmt.Errorf("connection closed: %w", last)
			}
			return errors.New("connection closed")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			// The cause says "no connection within 30s" when the connect
			// timeout ran out, and is ctx.Err() otherwise.
			if last := lastErr.Load(); last != nil {
				return fmt.Errorf("%w (last attempt: %w)", context.Cause(ctx), *last)
			}
			return context.Cause(ctx)
		}
	}
	return nil
}

// connectTimeoutError says that cfg.ConnectTimeout ran out; it is a
// context.DeadlineExceeded for errors.Is.
type connectTimeoutError time.Duration

func (e connectTimeoutError) Error() string {
	return fmt.Sprintf("no connection within %s", time.Duration(e))
}

func (connectTimeoutError) Unwrap() error { return context.DeadlineExceeded }

// unreachableWarnInterval spaces the warnings about a NATS that does not
// answer: the first failure warns at once, then one every interval.
const unreachableWarnInterval = 10 * time.Second

// warnEvery returns a function that reports true on its first call and then
// at most once per interval.
func warnEvery(interval time.Duration) func() bool {
	var mu sync.Mutex
	var last time.Time
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		if !last.IsZero() && time.Since(last) < interval {
			return false
		}
		last = time.Now()
		return true
	}
}

// reconnectDelay doubles from 100ms up to limit, with jitter so a fleet that
// lost its server does not reconnect in lockstep.
func reconnectDelay(attempts int, limit time.Duration) time.Duration {
	d := 100 * time.Millisecond << min(attempts, 16)
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			out[i] = "<unparsable url>"
			continue
		}
		out[i] = u.Redacted()
	}
	return strings.Join(out, ",")
}

// Healthy reports whether the bus can be used right now; it is cheap enough
// for a readiness probe. A reconnecting connection is not healthy: publishes
// would stall until it returns.
func (b *Bus) Healthy() error {
	if b.embedded != nil && !b.embedded.Running() {
		return errors.New("bus: embedded nats server is not running")
	}
	if b.embedded != nil && !b.embedded.JetStreamEnabled() {
		return errors.New("bus: embedded jetstream is not enabled")
	}
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("bus: nats connection is %s", st)
	}
	return nil
}

// track registers a subscription so Close can stop it; it refuses once
// Close has begun so nothing starts on a connection being drained.
func (b *Bus) track(s stopper) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shutting {
		return errors.New("bus: closed")
	}
	b.subs[s] = struct{}{}
	return nil
}

func (b *Bus) untrack(s stopper) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, s)
}

// Close stops every subscription (letting running handlers finish), drains
// the connection and, if this Bus started the embedded server, shuts it
// down, all within ctx. Calling it again is a no-op.
func (b *Bus) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.shutting {
		b.mu.Unlock()
		return nil
	}
	b.shutting = true
	subs := make([]stopper, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()

	var errs []error
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for _, s := range subs {
			s.Stop()
		}
	}()
	if err := waitOrDone(ctx, stopped); err != nil {
		errs = append(errs, fmt.Errorf("stop bus subscriptions: %w", err))
	}

	switch err := b.nc.Drain(); {
	case err == nil, errors.Is(err, nats.ErrConnectionClosed):
	case errors.Is(err, nats.ErrConnectionReconnecting):
		// The server is gone; there is nothing to flush to.
		b.nc.Close()
	default:
		errs = append(errs, fmt.Errorf("drain bus connection: %w", err))
		b.nc.Close()
	}
	if err := waitOrDone(ctx, b.closed); err != nil {
		b.nc.Close()
		errs = append(errs, fmt.Errorf("drain bus connection: %w", err))
	}

	if b.owned {
		down := make(chan struct{})
		go func() {
			defer close(down)
			b.embedded.Shutdown()
			b.embedded.WaitForShutdown()
		}()
		if err := waitOrDone(ctx, down); err != nil {
			errs = append(errs, fmt.Errorf("shut down embedded nats server: %w", err))
		}
	}
	return errors.Join(errs...)
}

func waitOrDone(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
