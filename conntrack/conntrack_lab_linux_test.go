package conntrack

import (
	"github.com/netdiag/netdiag/internal/testlab/socklab"
	"net/netip"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/sys/unix"
)

// conntrackLab is a sockLab whose client netns DNATs 198.18.99.1:80 to the
// server's 198.18.1.2:8080, so the client's conntrack table holds DNAT
// entries, plus unreplied UDP and an ICMP echo.
type conntrackLab struct {
	*socklab.Lab
	vip, backend netip.AddrPort
}

func newConntrackLab(t *testing.T) *conntrackLab {
	t.Helper()
	testlab.RequireTool(t, "iptables", "conntrack")
	l := &conntrackLab{
		Lab:     socklab.New(t),
		vip:     netip.MustParseAddrPort("198.18.99.1:80"),
		backend: netip.MustParseAddrPort("198.18.1.2:8080"),
	}
	testlab.InNetNS(t, l.Client, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "198.18.99.1/32", "-p", "tcp",
		"--dport", "80", "-j", "DNAT", "--to-destination", "198.18.1.2:8080")
	testlab.InNetNS(t, l.Client, "iptables", "-t", "mangle", "-A", "OUTPUT", "-p", "udp", "--dport", "5353",
		"-j", "CONNMARK", "--set-mark", "0x4000")
	// A route for the VIP so the connect is routed before DNAT rewrites it.
	testlab.Run(t, "ip", "-n", l.Client, "route", "add", "198.18.99.0/24", "via", "198.18.1.2")
	l.Listen(t, l.ServerNS, l.backend, 16)
	l.Connect(t, l.ClientNS, l.vip)
	l.Connect(t, l.ClientNS, l.backend)
	l.UDP(t, l.ClientNS, netip.MustParseAddrPort("198.18.1.1:40000"), netip.MustParseAddrPort("198.18.1.2:5353"))
	l.UDP(t, l.ClientNS, netip.MustParseAddrPort("198.18.1.1:40001"), netip.MustParseAddrPort("198.18.1.2:53"))
	l.ping(t, l.ClientNS, netip.MustParseAddr("198.18.1.2"))
	return l
}

// ping sends one ICMP echo request through a raw socket.
func (l *conntrackLab) ping(t *testing.T, ns *nsutil.NetNS, to netip.Addr) {
	t.Helper()
	fd, err := ns.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	msg := []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1, 'n', 'd'}
	var sum uint32
	for i := 0; i < len(msg); i += 2 {
		sum += uint32(msg[i])<<8 | uint32(msg[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	cs := ^uint16(sum)
	msg[2], msg[3] = byte(cs>>8), byte(cs)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrInet4{Addr: to.As4()}); err != nil {
		t.Fatal(err)
	}
}
