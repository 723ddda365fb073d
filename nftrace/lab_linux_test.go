package nftrace

import (
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// ruleset is `nft -s list ruleset` in a test netns: what must be the same
// before and after a trace.
func ruleset(t *testing.T, ns string) string {
	t.Helper()
	return testlab.InNetNS(t, ns, "nft", "-s", "list", "ruleset")
}

func openNS(t *testing.T, name string) *nsutil.NetNS {
	t.Helper()
	ns, err := nsutil.Open(testlab.NetNSPath(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// send sends one TCP SYN (a non-blocking connect) or UDP datagram from ns.
func send(t *testing.T, ns string, proto string, to netip.AddrPort) {
	t.Helper()
	typ := unix.SOCK_DGRAM
	if proto == "tcp" {
		typ = unix.SOCK_STREAM | unix.SOCK_NONBLOCK
	}
	fd, err := openNS(t, ns).Socket(unix.AF_INET, typ, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	sa := &unix.SockaddrInet4{Addr: to.Addr().As4(), Port: int(to.Port())}
	if proto == "tcp" {
		if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
			t.Fatalf("connect %s: %v", to, err)
		}
		return
	}
	if err := unix.Sendto(fd, []byte("netdiag trace test"), 0, sa); err != nil {
		t.Fatalf("send to %s: %v", to, err)
	}
}

// collect reads events until done says the path is complete, or 10 s.
func collect(t *testing.T, s *Session, names *Names, done func(*Path) bool) *Path {
	t.Helper()
	var paths Paths
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		evs, err := s.Read(200 * time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			paths.Add(e, names)
		}
		for _, p := range paths.All() {
			if done(p) {
				return p
			}
		}
	}
	var b strings.Builder
	for _, p := range paths.All() {
		b.WriteString(dumpPath(p))
	}
	t.Fatalf("no complete path within 10 s; got:\n%s", b.String())
	return nil
}

func dumpPath(p *Path) string {
	var b strings.Builder
	b.WriteString("packet " + p.ID + "\n")
	for _, s := range p.Steps {
		b.WriteString("  " + s.Family + " " + s.Table + " " + s.Chain + " " + s.Kind + " " + s.Rule + " -> " + s.Verdict + "\n")
	}
	return b.String()
}

// dropped says whether a path ends in a drop.
func dropped(p *Path) bool {
	return len(p.Steps) > 0 && p.Steps[len(p.Steps)-1].Verdict == "drop"
}

// TestTraceDropRuleInPod: DROP rules of both kinds in a pod's netns are
// named exactly, with their verdict, and the ruleset is as before after.
func TestTraceDropRuleInPod(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft", "iptables-nft")
	for _, tc := range []struct {
		name, setup, want, family, table, chain string
		port                                    uint16
		iptables                                bool
	}{
		{"nft", "add table inet ndt; add chain inet ndt in { type filter hook input priority 0; }; add rule inet ndt in udp dport 9998 drop",
			"udp dport 9998 drop", "inet", "ndt", "in", 9998, false},
		{"iptables-nft", "-A INPUT -s 198.18.1.1/32 -p udp -m udp --dport 9999 -j DROP",
			"-A INPUT -s 198.18.1.1/32 -p udp -m udp --dport 9999 -j DROP", "ip", "filter", "INPUT", 9999, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := testlab.NewNetNS(t), testlab.NewNetNS(t)
			testlab.VethPair(t, a, "198.18.1.1/24", b, "198.18.1.2/24")
			if tc.iptables {
				testlab.InNetNS(t, b, "iptables-nft", strings.Fields(tc.setup)...)
			} else {
				testlab.InNetNS(t, b, "nft", tc.setup)
			}
			before := ruleset(t, b)
			ns := openNS(t, b)
			s, err := Start(ns, Filter{Proto: "udp", DstPort: tc.port})
			if err != nil {
				t.Fatal(err)
			}
			if during := ruleset(t, b); !strings.Contains(during, "table inet "+s.Table()) {
				t.Errorf("the marking table is not in the ruleset:\n%s", during)
			}
			names := LoadNames(ns)
			send(t, a, "udp", netip.AddrPortFrom(netip.MustParseAddr("198.18.1.2"), tc.port))
			p := collect(t, s, names, dropped)
			last := p.Steps[len(p.Steps)-1]
			want := Step{Family: tc.family, Table: tc.table, Chain: tc.chain, Kind: KindRule, Handle: last.Handle,
				Rule: tc.want, Syntax: map[bool]string{true: SyntaxIPTables, false: SyntaxNFT}[tc.iptables], Verdict: "drop"}
			if last != want {
				t.Errorf("last step %+v, want %+v\n%s", last, want, dumpPath(p))
			}
			if p.Packet == nil || p.Packet.String() != "udp 198.18.1.1:"+itoa(p.Packet.SrcPort)+" > 198.18.1.2:"+itoa(tc.port) {
				t.Errorf("packet %+v", p.Packet)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if after := ruleset(t, b); after != before {
				t.Errorf("ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func itoa(v uint16) string { return strconv.Itoa(int(v)) }

// kubeNode is a node netns with kube-proxy's iptables rules (kpgen, loaded
// through iptables-nft) and a pod netns (198.18.0.10) routed through it.
// The web service 198.18.200.10:80 has one endpoint, 198.18.0.11:8080.
func kubeNode(t *testing.T) (nodeNS, podNS string, svc kpgen.Service) {
	t.Helper()
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft", "iptables-nft-restore", "iptables-nft")
	nodeNS, podNS = testlab.NewNetNS(t), testlab.NewNetNS(t)
	testlab.VethPair(t, podNS, "198.18.0.10/24", nodeNS, "198.18.0.1/24")
	testlab.Run(t, "ip", "-n", podNS, "route", "add", "default", "via", "198.18.0.1")
	testlab.InNetNS(t, nodeNS, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	svcs := kpgen.LabServices(netip.MustParseAddr("198.18.0.11"))
	cmd := exec.Command("ip", "netns", "exec", nodeNS, "iptables-nft-restore")
	cmd.Stdin = strings.NewReader(kpgen.IPTables(kpgen.LabConfig(), svcs))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("iptables-nft-restore: %v\n%s", err, out)
	}
	return nodeNS, podNS, svcs[0]
}

// TestTraceServiceVIP: a SYN from a pod to a service VIP goes through
// KUBE-SERVICES → KUBE-SVC → KUBE-SEP → DNAT in the node's nat table, and
// the DROP rule that then stops it in FORWARD is named exactly.
func TestTraceServiceVIP(t *testing.T) {
	nodeNS, podNS, svc := kubeNode(t)
	ep := svc.Endpoints[0]
	drop := "-A FORWARD -d 198.18.0.11/32 -p tcp -m tcp --dport 8080 -j DROP"
	testlab.InNetNS(t, nodeNS, "iptables-nft", strings.Fields(strings.Replace(drop, "-A", "-I", 1))...)
	before := ruleset(t, nodeNS)
	ns := openNS(t, nodeNS)
	s, err := Start(ns, Filter{Src: netip.MustParseAddr("198.18.0.10"), Proto: "tcp", DstPort: 80})
	if err != nil {
		t.Fatal(err)
	}
	names := LoadNames(ns)
	send(t, podNS, "tcp", netip.MustParseAddrPort("198.18.200.10:80"))
	p := collect(t, s, names, dropped)
	type hop struct{ table, chain, verdict string }
	want := []hop{
		{"nat", "PREROUTING", "jump KUBE-SERVICES"},
		{"nat", "KUBE-SERVICES", "jump " + kpgen.SVCChain(svc)},
		{"nat", kpgen.SVCChain(svc), "jump " + kpgen.SEPChain(svc, ep)},
		{"nat", kpgen.SEPChain(svc, ep), "accept"},
		{"filter", "FORWARD", "drop"},
	}
	// Every hop in order; other steps (returns, policies, MARK jumps) may
	// come between.
	i := 0
	var dnat, last Step
	for _, st := range p.Steps {
		if i < len(want) && st.Family == "ip" && st.Table == want[i].table && st.Chain == want[i].chain && st.Verdict == want[i].verdict {
			if st.Syntax != SyntaxIPTables || !strings.HasPrefix(st.Rule, "-A "+st.Chain+" ") {
				t.Errorf("step %+v: want the iptables-save line", st)
			}
			if i == 3 {
				dnat = st
			}
			i++
		}
		last = st
	}
	if i < len(want) {
		t.Fatalf("path lacks %+v:\n%s", want[i], dumpPath(p))
	}
	if !strings.Contains(dnat.Rule, "-j DNAT --to-destination 198.18.0.11:8080") {
		t.Errorf("the KUBE-SEP step is not the DNAT rule: %q", dnat.Rule)
	}
	if last.Rule != drop || last.Verdict != "drop" {
		t.Errorf("the path ends in %+v, want %q dropping", last, drop)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after := ruleset(t, nodeNS); after != before {
		t.Errorf("ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestTraceTableGoesWithSocket: the table is owned by the session's
// socket; closing that socket alone (what the kernel does when the
// process dies) removes it.
func TestTraceTableGoesWithSocket(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft")
	n := testlab.NewNetNS(t)
	before := ruleset(t, n)
	s, err := Start(openNS(t, n), Filter{Proto: "icmp"})
	if err != nil {
		t.Fatal(err)
	}
	if during := ruleset(t, n); !strings.Contains(during, "flags owner") {
		t.Fatalf("the table is not owned:\n%s", during)
	}
	s.closeSockets() // no DELTABLE sent
	if after := ruleset(t, n); after != before {
		t.Errorf("ruleset after the socket closed:\n%s\nwant:\n%s", after, before)
	}
}
