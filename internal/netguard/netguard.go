// Package netguard keeps outgoing connections that users direct (URL
// previews, push gateways) away from this machine and internal networks:
// every address actually dialled is checked, after DNS resolution.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned when a URL (or a redirect, or a name
// that resolves there) leads to an internal address.
var ErrForbiddenAddress = errors.New("the address is internal and may not be reached")

// deniedRanges are the addresses a guarded connection never reaches unless the
// operator allows them: this machine, private networks, link-local
// (cloud metadata at 169.254.169.254 and fd00:ec2::254 among them),
// carrier-grade NAT, and addresses that are not unicast on the internet.
var deniedRanges = mustPrefixes(
	"0.0.0.0/8",       // "this" network
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // carrier-grade NAT
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, broadcast
	"::/128",          // unspecified
	"::1/128",         // loopback
	"64:ff9b::/96",    // NAT64: embeds IPv4 addresses
	"64:ff9b:1::/48",  // local-use NAT64
	"100::/64",        // discard
	"2001::/23",       // IETF protocol assignments (Teredo, ORCHID...)
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4: embeds IPv4 addresses
	"fc00::/7",        // unique local, fd00:ec2::254 metadata
	"fe80::/10",       // link-local
	"fec0::/10",       // site-local (deprecated)
	"ff00::/8",        // multicast
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Guard decides which addresses a client may connect to.
type Guard struct {
	// Allowed are internal ranges the operator lets connections reach
	// anyway.
	Allowed []netip.Prefix
}

// Permitted reports whether a connection to addr is allowed: an address
// in an allowed range always is, an address in a denied range never is.
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they are.
func (g Guard) Permitted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range g.Allowed {
		if p.Contains(addr) {
			return true
		}
	}
	if !addr.IsValid() || addr.Zone() != "" {
		return false
	}
	for _, p := range deniedRanges {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// Control is a net.Dialer Control function. It runs for every connection attempt with the address actually
// being dialled, after DNS resolution: a name that resolves (or later
// re-resolves, DNS rebinding) to an internal address is refused here,
// whatever it resolved to when the URL was checked.
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrForbiddenAddress, network)
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrForbiddenAddress, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !g.Permitted(addr) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	return nil
}

// Transport is an HTTP transport whose every connection goes through the
// guard, with timeout bounding the connect, the TLS handshake and the wait
// for response headers. It never uses a proxy from the environment: the
// guard must see the address of the server itself.
func (g Guard) Transport(timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, Control: g.Control}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
	}
}
