package bus

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startEmbedded runs a JetStream server inside this process. It has no TCP
// listener: the only way in is an in-process connection, so a single-binary
// deployment exposes no extra port and needs no NATS credentials.
func startEmbedded(ctx context.Context, cfg Config, log *slog.Logger) (*server.Server, error) {
	name := cfg.Name
	if name == "" {
		name = "ocomms"
	}
	opts := &server.Options{
		ServerName: name,
		DontListen: true,
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		// Without this the file store flushes to disk every two minutes, and
		// a publish acknowledged just before a crash or power cut is lost.
		SyncAlways: true,
		// The host process owns signal handling and shutdown order.
		NoSigs: true,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("create embedded nats server: %w", err)
	}
	logger := &serverLogger{log: log.With("component", "nats-server")}
	ns.SetLoggerV2(logger, false, false, false)
	ns.Start()

	// Start runs JetStream recovery synchronously and only logs a failure
	// (for example an unwritable DataDir), returning before it marks startup
	// complete; ask now rather than wait out the readiness timeout.
	if fatal := logger.fatal.Load(); fatal != nil || !ns.JetStreamEnabled() {
		ns.Shutdown()
		reason := "jetstream is not enabled"
		if fatal != nil {
			reason = *fatal
		}
		return nil, fmt.Errorf("start embedded nats server with jetstream storage in %q: %s", cfg.DataDir, reason)
	}
	wait := 30 * time.Second
	if deadline, ok := ctx.Deadline(); ok {
		wait = time.Until(deadline)
	}
	if !ns.ReadyForConnections(wait) {
		ns.Shutdown()
		return nil, fmt.Errorf("start embedded nats server: not ready for connections after %s", wait)
	}
	return ns, nil
}

// serverLogger sends the embedded server's log lines to slog, so they land
// in the same structured stream as everything else.
type serverLogger struct {
	log   *slog.Logger
	fatal atomic.Pointer[string] // the first fatal error, which ends start-up
}

// Noticef is the embedded server's start-up banner and routine notes: at
// debug level, so the operator's log starts with what ocomms says ("bus
// open") rather than thirty lines of NATS art.
func (l *serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

// Fatalf does not exit: it records the error so Open can return it, leaving
// the decision to the caller.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.fatal.CompareAndSwap(nil, &msg)
	l.log.Error(msg)
}
