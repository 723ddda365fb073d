package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// probeLab is client C — router R — server S:
//
//	C 198.18.1.1/24 ─ 198.18.1.254 R 198.18.2.254 ─ 198.18.2.2/24 S
//
// C routes 198.18.2.0/24 via R and nothing else, plus an "unreachable"
// route 198.18.98.0/24 and a "prohibit" route 198.18.97.0/24. R forwards.
// Both R and S send ICMP errors without rate limit. S listens on TCP 80
// and echoes on UDP 53; the firewall rules live in R and S only.
type probeLab struct {
	c, r, s string
	ns      *nsutil.NetNS
}

const (
	probeTCPOpen = 80
	probeUDPEcho = 53
)

func newProbeLab(t *testing.T) *probeLab {
	t.Helper()
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables", "sysctl")
	l := &probeLab{c: testlab.NewNetNS(t), r: testlab.NewNetNS(t), s: testlab.NewNetNS(t)}
	testlab.VethPair(t, l.c, "198.18.1.1/24", l.r, "198.18.1.254/24")
	testlab.VethPair(t, l.r, "198.18.2.254/24", l.s, "198.18.2.2/24")
	testlab.Run(t, "ip", "-n", l.c, "route", "add", "198.18.2.0/24", "via", "198.18.1.254")
	testlab.Run(t, "ip", "-n", l.c, "route", "add", "unreachable", "198.18.98.0/24")
	testlab.Run(t, "ip", "-n", l.c, "route", "add", "prohibit", "198.18.97.0/24")
	testlab.Run(t, "ip", "-n", l.s, "route", "add", "default", "via", "198.18.2.254")
	testlab.InNetNS(t, l.r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	for _, ns := range []string{l.r, l.s} {
		testlab.InNetNS(t, ns, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0")
	}
	for _, rule := range [][]string{
		{l.s, "INPUT", "-p", "tcp", "--dport", "81", "-j", "DROP"},
		{l.s, "INPUT", "-p", "tcp", "--dport", "82", "-j", "REJECT", "--reject-with", "icmp-port-unreachable"},
		{l.s, "INPUT", "-p", "tcp", "--dport", "83", "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"},
		{l.r, "FORWARD", "-p", "tcp", "--dport", "84", "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"},
		{l.r, "FORWARD", "-p", "tcp", "--dport", "85", "-j", "REJECT", "--reject-with", "icmp-net-unreachable"},
		{l.s, "INPUT", "-p", "tcp", "--dport", "86", "-j", "REJECT", "--reject-with", "tcp-reset"},
		{l.r, "FORWARD", "-p", "udp", "--dport", "84", "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"},
		{l.s, "INPUT", "-p", "udp", "--dport", "81", "-j", "DROP"},
	} {
		testlab.InNetNS(t, rule[0], "iptables", append([]string{"-w", "-A"}, rule[1:]...)...)
	}
	sns, err := nsutil.Open(testlab.NetNSPath(l.s))
	if err != nil {
		t.Fatal(err)
	}
	defer sns.Close()
	var ln net.Listener
	var pc net.PacketConn
	if err := sns.Do(func() error {
		var err error
		if ln, err = net.Listen("tcp4", "198.18.2.2:80"); err != nil {
			return err
		}
		pc, err = net.ListenPacket("udp4", "198.18.2.2:53")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); pc.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(buf[:n], from)
		}
	}()
	l.ns, err = nsutil.Open(testlab.NetNSPath(l.c))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.ns.Close() })
	waitLink(t, l.ns, "198.18.2.2")
	return l
}

