package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/spec/errcode"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
)

// RequestIDHeader carries the request ID in and out, so a proxy's ID is kept
// and a user's bug report can be matched to the server's logs.
const RequestIDHeader = "X-Request-Id"

// RequestID returns the ID assigned to the request being served.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// LoggerFrom returns the request-scoped logger (carrying the request ID), or
// the default logger outside a request.
func LoggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers what the handler wrote for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Flush lets long-lived responses stream through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Observer receives one call per finished request, for metrics.
type Observer func(r *http.Request, route string, status int, elapsed time.Duration)

// Outer wraps a whole listener: request ID, request-scoped logger, access
// log, metrics, panic recovery and the body size limit. It sits outside the
// router so unmatched routes are logged and counted too.
func Outer(next http.Handler, log *slog.Logger, maxBody int64, observe Observer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		reqLog := log.With(slog.String("request_id", id))
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey, id), loggerKey, reqLog)
		rec := &statusRecorder{ResponseWriter: w}
		route := new(string)
		*route = "unmatched"
		ctx = context.WithValue(ctx, routeKey{}, route)
		r = r.WithContext(ctx)
		ctx = context.WithValue(ctx, bodyKey{}, &rawBody{body: r.Body, limit: maxBody})
		r = r.WithContext(ctx)
		r.Body = http.MaxBytesReader(rec, r.Body, maxBody)
		serveRecovering(next, rec, r, reqLog)
		elapsed := time.Since(start)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if observe != nil {
			observe(r, *route, rec.status, elapsed)
		}
		reqLog.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", *route),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Duration("elapsed", elapsed), slog.String("remote", r.RemoteAddr))
	})
}

type routeKey struct{}

// RouteLabel records the matched route template for logs and metrics. The
// outer middleware cannot see it because the router matches later, so the
// router's own middleware reports it back through the context.
func RouteLabel(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			if cur := mux.CurrentRoute(r); cur != nil {
				if tpl, err := cur.GetPathTemplate(); err == nil {
					*p = tpl
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func serveRecovering(next http.Handler, w *statusRecorder, r *http.Request, log *slog.Logger) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		log.ErrorContext(r.Context(), "panic serving request", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		if w.status == 0 {
			WriteError(w, r, errcode.Unknown("internal server error"))
		}
	}()
	next.ServeHTTP(w, r)
}

// CORS answers as the Client-Server API requires: every origin may call it,
// and preflight requests are answered without reaching a handler.
// https://spec.matrix.org/latest/client-server-api/#web-browser-clients
func CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
