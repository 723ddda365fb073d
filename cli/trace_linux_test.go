package cli

import (
	"encoding/json"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/kpgen"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nftrace"
	"github.com/netdiag/netdiag/nsutil"
)

// nftRuleset is `nft -s list ruleset` in a netns (path): what a trace must
// leave as it found it.
func nftRuleset(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("nsenter", "--net="+path, "nft", "-s", "list", "ruleset").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list ruleset in %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// traceNode is a node netns with kube-proxy's iptables rules (loaded
// through iptables-nft) and a pod netns (198.18.0.10) routed through it;
// a FORWARD rule drops what the web service (198.18.200.10:80) DNATs to
// its endpoint 198.18.0.11:8080.
func traceNode(t *testing.T) (nodeNS, podNS string) {
	t.Helper()
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft", "iptables-nft-restore", "iptables-nft", "nsenter")
	nodeNS, podNS = testlab.NewNetNS(t), testlab.NewNetNS(t)
	testlab.VethPair(t, podNS, "198.18.0.10/24", nodeNS, "198.18.0.1/24")
	testlab.Run(t, "ip", "-n", podNS, "route", "add", "default", "via", "198.18.0.1")
	testlab.InNetNS(t, nodeNS, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	cmd := exec.Command("ip", "netns", "exec", nodeNS, "iptables-nft-restore")
	cmd.Stdin = strings.NewReader(kpgen.IPTables(kpgen.LabConfig(), kpgen.LabServices(netip.MustParseAddr("198.18.0.11"))))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("iptables-nft-restore: %v\n%s", err, out)
	}
	testlab.InNetNS(t, nodeNS, "iptables-nft", "-I", "FORWARD", "-d", "198.18.0.11/32", "-p", "tcp", "-m", "tcp", "--dport", "8080", "-j", "DROP")
	return nodeNS, podNS
}

// synFrom sends one TCP SYN from a netns.
func synFrom(t *testing.T, ns string, to netip.AddrPort) {
	n, err := nsutil.Open(testlab.NetNSPath(ns))
	if err != nil {
		t.Error(err)
		return
	}
	defer n.Close()
	fd, err := n.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Error(err)
		return
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, &unix.SockaddrInet4{Addr: to.Addr().As4(), Port: int(to.Port())}); err != nil && err != unix.EINPROGRESS {
		t.Errorf("connect %s: %v", to, err)
	}
}

// udpFrom sends one datagram from the netns at path; a firewall may refuse
// it (EPERM), which is what some tests want.
func udpFrom(t *testing.T, path string, to netip.AddrPort) {
	n, err := nsutil.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer n.Close()
	fd, err := n.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Error(err)
		return
	}
	defer unix.Close(fd)
	_ = unix.Sendto(fd, []byte("netdiag trace test"), 0, &unix.SockaddrInet4{Addr: to.Addr().As4(), Port: int(to.Port())})
}

