package cli

import (
	"io"
	"net"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

// TestCaptureCLIProtochainDeepChain: `ip6 protochain 17` goes to the kernel
// unrolled, which passes chains deeper than it walks, and the exact loop
// then decides in user space. Of IPv6 frames with 2 or 12 destination
// options headers before UDP or TCP, exactly the two UDP ones are captured.
func TestCaptureCLIProtochainDeepChain(t *testing.T) {
	l := newCaptureLab(t)
	path := filepath.Join(t.TempDir(), "p.pcap")
	cmd, stderr := l.startArgs(t, io.Discard, "--node-netns", testlab.NetNSPath(l.nsB), "capture", "-i", l.vethB,
		"--min-free", "0", "-c", "2", "-w", path, "ip6", "protochain", "17")
	ns, err := nsutil.Open(testlab.NetNSPath(l.nsA))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	fd, err := ns.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ifi, err := netIfIndex(ns, l.vethA)
	if err != nil {
		t.Fatal(err)
	}
	// Rejected ones first: with -c 2, a wrongly captured frame would take
	// the place of a wanted one.
	frames := []struct {
		hdrs  int
		proto byte
	}{{2, 6}, {12, 6}, {2, 17}, {12, 17}}
	for _, f := range frames {
		if err := unix.Sendto(fd, ipv6Chain(f.hdrs, f.proto), 0, &unix.SockaddrLinklayer{Ifindex: ifi}); err != nil {
			t.Fatal(err)
		}
	}
	if err := waitExit(t, cmd); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
	pkts, _, err := readPcap(t, path)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	for _, p := range pkts {
		// Count the headers and find the protocol behind them.
		n, nh, off := 0, p.Data[14+6], 14+40
		for nh == 60 && off+2 <= len(p.Data) {
			nh, off, n = p.Data[off], off+8*(int(p.Data[off+1])+1), n+1
		}
		got = append(got, [2]int{n, int(nh)})
	}
	if len(got) != 2 || got[0] != [2]int{2, 17} || got[1] != [2]int{12, 17} {
		t.Errorf("captured (headers, protocol) %v, want [[2 17] [12 17]]", got)
	}
}

// ipv6Chain is a broadcast Ethernet frame from 198.18.0.1 to 198.18.0.2 as
// NAT64 IPv6 addresses, with n 8-byte destination options headers before
// an 8-byte header of protocol last.
func ipv6Chain(n int, last byte) []byte {
	f := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x86, 0xdd}
	plen := 8*n + 8
	nh := last
	if n > 0 {
		nh = 60
	}
	f = append(f, 0x60, 0, 0, 0, byte(plen>>8), byte(plen), nh, 64)
	src := net.ParseIP("64:ff9b::c612:1").To16() // 198.18.0.1 in the NAT64 prefix
	dst := net.ParseIP("64:ff9b::c612:2").To16()
	f = append(append(f, src...), dst...)
	for i := 0; i < n; i++ {
		next := byte(60)
		if i == n-1 {
			next = last
		}
		f = append(f, next, 0, 1, 4, 0, 0, 0, 0) // PadN option filling the header
	}
	return append(f, 0x9c, 0x40, 0, 9, 0, 8, 0, 0)
}

func netIfIndex(ns *nsutil.NetNS, name string) (int, error) {
	c, err := rtnl.Dial(ns)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	link, err := c.LinkByName(name)
	if err != nil {
		return 0, err
	}
	return link.Index, nil
}