func TestProbe(t *testing.T) {
	l := newProbeLab(t)
	router, server := netip.MustParseAddr("198.18.1.254"), netip.MustParseAddr("198.18.2.2")
	tests := []struct {
		name    string
		udp     bool
		addr    string
		timeout time.Duration
		kind    Kind
		from    netip.Addr
		errno   error
	}{
		{name: "tcp open port", addr: "198.18.2.2:80", kind: KindConnected},
		{name: "tcp closed port", addr: "198.18.2.2:79", kind: KindRefused, errno: unix.ECONNREFUSED},
		{name: "tcp REJECT tcp-reset", addr: "198.18.2.2:86", kind: KindRefused, errno: unix.ECONNREFUSED},
		{name: "tcp DROP", addr: "198.18.2.2:81", timeout: 1500 * time.Millisecond, kind: KindTimeout, errno: ErrTimeout},
		{name: "tcp REJECT port-unreachable", addr: "198.18.2.2:82", kind: KindPortUnreachable, from: server, errno: unix.ECONNREFUSED},
		{name: "tcp REJECT admin-prohibited", addr: "198.18.2.2:83", kind: KindAdminProhibited, from: server, errno: unix.EHOSTUNREACH},
		{name: "tcp REJECT admin-prohibited by the router", addr: "198.18.2.2:84", kind: KindAdminProhibited, from: router, errno: unix.EHOSTUNREACH},
		{name: "tcp REJECT net-unreachable by the router", addr: "198.18.2.2:85", kind: KindNetUnreachable, from: router, errno: unix.ENETUNREACH},
		{name: "tcp no route", addr: "198.18.99.1:80", kind: KindNoRoute, errno: unix.ENETUNREACH},
		{name: "tcp unreachable route", addr: "198.18.98.1:80", kind: KindHostUnreachable, errno: unix.EHOSTUNREACH},
		{name: "tcp prohibit route", addr: "198.18.97.1:80", kind: KindAdminProhibited, errno: unix.EACCES},
		// The router's neighbour resolution for an absent host fails after ~3 s.
		{name: "tcp absent host behind the router", addr: "198.18.2.77:80", timeout: 15 * time.Second, kind: KindHostUnreachable, from: router, errno: unix.EHOSTUNREACH},
		{name: "udp answered", udp: true, addr: "198.18.2.2:53", kind: KindAnswered},
		{name: "udp closed port", udp: true, addr: "198.18.2.2:9", kind: KindPortUnreachable, from: server, errno: unix.ECONNREFUSED},
		{name: "udp REJECT admin-prohibited by the router", udp: true, addr: "198.18.2.2:84", kind: KindAdminProhibited, from: router, errno: unix.EHOSTUNREACH},
		{name: "udp DROP", udp: true, addr: "198.18.2.2:81", timeout: 1500 * time.Millisecond, kind: KindNoAnswer, errno: ErrTimeout},
		{name: "udp no route", udp: true, addr: "198.18.99.1:53", kind: KindNoRoute, errno: unix.ENETUNREACH},
		{name: "udp absent host behind the router", udp: true, addr: "198.18.2.77:53", timeout: 15 * time.Second, kind: KindHostUnreachable, from: router, errno: unix.EHOSTUNREACH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			addr := netip.MustParseAddrPort(tt.addr)
			// Twice: the second attempt must be classified the same.
			for i := 0; i < 2; i++ {
				var o Outcome
				var err error
				if tt.udp {
					o, err = UDP(ctx, l.ns, addr, []byte("netdiag"), timeout)
				} else {
					o, err = TCP(ctx, l.ns, addr, timeout)
				}
				if err != nil {
					t.Fatal(err)
				}
				if o.Kind != tt.kind || o.From != tt.from {
					t.Errorf("attempt %d: %s (kind %s from %v), want %s from %v", i, o, o.Kind, o.From, tt.kind, tt.from)
				}
				if !errors.Is(o.Err, tt.errno) || (tt.errno == nil) != (o.Err == nil) {
					t.Errorf("attempt %d: err %v, want %v", i, o.Err, tt.errno)
				}
				if o.Kind == KindAnswered && o.Bytes != len("netdiag") {
					t.Errorf("attempt %d: %d bytes back, want %d", i, o.Bytes, len("netdiag"))
				}
				if !o.Local.Addr().IsValid() && o.Kind != KindNoRoute {
					t.Errorf("attempt %d: no local address", i)
				}
			}
		})
	}
}

func TestProbeCancel(t *testing.T) {
	l := newProbeLab(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	if _, err := TCP(ctx, l.ns, netip.MustParseAddrPort("198.18.2.2:81"), time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("TCP after cancel: %v, want context.Canceled", err)
	}
}