// TestTraceCLIServiceVIP: a SYN to a service VIP, traced on the node: the
// path through KUBE-SERVICES, KUBE-SVC, KUBE-SEP and DNAT, then the DROP
// rule by its iptables text; the node's ruleset is as before afterwards.
func TestTraceCLIServiceVIP(t *testing.T) {
	nodeNS, podNS := traceNode(t)
	path := testlab.NetNSPath(nodeNS)
	before := nftRuleset(t, path)
	defer func() { traceStarted = nil }()
	traceStarted = func(table string) {
		if !strings.Contains(nftRuleset(t, path), "table inet "+table) {
			t.Errorf("table inet %s is not in the ruleset while tracing", table)
		}
		synFrom(t, podNS, netip.MustParseAddrPort("198.18.200.10:80"))
	}
	code, stdout, stderr := run(t, "", "--node-netns", path, "-o", "json", "trace", "--src", "198.18.0.10", "-p", "tcp", "--dport", "80",
		"--yes", "--duration", "20s", "-c", "1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep traceReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(rep.Packets) != 1 {
		t.Fatalf("%d packets traced, want 1:\n%s", len(rep.Packets), stdout)
	}
	var chains []string
	for _, st := range rep.Packets[0].Steps {
		chains = append(chains, st.Table+" "+st.Chain+" "+st.Verdict)
	}
	got := strings.Join(chains, "\n")
	for _, want := range []string{"nat PREROUTING jump KUBE-SERVICES", "nat KUBE-SERVICES jump KUBE-SVC-", "jump KUBE-SEP-", "accept", "filter FORWARD drop"} {
		i := strings.Index(got, want)
		if i < 0 {
			t.Fatalf("path lacks %q (in order):\n%s", want, strings.Join(chains, "\n"))
		}
		got = got[i+len(want):]
	}
	steps := rep.Packets[0].Steps
	last := steps[len(steps)-1]
	if last.Rule != "-A FORWARD -d 198.18.0.11/32 -p tcp -m tcp --dport 8080 -j DROP" || last.Syntax != nftrace.SyntaxIPTables {
		t.Errorf("the drop is named %q (%s)", last.Rule, last.Syntax)
	}
	if p := rep.Packets[0].Packet; p == nil || p.String() != "tcp 198.18.0.10:"+itoaPort(p.SrcPort)+" > 198.18.200.10:80" {
		t.Errorf("packet %+v", p)
	}
	if after := nftRuleset(t, path); after != before {
		t.Errorf("ruleset changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// The same as text, one line per event as nft monitor trace prints.
	code, stdout, stderr = run(t, "", "--node-netns", path, "trace", "--src", "198.18.0.10", "-p", "tcp", "--dport", "80", "--yes", "--duration", "20s", "-c", "1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, " ip filter FORWARD rule -A FORWARD -d 198.18.0.11/32 -p tcp -m tcp --dport 8080 -j DROP (verdict drop)\n") ||
		!strings.Contains(stdout, " ip nat PREROUTING packet: tcp 198.18.0.10:") || !strings.Contains(stdout, "\n1 packets traced in ") {
		t.Errorf("text output:\n%s", stdout)
	}
	if after := nftRuleset(t, path); after != before {
		t.Errorf("ruleset changed by the text run")
	}
}

func itoaPort(p uint16) string { return strconv.Itoa(int(p)) }

// TestTraceCLIRefuses: without --yes and a terminal, or without a filter
// on the node, trace changes nothing.
func TestTraceCLIRefuses(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft", "nsenter")
	n := testlab.NewNetNS(t)
	path := testlab.NetNSPath(n)
	before := nftRuleset(t, path)
	for _, tc := range []struct {
		args []string
		in   string
	}{
		{[]string{"--node-netns", path, "trace", "-p", "udp", "--duration", "1s"}, "y\n"},
		{[]string{"--node-netns", path, "trace", "--yes", "--duration", "1s"}, ""},
		{[]string{"--node-netns", path, "trace", "--yes", "--dport", "80"}, ""},
		{[]string{"--node-netns", path, "trace", "--yes", "-p", "gre"}, ""},
	} {
		code, stdout, stderr := run(t, tc.in, tc.args...)
		if code != ExitUsage || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2", tc.args, code, stdout, stderr)
		}
	}
	if after := nftRuleset(t, path); after != before {
		t.Errorf("ruleset changed by a refused trace:\n%s", after)
	}
}

// TestTraceCLILegacyNote: iptables-legacy rules cannot be traced; trace
// says so.
func TestTraceCLILegacyNote(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "iptables-legacy", "nft", "nsenter")
	n := testlab.NewNetNS(t)
	testlab.InNetNS(t, n, "iptables-legacy", "-A", "INPUT", "-p", "udp", "--dport", "9", "-j", "DROP")
	code, _, stderr := run(t, "", "--node-netns", testlab.NetNSPath(n), "trace", "-p", "udp", "--yes", "--duration", "100ms")
	if code != ExitOK || !strings.Contains(stderr, "1 iptables-legacy rules") || !strings.Contains(stderr, "tracing needs the nft backend") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestTraceCLIPod: with a pod selector trace works in the pod's netns;
// with --node, on the pod's packets in the node netns.
func TestTraceCLIPod(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft", "nsenter")
	lab := testlab.NewLab(t, 1)
	pod := lab.Pods[0]
	testlab.Run(t, "ip", "netns", "exec", pod.NetNSName, "nft",
		"add table inet pod; add chain inet pod out { type filter hook output priority 0; }; add rule inet pod out udp dport 9 drop")
	testlab.Run(t, "ip", "netns", "exec", lab.NodeNetNSName, "nft",
		"add table inet node; add chain inet node in { type filter hook input priority 0; }; add rule inet node in udp dport 7 accept")
	podBefore, nodeBefore := nftRuleset(t, pod.NetNS), nftRuleset(t, lab.NodeNetNS)
	defer func() { traceStarted = nil }()
	for _, tc := range []struct {
		name, port, want string
		node             bool
	}{
		{"pod netns", "9", " inet pod out rule udp dport 9 drop (verdict drop)\n", false},
		{"node netns", "7", " inet node in rule udp dport 7 accept (verdict accept)\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			traceStarted = func(string) { udpFrom(t, pod.NetNS, netip.MustParseAddrPort(lab.Gateway+":"+tc.port)) }
			args := append(lab.NetdiagArgs(), "trace", "--pod-ip", pod.IP, "-p", "udp", "--yes", "--duration", "20s", "-c", "1")
			if tc.node {
				args = append(args, "--node")
			}
			code, stdout, stderr := run(t, "", args...)
			if code != ExitOK || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit %d\nstdout:\n%s\nstderr: %s", code, stdout, stderr)
			}
		})
	}
	if nftRuleset(t, pod.NetNS) != podBefore || nftRuleset(t, lab.NodeNetNS) != nodeBefore {
		t.Error("a ruleset changed")
	}
}

