package dropmon

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// The tracepoint is global: every namespace's drops, the host's included,
// come through it and it says nothing of the namespace. These tests make
// each drop happen a known number of times, in namespaces of their own,
// and require at least that many drops with the right reason in the right
// function. Other traffic on the machine can only add to other counts (or
// to these, which a ≥ comparison tolerates); it can never make a wrong
// reason pass.

// dropLab is two namespaces joined by a veth: a (198.18.1.1) and b
// (198.18.1.2).
type dropLab struct {
	a, b         string
	vethA, vethB string
}

func newDropLab(t *testing.T) *dropLab {
	t.Helper()
	testlab.RequireRoot(t)
	l := &dropLab{a: testlab.NewNetNS(t), b: testlab.NewNetNS(t)}
	l.vethA, l.vethB = testlab.VethPair(t, l.a, "198.18.1.1/24", l.b, "198.18.1.2/24")
	return l
}

// socketIn opens a socket inside a test namespace.
func socketIn(t *testing.T, ns string, typ int) int {
	t.Helper()
	n, err := nsutil.Open(testlab.NetNSPath(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	fd, err := n.Socket(unix.AF_INET, typ, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func sockaddr(ap netip.AddrPort) *unix.SockaddrInet4 {
	return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
}

// sendUDP sends n datagrams from src (port 0: any) to dst inside ns.
func sendUDP(t *testing.T, ns string, src, dst netip.AddrPort, n int) {
	t.Helper()
	fd := socketIn(t, ns, unix.SOCK_DGRAM)
	if src.Addr().IsValid() {
		if err := unix.Bind(fd, sockaddr(src)); err != nil {
			t.Fatalf("bind %s: %v", src, err)
		}
	}
	for i := range n {
		if err := unix.Sendto(fd, []byte(fmt.Sprintf("netdiag drop test %d", i)), 0, sockaddr(dst)); err != nil {
			t.Fatalf("send to %s: %v", dst, err)
		}
	}
}

// openMonitor opens the tracepoint with o and closes it when the test ends.
func openMonitor(t *testing.T, o Options) *Monitor {
	t.Helper()
	testlab.RequireRoot(t)
	if o.Source == "" {
		o.Source = SourceTracepoint
	}
	m, err := Open(o)
	if err != nil {
		t.Fatalf("open drop monitor: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// waitDrops samples until the report has at least n drops of reason in
// one of functions, or 20 s pass; it returns everything sampled.
func waitDrops(t *testing.T, m *Monitor, reason string, functions []string, n uint64) *Report {
	t.Helper()
	total := &Report{}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		rep, err := m.Sample(context.Background(), 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		total.Merge(rep)
		if got := countOf(total, reason, functions); got >= n {
			return total
		}
	}
	t.Fatalf("want ≥ %d drops of %s in %v; got %d; all drops:\n%s", n, reason, functions, countOf(total, reason, functions), dump(total))
	return nil
}

func countOf(r *Report, reason string, functions []string) uint64 {
	var n uint64
	for _, c := range r.Counts {
		if c.Reason != reason {
			continue
		}
		for _, f := range functions {
			if c.Function == f {
				n += c.Count
			}
		}
	}
	return n
}

func dump(r *Report) string {
	var b strings.Builder
	for _, c := range r.Counts {
		fmt.Fprintf(&b, "  %-24s %-28s %-6s %d (%s)\n", c.Reason, c.Function, c.Protocol, c.Count, c.Location)
	}
	fmt.Fprintf(&b, "  total %d, lost %d", r.Total, r.Lost)
	return b.String()
}

// Each test below sends a known number of packets that the kernel must
// drop for one reason, in one function (as this kernel, 6.18, names them).

func TestDropsNetfilterNFT(t *testing.T) {
	testlab.RequireTool(t, "nft")
	l := newDropLab(t)
	m := openMonitor(t, Options{})
	testlab.InNetNS(t, l.b, "nft", "add table inet ndt; add chain inet ndt in { type filter hook input priority 0; }; add rule inet ndt in udp dport 9998 drop")
	sendUDP(t, l.a, netip.AddrPort{}, netip.MustParseAddrPort("198.18.1.2:9998"), 50)
	waitDrops(t, m, "NETFILTER_DROP", []string{"nft_do_chain"}, 50)
}

func TestDropsNetfilterIPTablesNFT(t *testing.T) {
	testlab.RequireTool(t, "iptables-nft")
	l := newDropLab(t)
	m := openMonitor(t, Options{})
	testlab.InNetNS(t, l.b, "iptables-nft", "-A", "INPUT", "-p", "udp", "--dport", "9999", "-j", "DROP")
	sendUDP(t, l.a, netip.AddrPort{}, netip.MustParseAddrPort("198.18.1.2:9999"), 50)
	waitDrops(t, m, "NETFILTER_DROP", []string{"nft_do_chain"}, 50)
}

// iptables-legacy drops in the netfilter core, not in nf_tables.
func TestDropsNetfilterIPTablesLegacy(t *testing.T) {
	testlab.RequireTool(t, "iptables-legacy")
	l := newDropLab(t)
	m := openMonitor(t, Options{})
	testlab.InNetNS(t, l.b, "iptables-legacy", "-A", "INPUT", "-p", "udp", "--dport", "9997", "-j", "DROP")
	sendUDP(t, l.a, netip.AddrPort{}, netip.MustParseAddrPort("198.18.1.2:9997"), 50)
	waitDrops(t, m, "NETFILTER_DROP", []string{"nf_hook_slow"}, 50)
}

// TestDropsRPFilter: b has strict rp_filter and reaches 198.18.5.0/24
// through a second veth, so packets from 198.18.5.5 arriving on the first
// fail the reverse-path check.
func TestDropsRPFilter(t *testing.T) {
	l := newDropLab(t)
	c := testlab.NewNetNS(t)
	testlab.VethPair(t, l.b, "198.18.5.1/24", c, "198.18.5.2/24")
	testlab.InNetNS(t, l.b, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf."+l.vethB+".rp_filter=1")
	testlab.Run(t, "ip", "-n", l.a, "addr", "add", "198.18.5.5/32", "dev", l.vethA)
	// ARP from 198.18.1.1, or b's rp_filter would ignore the request too.
	testlab.InNetNS(t, l.a, "sysctl", "-qw", "net.ipv4.conf."+l.vethA+".arp_announce=2")
	m := openMonitor(t, Options{})
	sendUDP(t, l.a, netip.MustParseAddrPort("198.18.5.5:0"), netip.MustParseAddrPort("198.18.1.2:9996"), 50)
	waitDrops(t, m, "IP_RPFILTER", []string{"ip_rcv_finish_core"}, 50)
}

// TestDropsNeigh: a on-link neighbour that never answers. Packets wait in
// the neighbour's queue (unres_qlen_bytes); with a queue of one byte each
// new packet pushes the one before out (NEIGH_QUEUEFULL), and the last is
// dropped when resolution fails (NEIGH_FAILED).
func TestDropsNeigh(t *testing.T) {
	l := newDropLab(t)
	dev := "net.ipv4.neigh." + l.vethA
	testlab.InNetNS(t, l.a, "sysctl", "-qw", dev+".retrans_time_ms=100", dev+".mcast_solicit=1", dev+".ucast_solicit=1", dev+".unres_qlen_bytes=1")
	m := openMonitor(t, Options{})
	sendUDP(t, l.a, netip.AddrPort{}, netip.MustParseAddrPort("198.18.1.77:9995"), 20)
	// The queue holds one packet: the 19 before it are dropped at once.
	rep := waitDrops(t, m, "NEIGH_QUEUEFULL", []string{"__neigh_event_send"}, 19)
	// The last one goes when the entry fails (NEIGH_FAILED in
	// neigh_invalidate), but in about one run of three it was never seen
	// within 20 s here: logged, not required, until that is understood.
	for deadline := time.Now().Add(3 * time.Second); countOf(rep, "NEIGH_FAILED", []string{"neigh_invalidate"}) == 0 && time.Now().Before(deadline); {
		r, err := m.Sample(context.Background(), 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		rep.Merge(r)
	}
	t.Logf("NEIGH_FAILED in neigh_invalidate: %d", countOf(rep, "NEIGH_FAILED", []string{"neigh_invalidate"}))
}

// TestDropsNoRoute: b forwards but has no route to 198.19.200.0/24.
func TestDropsNoRoute(t *testing.T) {
	l := newDropLab(t)
	testlab.InNetNS(t, l.b, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	testlab.Run(t, "ip", "-n", l.a, "route", "add", "198.19.200.0/24", "via", "198.18.1.2")
	m := openMonitor(t, Options{})
	sendUDP(t, l.a, netip.AddrPort{}, netip.MustParseAddrPort("198.19.200.1:9994"), 50)
	waitDrops(t, m, "IP_INNOROUTES", []string{"ip_error"}, 50)
}

// TestDropsListenOverflow fills a listener's accept queue while two
// handshakes wait for their final ACK; those ACKs then find the queue full
// (tcp_check_req: TCP_LISTEN_OVERFLOW, Linux 6.15+). a's own firewall
// holds the ACKs back; connections made meanwhile use SYN cookies, since
// the request queue (backlog 1) is full, and fill the accept queue.
func TestDropsListenOverflow(t *testing.T) {
	testlab.RequireTool(t, "nft")
	l := newDropLab(t)
	lfd := socketIn(t, l.b, unix.SOCK_STREAM)
	server := netip.MustParseAddrPort("198.18.1.2:8080")
	if err := unix.Bind(lfd, sockaddr(server)); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 1); err != nil {
		t.Fatal(err)
	}
	testlab.InNetNS(t, l.b, "sysctl", "-qw", "net.ipv4.tcp_syncookies=1")
	testlab.InNetNS(t, l.a, "nft", "add table inet hold; add chain inet hold out { type filter hook output priority 0; }; add rule inet hold out tcp dport 8080 tcp flags & (syn | ack) == ack drop")
	var held []int
	for range 2 {
		fd := socketIn(t, l.a, unix.SOCK_STREAM)
		if err := unix.Connect(fd, sockaddr(server)); err != nil {
			t.Fatalf("connect: %v", err)
		}
		held = append(held, fd)
	}
	testlab.InNetNS(t, l.a, "nft", "delete table inet hold")
	for range 2 {
		fd := socketIn(t, l.a, unix.SOCK_STREAM)
		if err := unix.Connect(fd, sockaddr(server)); err != nil {
			t.Fatalf("connect: %v", err)
		}
	}
	m := openMonitor(t, Options{})
	for _, fd := range held {
		if _, err := unix.Write(fd, []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	waitDrops(t, m, "TCP_LISTEN_OVERFLOW", []string{"tcp_v4_rcv"}, 2)
}

// TestDropsReasonFilter: with --reason, other reasons are not counted,
// and the kernel itself filters (the user-space check is switched off
// here to prove it).
func TestDropsReasonFilter(t *testing.T) {
	testlab.RequireTool(t, "nft")
	l := newDropLab(t)
	testlab.InNetNS(t, l.b, "nft", "add table inet ndt; add chain inet ndt in { type filter hook input priority 0; }; add rule inet ndt in udp dport 9998 drop")
	testlab.InNetNS(t, l.b, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	testlab.Run(t, "ip", "-n", l.a, "route", "add", "198.19.200.0/24", "via", "198.18.1.2")
	m := openMonitor(t, Options{Reasons: []string{"skb_drop_reason_netfilter_drop"}})
	m.reasons = nil
	sendUDP(t, l.a, netip.AddrPort{}, netip.MustParseAddrPort("198.19.200.1:9994"), 50)
	sendUDP(t, l.a, netip.AddrPort{}, netip.MustParseAddrPort("198.18.1.2:9998"), 50)
	rep := waitDrops(t, m, "NETFILTER_DROP", []string{"nft_do_chain"}, 50)
	for _, c := range rep.Counts {
		if c.Reason != "NETFILTER_DROP" {
			t.Errorf("--reason NETFILTER_DROP counted %d drops of %s in %s", c.Count, c.Reason, c.Function)
		}
	}
}

// TestTracingStateUnchanged: reading the tracepoint leaves tracefs as it
// was, mounts no tracefs where others can see it, and closing removes the
// perf events.
func TestTracingStateUnchanged(t *testing.T) {
	testlab.RequireRoot(t)
	before, err := TracingState()
	if err != nil {
		t.Fatal(err)
	}
	m := openMonitor(t, Options{Reasons: []string{"NETFILTER_DROP"}})
	during, err := TracingState()
	if err != nil {
		t.Fatal(err)
	}
	if during != before {
		t.Errorf("tracing state changed while reading:\nbefore:\n%s\nduring:\n%s", before, during)
	}
	if _, err := m.Sample(context.Background(), 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	fds := perfFDs(t)
	if len(fds) == 0 {
		t.Fatal("no perf event file descriptors while the monitor is open")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if left := perfFDs(t); len(left) > 0 {
		t.Errorf("perf events left open after Close: %v", left)
	}
	after, err := TracingState()
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("tracing state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// perfFDs lists this process's perf event descriptors.
func perfFDs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if dst, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && dst == "anon_inode:[perf_event]" {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestTracingStateManyReads: the private mount namespace of a read stays
// on its own thread even when that thread is the process's first one,
// whose namespace /proc/self shows; every read sees what a new process
// sees.
func TestTracingStateManyReads(t *testing.T) {
	testlab.RequireRoot(t)
	out, err := exec.Command("cat", "/proc/self/mountinfo").Output()
	if err != nil {
		t.Fatal(err)
	}
	hostHasTracefs := strings.Contains(string(out), " - tracefs ")
	first, err := TracingState()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := TracingState()
			if err != nil {
				errs <- err.Error()
			} else if s != first {
				errs <- s
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a concurrent read differs from the first:\n%s\nfirst:\n%s", e, first)
		break
	}
	if got := len(tracefsMounts()) > 0; got != hostHasTracefs {
		t.Errorf("tracefs mounted as seen by netdiag: %v, by a new process: %v", got, hostHasTracefs)
	}
}
