package ratelimit

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/ocomms/ocomms/internal/config"
)

// TrustedProxies are the reverse proxies whose X-Forwarded-For is
// believed. Behind a proxy every connection comes from the proxy, so
// without this all clients would share one address's limits; believing
// the header from anyone else would let a client pick its own address.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// NewTrustedProxies trusts the proxies of rate_limits.trusted_proxies.
func NewTrustedProxies(cfg config.RateLimits) (*TrustedProxies, error) {
	prefixes, err := cfg.TrustedProxyPrefixes()
	if err != nil {
		return nil, err
	}
	return &TrustedProxies{prefixes: prefixes}, nil
}

func (p *TrustedProxies) trusts(addr netip.Addr) bool {
	for _, prefix := range p.prefixes {
		if prefix.Contains(addr) {
			return true
		}
	}
	return false
}

// ClientIP finds the client's address: the connection's peer, unless the
// peer is a trusted proxy; then X-Forwarded-For is read from the right
// (each proxy appends the address it got the request from) and the first
// hop that is not a trusted proxy is the client. Hops further left were
// written by whoever sent the request and prove nothing. A hop that is not
// an address ends the walk at the proxy that wrote it.
func (p *TrustedProxies) ClientIP(r *http.Request) string {
	peer := remoteHost(r)
	addr, err := netip.ParseAddr(peer)
	if err != nil || len(p.prefixes) == 0 || !p.trusts(addr.Unmap()) {
		return peer
	}
	hops := forwardedFor(r.Header)
	client := addr.Unmap()
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := parseHop(hops[i])
		if err != nil {
			break
		}
		client = hop
		if !p.trusts(hop) {
			break
		}
	}
	return client.String()
}

func forwardedFor(h http.Header) []string {
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		for _, hop := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

// parseHop accepts an address, with a port or in brackets as some proxies
// write it.
func parseHop(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	addr, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, err
	}
	return addr.Unmap(), nil
}

type clientIPKey struct{}

// Middleware resolves the client's address once per request, so every
// ClientIP call (limits, the devices' last-seen address) agrees.
func (p *TrustedProxies) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientIPKey{}, p.ClientIP(r))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// ClientIP is the address a request came from, the key for limits on
// callers that are not logged in: as resolved by TrustedProxies.Middleware,
// or the connection's peer when the request did not pass through it.
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	return remoteHost(r)
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
