package socklab

import (
	"net/netip"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// NATLab is a Lab whose client netns DNATs VIP 198.18.99.1:80 to the
// server's Backend 198.18.1.2:8080, so the client's conntrack table holds
// DNAT entries, plus unreplied UDP (to 198.18.1.2:5353, marked 0x4000, and
// to :53) and an ICMP echo. The conntrack tests of packages conntrack and
// show read it.
type NATLab struct {
	*Lab
	VIP, Backend netip.AddrPort
}

// NewNAT builds a NATLab; it needs iptables and conntrack (the tool the
// tests compare with).
func NewNAT(t *testing.T) *NATLab {
	t.Helper()
	testlab.RequireTool(t, "iptables", "conntrack")
	l := &NATLab{
		Lab:     New(t),
		VIP:     netip.MustParseAddrPort("198.18.99.1:80"),
		Backend: netip.MustParseAddrPort("198.18.1.2:8080"),
	}
	testlab.InNetNS(t, l.Client, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "198.18.99.1/32", "-p", "tcp",
		"--dport", "80", "-j", "DNAT", "--to-destination", "198.18.1.2:8080")
	testlab.InNetNS(t, l.Client, "iptables", "-t", "mangle", "-A", "OUTPUT", "-p", "udp", "--dport", "5353",
		"-j", "CONNMARK", "--set-mark", "0x4000")
	// A route for the VIP so the connect is routed before DNAT rewrites it.
	testlab.Run(t, "ip", "-n", l.Client, "route", "add", "198.18.99.0/24", "via", "198.18.1.2")
	l.Listen(t, l.ServerNS, l.Backend, 16)
	l.Connect(t, l.ClientNS, l.VIP)
	l.Connect(t, l.ClientNS, l.Backend)
	l.UDP(t, l.ClientNS, netip.MustParseAddrPort("198.18.1.1:40000"), netip.MustParseAddrPort("198.18.1.2:5353"))
	l.UDP(t, l.ClientNS, netip.MustParseAddrPort("198.18.1.1:40001"), netip.MustParseAddrPort("198.18.1.2:53"))
	l.Ping(t, l.ClientNS, netip.MustParseAddr("198.18.1.2"))
	return l
}

// Ping sends one ICMP echo request from ns through a raw socket.
func (l *Lab) Ping(t *testing.T, ns *nsutil.NetNS, to netip.Addr) {
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

// NoTimeout drops the timeout field (the third) of a `conntrack -L` line:
// it ticks between two reads.
func NoTimeout(line string) string {
	f := strings.Fields(line)
	if len(f) > 3 {
		f = append(f[:2], f[3:]...)
	}
	return strings.Join(f, " ")
}

// ConntrackLines runs the conntrack tool with args in the client netns
// and returns its lines sorted, without their timeouts.
func (l *NATLab) ConntrackLines(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", l.Client, "conntrack"}, args...)...).Output()
	if err != nil {
		t.Fatalf("conntrack %s: %v", strings.Join(args, " "), err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, NoTimeout(l))
		}
	}
	sort.Strings(lines)
	return lines
}
