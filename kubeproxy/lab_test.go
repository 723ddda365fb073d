package kubeproxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/nsutil"
)

// lab is a node netns with two pod netns on veths: a client at 198.18.0.2
// and the web server pod at 198.18.0.6, which serves on :8080.
type lab struct {
	node, client, server string
	nodeNS               *nsutil.NetNS
}

func newLab(t *testing.T) *lab {
	t.Helper()
	testlab.RequireRoot(t)
	l := &lab{node: testlab.NewNetNS(t), client: testlab.NewNetNS(t), server: testlab.NewNetNS(t)}
	testlab.VethPair(t, l.node, "198.18.0.1/30", l.client, "198.18.0.2/30")
	testlab.VethPair(t, l.node, "198.18.0.5/30", l.server, "198.18.0.6/30")
	testlab.Run(t, "ip", "-n", l.client, "route", "add", "default", "via", "198.18.0.1")
	testlab.Run(t, "ip", "-n", l.server, "route", "add", "default", "via", "198.18.0.5")
	testlab.InNetNS(t, l.node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	ns, err := nsutil.Open(testlab.NetNSPath(l.node))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	l.nodeNS = ns
	return l
}

func (l *lab) services() []kpgen.Service {
	return kpgen.LabServices(netip.MustParseAddr("198.18.0.6"))
}

// connect serves one connection in the server pod and dials the web
// ClusterIP from the client pod; it returns the peer address the server saw.
func (l *lab) connect(t *testing.T) string {
	t.Helper()
	srv, err := nsutil.Open(testlab.NetNSPath(l.server))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cli, err := nsutil.Open(testlab.NetNSPath(l.client))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	var ln net.Listener
	if err := srv.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "198.18.0.6:8080")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("hello"))
		peer <- c.RemoteAddr().String()
	}()
	var conn net.Conn
	if err := cli.Do(func() error {
		var err error
		conn, err = net.DialTimeout("tcp", "198.18.200.10:80", 5*time.Second)
		return err
	}); err != nil {
		t.Fatalf("connect to ClusterIP 198.18.200.10:80 from the client pod: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(io.LimitReader(conn, 5))
	if err != nil || string(b) != "hello" {
		t.Fatalf("read from ClusterIP: %q, %v", b, err)
	}
	select {
	case p := <-peer:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("server saw no connection")
	}
	return ""
}

// checkDNAT finds the conntrack entry of the connection in the node netns:
// original destination the ClusterIP, reply source the pod.
func (l *lab) checkDNAT(t *testing.T) {
	t.Helper()
	testlab.RequireTool(t, "conntrack")
	out, err := exec.Command("ip", "netns", "exec", l.node, "conntrack", "-L", "-p", "tcp", "--orig-dst", "198.18.200.10").CombinedOutput()
	if err != nil && !bytes.Contains(out, []byte("flow entries")) {
		t.Fatalf("conntrack -L: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "dst=198.18.200.10 sport=") || !strings.Contains(string(out), "src=198.18.0.6 dst=198.18.0.2 sport=8080") {
		t.Errorf("conntrack holds no DNAT entry 198.18.200.10:80 -> 198.18.0.6:8080:\n%s", out)
	}
}

func TestLabIPTables(t *testing.T) {
	l := newLab(t)
	testlab.RequireTool(t, "iptables-restore", "iptables-save")
	svcs := l.services()
	cmd := exec.Command("ip", "netns", "exec", l.node, "iptables-restore")
	cmd.Stdin = strings.NewReader(kpgen.IPTables(kpgen.LabConfig(), svcs))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("iptables-restore: %v\n%s", err, out)
	}
	if p := l.connect(t); !strings.HasPrefix(p, "198.18.0.2:") {
		t.Errorf("server saw peer %s, want the client pod 198.18.0.2 (no masquerade from the cluster CIDR)", p)
	}
	l.checkDNAT(t)

	sts, sets, err := iptables.Backends(l.nodeNS, "/")
	if err != nil {
		t.Fatal(err)
	}
	rs := sets[iptables.NFT]
	if rs == nil || sts[1].Rules == 0 {
		t.Fatalf("the nft backend (iptables-restore is iptables-nft here) has no rules: %+v", sts)
	}
	got := withoutChains(DecodeIPTables(rs))
	if diff := cmp.Diff(expected(svcs, ModeIPTables), got, addrOpt); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	// The connection went through KUBE-SVC of default/web: its counter moved.
	web := kpgen.SVCChain(svcs[0])
	var n uint64
	for _, r := range rs.Table("nat").Chain(web).Rules {
		n += r.Packets
	}
	if n == 0 {
		t.Errorf("chain %s counted no packets after a connection through it", web)
	}
}

func TestLabNFTables(t *testing.T) {
	l := newLab(t)
	testlab.RequireTool(t, "nft")
	svcs := l.services()
	cmd := exec.Command("ip", "netns", "exec", l.node, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(kpgen.NFTables(kpgen.LabConfig(), svcs))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s", err, out)
	}
	if p := l.connect(t); !strings.HasPrefix(p, "198.18.0.2:") {
		t.Errorf("server saw peer %s, want the client pod 198.18.0.2", p)
	}
	l.checkDNAT(t)

	rs, err := nftables.Dump(l.nodeNS, "ip", "kube-proxy")
	if err != nil {
		t.Fatal(err)
	}
	got := withoutChains(DecodeNFTables(rs.Table("ip", "kube-proxy")))
	if diff := cmp.Diff(expected(svcs, ModeNFTables), got, addrOpt); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
}

// TestLabIPTablesDualStack: on a dual-stack node kube-proxy writes IPv6
// services with ip6tables; Load decodes both families of the backend that
// holds the rules.
func TestLabIPTablesDualStack(t *testing.T) {
	l := newLab(t)
	testlab.RequireTool(t, "iptables-restore", "ip6tables-restore")
	v4 := l.services()
	cfg6, v6 := kpgen.IPv6(kpgen.LabConfig(), v4)
	for _, r := range []struct {
		bin, rules string
	}{{"iptables-restore", kpgen.IPTables(kpgen.LabConfig(), v4)}, {"ip6tables-restore", kpgen.IPTables(cfg6, v6)}} {
		cmd := exec.Command("ip", "netns", "exec", l.node, r.bin)
		cmd.Stdin = strings.NewReader(r.rules)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", r.bin, err, out)
		}
	}
	res, err := Load(l.nodeNS, "/", "auto", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != ModeIPTables || len(res.Notes) != 0 {
		t.Errorf("mode %s, notes %q; want iptables and none", res.Mode, res.Notes)
	}
	want := append(expected(v4, ModeIPTables), expected(v6, ModeIPTables)...)
	sortServices(want)
	got := withoutChains(res.Services)
	sortServices(got)
	if diff := cmp.Diff(want, got, addrOpt); diff != "" {
		t.Errorf("dual-stack services (-want +got):\n%s", diff)
	}
}

// TestLabShapes loads the kube-proxy fixtures of shapes_test.go into the
// kernel (iptables-restore, nft -f), reads them back the way netdiag does on
// a node and decodes them: the fixtures are valid rules, and the netlink
// readers see what the unit tests decode.
func TestLabShapes(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables-restore", "nft")
	node := testlab.NewNetNS(t)
	ns, err := nsutil.Open(testlab.NetNSPath(node))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	load := func(bin string, args []string, file string) {
		t.Helper()
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command("ip", append([]string{"netns", "exec", node, bin}, args...)...)
		cmd.Stdin = f
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s < %s: %v\n%s", bin, file, err, out)
		}
	}
	load("iptables-restore", nil, "testdata/iptables-shapes.save")
	load("nft", []string{"-f", "-"}, "testdata/nftables-shapes.nft")

	_, sets, err := iptables.Backends(ns, "/")
	if err != nil {
		t.Fatal(err)
	}
	got := withoutChains(DecodeIPTables(sets[iptables.NFT]))
	if diff := cmp.Diff(shapeWant(TypeExternalIP, TypeLoadBalancer, "198.19.128.0/25", "198.18.100.0/24"), got, addrOpt); diff != "" {
		t.Errorf("iptables (-want +got):\n%s", diff)
	}

	rs, err := nftables.Dump(ns, "ip", "kube-proxy")
	if err != nil {
		t.Fatal(err)
	}
	tab := rs.Table("ip", "kube-proxy")
	for i := range tab.Chains {
		for j := range tab.Chains[i].Rules {
			tab.Chains[i].Rules[j].Handle = 0
		}
	}
	// Compared as JSON: what the fixture holds.
	var fixture, kernel any
	b, err := os.ReadFile("testdata/nftables-shapes.json")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := json.Marshal(tab)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fixture); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(kb, &kernel); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fixture, kernel); diff != "" {
		t.Errorf("NFTDump of testdata/nftables-shapes.nft differs from testdata/nftables-shapes.json (-fixture +kernel):\n%s", diff)
	}
	res, err := Load(ns, "/", "auto", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != ModeNFTables {
		t.Errorf("mode %s, want nftables (table ip kube-proxy exists)", res.Mode)
	}
	if diff := cmp.Diff(shapeWant(TypeExternal, TypeExternal, "198.18.100.0/24", "198.19.128.0/25"), withoutChains(res.Services), addrOpt); diff != "" {
		t.Errorf("nftables (-want +got):\n%s", diff)
	}
}

