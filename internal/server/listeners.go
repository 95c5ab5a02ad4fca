package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ocomms/ocomms/internal/httpapi"
	"github.com/ocomms/ocomms/internal/ratelimit"
)

type listener struct {
	name     string
	ln       net.Listener
	srv      *http.Server
	certFile string
	keyFile  string
}

func (l *listener) Addr() string { return l.ln.Addr().String() }

func (l *listener) serve() error {
	var err error
	if l.certFile != "" {
		err = l.srv.ServeTLS(l.ln, l.certFile, l.keyFile)
	} else {
		err = l.srv.Serve(l.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("%s listener: %w", l.name, err)
}

// bindListeners opens every configured port before anything is served, so
// "address already in use" fails the start instead of a goroutine later.
func (s *Server) bindListeners() error {
	client := httpapi.NewRouter()
	routes := httpapi.Routes{Client: client}
	var federation *mux.Router
	if s.cfg.Federation.Enabled {
		federation = httpapi.NewRouter()
		routes.Federation = federation
	}
	s.registerHealth(client)
	for _, c := range s.components {
		c.Register(routes)
	}

	proxies, err := ratelimit.NewTrustedProxies(s.cfg.RateLimits)
	if err != nil {
		return fmt.Errorf("rate_limits.trusted_proxies: %w", err)
	}
	if err := s.addListener("client", s.cfg.ClientAPI.Listen, proxies.Middleware(httpapi.CORS(client)), "", ""); err != nil {
		return err
	}
	if federation != nil {
		if err := s.addListener("federation", s.cfg.Federation.Listen, federation, s.cfg.Federation.TLSCertFile, s.cfg.Federation.TLSKeyFile); err != nil {
			return err
		}
	}
	if s.cfg.Metrics.Enabled {
		m := httpapi.NewRouter()
		s.registerHealth(m)
		m.Handle("/metrics", s.metrics.handler()).Methods(http.MethodGet)
		if err := s.addListener("metrics", s.cfg.Metrics.Listen, m, "", ""); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) addListener(name, addr string, h http.Handler, certFile, keyFile string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s listener on %s: %w", name, addr, err)
	}
	observe := s.metrics.observer(name)
	srv := &http.Server{
		Handler:           s.metrics.countInFlight(name, httpapi.Outer(h, s.log.With("listener", name), s.cfg.Limits.MaxRequestBodyBytes, observe)),
		ReadHeaderTimeout: s.cfg.Limits.ReadHeaderTimeout,
		ErrorLog:          nil,
	}
	s.listeners = append(s.listeners, &listener{name: name, ln: ln, srv: srv, certFile: certFile, keyFile: keyFile})
	return nil
}
