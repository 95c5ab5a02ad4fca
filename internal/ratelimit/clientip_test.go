package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ocomms/ocomms/internal/config"
)

func TestClientIPBelievesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	proxies, err := NewTrustedProxies(config.RateLimits{TrustedProxies: []string{"10.0.0.0/8", "2001:db8::1"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no header from a trusted proxy", "10.0.0.1:1234", nil, "10.0.0.1"},
		{"one hop from a trusted proxy", "10.0.0.1:1234", []string{"203.0.113.7"}, "203.0.113.7"},
		{"an untrusted peer's header is ignored", "198.51.100.9:1234", []string{"203.0.113.7"}, "198.51.100.9"},
		{"a forged leftmost hop is skipped", "10.0.0.1:1234", []string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7"},
		{"trusted hops are walked past", "10.0.0.1:1234", []string{"203.0.113.7, 10.1.1.1, 10.2.2.2"}, "203.0.113.7"},
		{"several header lines read as one list", "10.0.0.1:1234", []string{"1.2.3.4", "203.0.113.7, 10.1.1.1"}, "203.0.113.7"},
		{"every hop trusted gives the leftmost", "10.0.0.1:1234", []string{"10.3.3.3, 10.1.1.1"}, "10.3.3.3"},
		{"a garbage hop stops at the proxy that wrote it", "10.0.0.1:1234", []string{"203.0.113.7, not-an-ip"}, "10.0.0.1"},
		{"a hop with a port", "10.0.0.1:1234", []string{"203.0.113.7:5555"}, "203.0.113.7"},
		{"an IPv6 trusted proxy", "[2001:db8::1]:443", []string{"2001:db8::beef"}, "2001:db8::beef"},
		{"a bracketed IPv6 hop", "10.0.0.1:1234", []string{"[2001:db8::beef]"}, "2001:db8::beef"},
		{"an IPv4-mapped peer counts as IPv4", "[::ffff:10.0.0.1]:1234", []string{"203.0.113.7"}, "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := proxies.ClientIP(r); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientIPWithoutTrustedProxiesIsThePeer(t *testing.T) {
	proxies, err := NewTrustedProxies(config.RateLimits{})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "[2001:db8::1]:4242"
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	if got := proxies.ClientIP(r); got != "2001:db8::1" {
		t.Errorf("ClientIP %q", got)
	}
	if got := ClientIP(r); got != "2001:db8::1" {
		t.Errorf("ClientIP outside the middleware %q", got)
	}
}

func TestMiddlewareResolvesTheAddressForClientIP(t *testing.T) {
	proxies, err := NewTrustedProxies(config.RateLimits{TrustedProxies: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	h := proxies.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = ClientIP(r) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:999"
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen != "203.0.113.7" {
		t.Errorf("ClientIP inside the middleware %q", seen)
	}
}

func TestNewTrustedProxiesRejectsBadCIDRs(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.local", ""} {
		if _, err := NewTrustedProxies(config.RateLimits{TrustedProxies: []string{bad}}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