// TestLabGeneratedShapes: the generator's rules for the same shapes, in
// both modes and both families, load into the kernel and decode to what
// kube-proxy's would.
func TestLabGeneratedShapes(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables-restore", "ip6tables-restore", "nft")
	cfg4, v4 := kpgen.LabConfig(), kpgen.ShapeServices()
	cfg6, v6 := kpgen.IPv6(cfg4, v4)
	for _, tc := range []struct {
		name string
		cfg  kpgen.Config
		svcs []kpgen.Service
	}{{"ipv4", cfg4, v4}, {"ipv6", cfg6, v6}} {
		t.Run(tc.name, func(t *testing.T) {
			node := testlab.NewNetNS(t)
			ns, err := nsutil.Open(testlab.NetNSPath(node))
			if err != nil {
				t.Fatal(err)
			}
			defer ns.Close()
			restore, fam := "iptables-restore", "ip"
			if tc.name == "ipv6" {
				restore, fam = "ip6tables-restore", "ip6"
			}
			for _, r := range []struct {
				bin   string
				args  []string
				rules string
			}{{restore, nil, kpgen.IPTables(tc.cfg, tc.svcs)}, {"nft", []string{"-f", "-"}, kpgen.NFTables(tc.cfg, tc.svcs)}} {
				cmd := exec.Command("ip", append([]string{"netns", "exec", node, r.bin}, r.args...)...)
				cmd.Stdin = strings.NewReader(r.rules)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", r.bin, err, out)
				}
			}
			var sets map[iptables.Backend]*iptables.Ruleset
			if fam == "ip" {
				_, sets, err = iptables.Backends(ns, "/")
			} else {
				_, sets, err = iptables.Backends6(ns, "/")
			}
			if err != nil {
				t.Fatal(err)
			}
			got := withoutChains(DecodeIPTables(sets[iptables.NFT]))
			if diff := cmp.Diff(expected(tc.svcs, ModeIPTables), got, addrOpt); diff != "" {
				t.Errorf("iptables (-want +got):\n%s", diff)
			}
			rs, err := nftables.Dump(ns, fam, "kube-proxy")
			if err != nil {
				t.Fatal(err)
			}
			want := expected(tc.svcs, ModeNFTables)
			for i := range want {
				// The kernel sorts a set's elements.
				sort.Strings(want[i].SourceRanges)
			}
			if diff := cmp.Diff(want, withoutChains(DecodeNFTables(rs.Table(fam, "kube-proxy"))), addrOpt); diff != "" {
				t.Errorf("nftables (-want +got):\n%s", diff)
			}
		})
	}
}
