package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/spec/errcode"
)

type healthResponse struct {
	Status string `json:"status"`
}

// registerHealth mounts /health (the process is up: for restarts) and
// /ready (it can serve: for load balancers, false while starting, draining
// or when the database or bus is unreachable).
func (s *Server) registerHealth(r *mux.Router) {
	r.Handle("/health", httpapi.HandlerFunc(func(*http.Request) (any, error) {
		return healthResponse{Status: "ok"}, nil
	})).Methods(http.MethodGet)
	r.Handle("/ready", httpapi.HandlerFunc(func(req *http.Request) (any, error) {
		if err := s.checkReady(req.Context()); err != nil {
			e := errcode.Unknown(err.Error())
			e.HTTPStatus = http.StatusServiceUnavailable
			return nil, e
		}
		return healthResponse{Status: "ready"}, nil
	})).Methods(http.MethodGet)
}

func (s *Server) checkReady(ctx context.Context) error {
	if !s.ready.Load() {
		return fmt.Errorf("not serving: starting or shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	if err := s.bus.Healthy(); err != nil {
		return fmt.Errorf("bus unreachable: %w", err)
	}
	return nil
}
