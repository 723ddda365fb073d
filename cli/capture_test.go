package cli

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/capture/pcapio"
	"github.com/netdiag/netdiag/internal/testlab"
)

var (
	buildMu    sync.Mutex
	builtTools = map[string]string{}
)

// buildTool builds a main package of the module once per test run.
func buildTool(t *testing.T, name, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builtTools[name]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "netdiag-bin")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", p, pkg)
	cmd.Dir = testlab.ModuleRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	builtTools[name] = p
	return p
}

func netdiagBinary(t *testing.T) string { return buildTool(t, "netdiag", ".") }

// captureLab is two test netns joined by a veth; the capture runs in b
// (given to netdiag as the node netns) and traffic comes from a.
type captureLab struct {
	nsA, nsB, vethA, vethB, ddd string
}

func newCaptureLab(t *testing.T) *captureLab {
	t.Helper()
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "tcpdump")
	l := &captureLab{nsA: testlab.NewNetNS(t), nsB: testlab.NewNetNS(t)}
	l.vethA, l.vethB = testlab.VethPair(t, l.nsA, "198.18.0.1/24", l.nsB, "198.18.0.2/24")
	// The filter as tcpdump compiles it, so the test does not depend on
	// netdiag's own compiler.
	l.ddd = filepath.Join(t.TempDir(), "udp9.ddd")
	out := testlab.Run(t, "tcpdump", "-ddd", "-y", "EN10MB", "udp dst port 9")
	if err := os.WriteFile(l.ddd, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return l
}

// send sends n 64-byte UDP frames to 198.18.0.2:9 from a with ndgen, the
// capture package's traffic generator; each carries its number at byte 42.
func (l *captureLab) send(t *testing.T, n int) {
	t.Helper()
	gen := buildTool(t, "ndgen", "./capture/internal/gen/ndgen")
	out, err := exec.Command(gen, "-netns", testlab.NetNSPath(l.nsA), "-i", l.vethA, "-c", strconv.Itoa(n),
		"-dst-mac", "ff:ff:ff:ff:ff:ff", "-max", "30s").CombinedOutput()
	if err != nil {
		t.Fatalf("ndgen: %v\n%s", err, out)
	}
}

// start runs netdiag capture in b and waits for its "listening on" line.
func (l *captureLab) start(t *testing.T, stdout io.Writer, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	full := append([]string{"--node-netns", testlab.NetNSPath(l.nsB), "capture", "-i", l.vethB, "--bpf-file", l.ddd, "--min-free", "0"}, args...)
	return l.startArgs(t, stdout, full...)
}

// startArgs runs netdiag with exactly these arguments and waits for its
// "listening on" line.
func (l *captureLab) startArgs(t *testing.T, stdout io.Writer, full ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(netdiagBinary(t), full...)
	stderr := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") {
		if time.Now().After(deadline) {
			t.Fatalf("netdiag did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, stderr
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitExit(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("netdiag capture did not exit")
		return nil
	}
}

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) < n {
		return lines
	}
	return lines[len(lines)-n:]
}