// TestTraceCLISignals ends trace with SIGINT, SIGTERM and SIGKILL (then
// runs it again): the netns ruleset is as before every time. After
// SIGKILL nobody deletes the table but the kernel, with netdiag's socket.
func TestTraceCLISignals(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft", "nsenter")
	bin := netdiagBinary(t)
	n := testlab.NewNetNS(t)
	path := testlab.NetNSPath(n)
	testlab.InNetNS(t, n, "nft", "add table inet t; add chain inet t in { type filter hook input priority 0; }; add rule inet t in udp dport 9 counter drop")
	before := nftRuleset(t, path)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "--node-netns", path, "trace", "-p", "udp", "--yes", "--duration", "0")
			stdout, stderr := &syncBuffer{}, &syncBuffer{}
			cmd.Stdout, cmd.Stderr = stdout, stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if cmd.ProcessState == nil {
					cmd.Process.Kill()
					cmd.Wait()
				}
			}()
			for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), "netdiag: tracing"); {
				if time.Now().After(deadline) {
					t.Fatalf("trace did not start: %s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if during := nftRuleset(t, path); !strings.Contains(during, "table inet "+nftrace.TableName(cmd.Process.Pid)) {
				t.Fatalf("no trace table while tracing:\n%s", during)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			werr := cmd.Wait()
			if sig != syscall.SIGKILL && (werr != nil || !strings.Contains(stdout.String(), "packets traced in")) {
				t.Errorf("after %s: %v; stdout %q stderr %q", sig, werr, stdout.String(), stderr.String())
			}
			if after := nftRuleset(t, path); after != before {
				t.Errorf("ruleset after %s:\n%s\nwant:\n%s", sig, after, before)
			}
			if sig == syscall.SIGKILL {
				out, err := exec.Command(bin, "--node-netns", path, "trace", "-p", "udp", "--yes", "--duration", "200ms").CombinedOutput()
				if err != nil {
					t.Errorf("run after SIGKILL: %v\n%s", err, out)
				}
				if after := nftRuleset(t, path); after != before {
					t.Errorf("ruleset after the next run:\n%s", after)
				}
			}
		})
	}
}
