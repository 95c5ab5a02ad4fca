package netguard

import (
	"errors"
	"net/netip"
	"testing"
)

func TestGuardRefusesInternalAddressesUnlessAllowed(t *testing.T) {
	allowed := []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24")}
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.215.14", true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true},
		{"127.0.0.1", false},
		{"127.255.0.9", false},
		{"::1", false},
		{"10.0.0.1", false},
		{"10.1.2.3", true}, // allowed by the operator
		{"172.16.5.4", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fd00:ec2::254", false},   // cloud metadata over IPv6
		{"100.64.0.1", false},      // carrier-grade NAT
		{"0.0.0.0", false},
		{"::", false},
		{"::ffff:127.0.0.1", false}, // IPv4-mapped loopback
		{"::ffff:10.1.2.3", true},   // IPv4-mapped, allowed
		{"64:ff9b::a00:1", false},   // NAT64 of 10.0.0.1
		{"2002:7f00:1::", false},    // 6to4 of 127.0.0.1
		{"fe80::1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
	}
	g := Guard{Allowed: allowed}
	for _, tt := range tests {
		if got := g.Permitted(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("%s: permitted %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestGuardChecksTheDialledAddress(t *testing.T) {
	g := Guard{}
	for _, tc := range []struct {
		network, address string
		ok               bool
	}{
		{"tcp4", "93.184.215.14:443", true},
		{"tcp4", "127.0.0.1:8008", false},
		{"tcp6", "[::1]:80", false},
		{"udp4", "93.184.215.14:53", false},
		{"tcp4", "localhost:80", false}, // never a name: only resolved addresses are dialled
	} {
		err := g.Control(tc.network, tc.address, nil)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrForbiddenAddress)) {
			t.Errorf("%s %s: %v", tc.network, tc.address, err)
		}
	}
}