func readPcap(t *testing.T, path string) ([]pcapio.Packet, pcapio.LinkType, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var pkts []pcapio.Packet
	for {
		p, err := r.Next()
		if err == io.EOF {
			return pkts, r.LinkType(), nil
		}
		if err != nil {
			return pkts, r.LinkType(), err
		}
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
}

func TestCaptureCLICountToFile(t *testing.T) {
	l := newCaptureLab(t)
	path := filepath.Join(t.TempDir(), "c.pcap")
	cmd, stderr := l.start(t, io.Discard, "-c", "20", "-w", path)
	l.send(t, 20)
	if err := waitExit(t, cmd); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
	want := []string{"netdiag: capture stopped: packet count reached", "20 packets captured", "20 packets received by filter", "0 packets dropped by kernel"}
	if diff := cmp.Diff(want, lastLines(stderr.String(), 4)); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(stderr.String(), "netdiag: listening on "+l.vethB+", link-type EN10MB (Ethernet), snapshot length 262144 bytes\n") {
		t.Errorf("startup line: %q", stderr.String())
	}
	out, err := exec.Command("tcpdump", "-nn", "-r", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tcpdump -r: %v\n%s", err, out)
	}
	if got := strings.Count(string(out), "198.18.0.1."); got != 20 {
		t.Errorf("tcpdump -r read %d packets, want 20:\n%s", got, out)
	}
}

func TestCaptureCLIStdoutToTcpdump(t *testing.T) {
	l := newCaptureLab(t)
	reader := exec.Command("tcpdump", "-nn", "-r", "-")
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var readOut bytes.Buffer
	reader.Stdin, reader.Stdout, reader.Stderr = pipeR, &readOut, &readOut
	if err := reader.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, stderr := l.start(t, pipeW, "-c", "10", "-U", "-w", "-")
	pipeW.Close()
	pipeR.Close()
	l.send(t, 10)
	if err := waitExit(t, cmd); err != nil {
		t.Fatalf("netdiag: %v\n%s", err, stderr)
	}
	if err := waitExit(t, reader); err != nil {
		t.Fatalf("tcpdump -r -: %v\n%s", err, readOut.String())
	}
	if got := strings.Count(readOut.String(), "> 198.18.0.2.9: UDP, length 22"); got != 10 {
		t.Errorf("tcpdump -r - printed %d packets, want 10:\n%s", got, readOut.String())
	}
}

func TestCaptureCLIKilledMidWrite(t *testing.T) {
	l := newCaptureLab(t)
	path := filepath.Join(t.TempDir(), "k.pcap")
	cmd, _ := l.start(t, io.Discard, "-w", path)
	// Enough packets that several buffers reach the file, then SIGKILL:
	// no chance to flush.
	l.send(t, 4000)
	time.Sleep(1500 * time.Millisecond) // past the 1 s block timeout
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd)
	pkts, lt, err := readPcap(t, path)
	if err != nil {
		t.Errorf("reading the killed capture: %v (after %d packets)", err, len(pkts))
	}
	if lt != pcapio.LinkTypeEthernet || len(pkts) == 0 {
		t.Fatalf("link type %v, %d packets", lt, len(pkts))
	}
	for i, p := range pkts {
		if seq := binary.BigEndian.Uint32(p.Data[42:]); seq != uint32(i) {
			t.Fatalf("packet %d has number %d", i, seq)
		}
	}
	// Whole records only reach the file, so tcpdump reads it without error.
	out, err := exec.Command("tcpdump", "-nn", "-r", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tcpdump -r: %v\n%s", err, lastLines(string(out), 3))
	}
	if got := strings.Count(string(out), "198.18.0.1."); got != len(pkts) {
		t.Errorf("tcpdump read %d packets, netdiag's reader %d", got, len(pkts))
	}
}

func TestCaptureCLIRotateBySize(t *testing.T) {
	l := newCaptureLab(t)
	dir := t.TempDir()
	// -C 1 is 1,000,000 bytes; each record is 16 + 64 bytes, and a file
	// ends with the first packet that takes it past 1,000,000: 12500
	// packets, 1,000,024 bytes.
	const n = 40000
	cmd, stderr := l.start(t, io.Discard, "-c", strconv.Itoa(n), "-C", "1", "-W", "3", "-w", filepath.Join(dir, "r.pcap"))
	l.send(t, n)
	if err := waitExit(t, cmd); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
	got := map[string]int64{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		fi, _ := e.Info()
		got[e.Name()] = fi.Size()
	}
	per := (1000000-24)/80 + 1
	// -W 3 makes a ring: the fourth file reuses r.pcap0.
	want := map[string]int64{
		"r.pcap0": int64(24 + 80*(n-3*per)),
		"r.pcap1": int64(24 + 80*per),
		"r.pcap2": int64(24 + 80*per),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// TestCaptureCLIBothSides: echo requests from the node reach the pod's eth0,
// and the pod's own iptables drops its replies. Both interfaces show the
// requests (AF_PACKET sees an incoming packet before netfilter), and neither
// shows a reply (an outgoing packet is seen after netfilter): the capture
// says the pod got the request and never answered on the wire.
func TestCaptureCLIBothSides(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "tcpdump", "iptables", "ping")
	lab := testlab.NewLab(t, 1)
	pod := lab.Pods[0]
	testlab.NSEnter(t, pod.NetNS, "iptables", "-A", "OUTPUT", "-p", "icmp", "--icmp-type", "echo-reply", "-j", "DROP")
	// ICMP type 8 is an echo request, 0 a reply: the requests cross the veth,
	// the replies the pod's iptables drops leave no trace on either side.
	got := captureBothSides(t, lab, "-c", "3")
	want := map[bothKey]int{{0, 8}: 3, {1, 8}: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ICMP packets per interface and type (-want +got):\n%s", diff)
	}
}

// TestCaptureCLIBothSidesDropAtPodNIC: with the pod's eth0 MTU below its
// host veth's, large packets leave the host veth and are dropped as they
// arrive at the pod's NIC: they show on the host side only.
func TestCaptureCLIBothSidesDropAtPodNIC(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "tcpdump", "ping")
	lab := testlab.NewLab(t, 1)
	testlab.NSEnter(t, lab.Pods[0].NetNS, "ip", "link", "set", "eth0", "mtu", "1000")
	got := captureBothSides(t, lab, "-c", "3", "-s", "1200", "-M", "do")
	want := map[bothKey]int{{1, 8}: 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ICMP packets per interface and type (-want +got):\n%s", diff)
	}
}

type bothKey struct {
	iface int
	icmp  byte
}

// captureBothSides captures ICMP with --both-sides on the lab's first pod
// while the node pings it with pingArgs, and counts the packets per
// interface (0 the pod's eth0, 1 its host veth) and ICMP type.
func captureBothSides(t *testing.T, lab *testlab.Lab, pingArgs ...string) map[bothKey]int {
	t.Helper()
	pod := lab.Pods[0]
	ddd := filepath.Join(t.TempDir(), "icmp.ddd")
	if err := os.WriteFile(ddd, []byte(testlab.Run(t, "tcpdump", "-ddd", "-y", "EN10MB", "icmp")), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "both.pcapng")
	args := append(lab.NetdiagArgs(), "capture", "--pod", pod.Namespace+"/"+pod.Name, "--both-sides",
		"--bpf-file", ddd, "--min-free", "0", "-w", path)
	cmd := exec.Command(netdiagBinary(t), args...)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(stderr.String(), "listening on") < 2 {
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("netdiag did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// No reply comes back, so ping exits 1: ignore its status.
	ping := append([]string{"--net=" + lab.NodeNetNS, "--", "ping", "-n", "-i", "0.2", "-W", "1"}, pingArgs...)
	_ = exec.Command("nsenter", append(ping, pod.IP)...).Run()
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	if err := waitExit(t, cmd); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapio.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[bothKey]int{}
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) > 34 {
			got[bothKey{p.InterfaceIndex, p.Data[34]}]++
		}
	}
	ifs := pcapio.Interfaces(r)
	if len(ifs) != 2 || ifs[0].Name != "eth0" || ifs[1].Name != pod.HostVeth ||
		!strings.HasPrefix(ifs[0].Description, pod.Namespace+"/"+pod.Name+" eth0 pid ") {
		t.Errorf("interfaces: %+v", ifs)
	}
	return got
}

// TestCaptureCLIAnyNamesTargetInterfaces: -i any in another netns names the
// interfaces of that netns (not netdiag's own) and filters with a compiled
// expression in the kernel.
func TestCaptureCLIAnyNamesTargetInterfaces(t *testing.T) {
	l := newCaptureLab(t)
	cmd := exec.Command(netdiagBinary(t), "--node-netns", testlab.NetNSPath(l.nsB), "capture", "-i", "any", "-nn", "-c", "3", "udp", "dst", "port", "9")
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	l.send(t, 3)
	if err := waitExit(t, cmd); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got:\n%s", stdout)
	}
	for _, ln := range lines {
		if !strings.Contains(ln, " "+l.vethB+" ") || !strings.Contains(ln, "198.18.0.2.9: UDP") {
			t.Errorf("line does not name %s: %q", l.vethB, ln)
		}
	}
}
