package cli

import (
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/dropmon"
	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// dropsLab is two namespaces, a (198.18.1.1) and b (198.18.1.2), with an
// nft rule in b that drops UDP to port 9998.
func dropsLab(t *testing.T) (a string) {
	t.Helper()
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "nft")
	a, b := testlab.NewNetNS(t), testlab.NewNetNS(t)
	testlab.VethPair(t, a, "198.18.1.1/24", b, "198.18.1.2/24")
	testlab.InNetNS(t, b, "nft", "add table inet ndt; add chain inet ndt in { type filter hook input priority 0; }; add rule inet ndt in udp dport 9998 drop")
	return a
}

// sendDropped sends n datagrams from a that b's rule drops.
func sendDropped(t *testing.T, a string, n int) {
	t.Helper()
	ns, err := nsutil.Open(testlab.NetNSPath(a))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	fd, err := ns.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrInet4{Addr: [4]byte{198, 18, 1, 2}, Port: 9998}
	for range n {
		if err := unix.Sendto(fd, []byte("netdiag drops test"), 0, to); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDropsCLI: the drops of a DROP rule appear with their reason and
// function, in JSON and as a table.
func TestDropsCLI(t *testing.T) {
	a := dropsLab(t)
	defer func() { dropsOpened = nil }()
	dropsOpened = func() { sendDropped(t, a, 50) }
	code, stdout, stderr := run(t, "", "-o", "json", "drops", "--duration", "1s", "--reason", "netfilter_drop")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep dropsReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	var n uint64
	for _, c := range rep.Drops {
		if c.Reason != "NETFILTER_DROP" {
			t.Errorf("--reason NETFILTER_DROP shows %s", c.Reason)
		}
		if c.Function == "nft_do_chain" && c.Protocol == "ipv4" {
			n += c.Count
		}
	}
	if n < 50 || rep.Total < n || rep.Source != dropmon.SourceTracepoint && rep.Source != dropmon.SourceNetDM {
		t.Errorf("want ≥ 50 NETFILTER_DROP in nft_do_chain, got %d (total %d, source %q):\n%s", n, rep.Total, rep.Source, stdout)
	}

	dropsOpened = func() { sendDropped(t, a, 20) }
	code, stdout, stderr = run(t, "", "drops", "--duration", "1s", "--interval", "500ms", "--reason", "NETFILTER_DROP")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "TOTAL\n") || !regexpRow(stdout, "NETFILTER_DROP", "nft_do_chain", "ipv4") {
		t.Errorf("table:\n%s", stdout)
	}
	if !strings.Contains(stderr, "counting drops from") {
		t.Errorf("stderr: %s", stderr)
	}
}

// regexpRow tells whether a table row has these columns in order.
func regexpRow(out string, cols ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(cols)+1 && strings.Join(f[1:1+len(cols)], " ") == strings.Join(cols, " ") {
			return true
		}
	}
	return false
}

func TestDropsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"drops", "--source", "ebpf"},
		{"drops", "--duration", "-1s"},
		{"drops", "extra"},
	} {
		if code, _, stderr := run(t, "", args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want 2: %s", args, code, stderr)
		}
	}
}

func TestDropsUnknownReason(t *testing.T) {
	testlab.RequireRoot(t)
	code, _, stderr := run(t, "", "drops", "--duration", "1ms", "--reason", "NO_SUCH_REASON")
	if code != ExitUsage || !strings.Contains(stderr, "NETFILTER_DROP") {
		t.Errorf("exit %d, want 2 with the known reasons listed: %s", code, stderr)
	}
}

// TestDropsPod: a pod's drops need packet bytes. Without NET_DM netdiag
// says so instead of showing every namespace's drops as the pod's.
func TestDropsPod(t *testing.T) {
	testlab.RequireRoot(t)
	lab := testlab.NewLab(t, 1)
	args := append(append([]string{"-o", "json"}, lab.NetdiagArgs()...), "drops", "--duration", "1s", "--pod-ip", lab.Pods[0].IP)
	code, stdout, stderr := run(t, "", args...)
	if hasNetDM(t) {
		var rep dropsReport
		if code != ExitOK || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Pod == nil || rep.Pod.IPs[0] != netip.MustParseAddr(lab.Pods[0].IP) {
			t.Errorf("with NET_DM: exit %d, %s %s", code, stdout, stderr)
		}
		return
	}
	if code != ExitError || !strings.Contains(stderr, "NET_DM") || stdout != "" {
		t.Errorf("without NET_DM: exit %d, stdout %q, stderr %q; want exit 1 naming NET_DM", code, stdout, stderr)
	}
}

func hasNetDM(t *testing.T) bool {
	c, err := genetlink.Dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetFamily("NET_DM")
	return err == nil
}

// TestDropsPanicCloses: a panic after the monitor opened still closes it
// (deferred Close), so no perf event outlives the command.
func TestDropsPanicCloses(t *testing.T) {
	testlab.RequireRoot(t)
	defer func() { dropsOpened = nil }()
	dropsOpened = func() {
		if len(perfEventFDs(t, os.Getpid())) == 0 {
			t.Error("no perf event open while counting")
		}
		panic("test panic")
	}
	func() {
		defer func() {
			if v := recover(); v != "test panic" {
				t.Fatalf("recovered %v", v)
			}
		}()
		run(t, "", "drops", "--source", "tracepoint", "--duration", "1s")
	}()
	if fds := perfEventFDs(t, os.Getpid()); len(fds) > 0 {
		t.Errorf("perf events left open after a panic: %v", fds)
	}
}

// perfEventFDs lists the perf event descriptors of a process.
func perfEventFDs(t *testing.T, pid int) []string {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if dst, err := os.Readlink(dir + "/" + e.Name()); err == nil && dst == "anon_inode:[perf_event]" {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestDropsSignalsLeaveNoTrace runs netdiag drops and ends it by SIGINT,
// SIGTERM and SIGKILL (then runs it again): every time the global tracing
// state is as before, and the counting process held perf events (the
// kernel drops them with the process).
func TestDropsSignalsLeaveNoTrace(t *testing.T) {
	testlab.RequireRoot(t)
	bin := netdiagBinary(t)
	before, err := dropmon.TracingState()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "drops", "--duration", "0")
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
			for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), "counting drops"); {
				if time.Now().After(deadline) {
					t.Fatalf("netdiag drops did not start: %s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if len(perfEventFDs(t, cmd.Process.Pid)) == 0 {
				t.Error("netdiag drops holds no perf event")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			werr := cmd.Wait()
			if sig != syscall.SIGKILL {
				if werr != nil {
					t.Errorf("after %s: %v; stderr %s", sig, werr, stderr.String())
				}
				if !strings.Contains(stdout.String(), " drops in ") {
					t.Errorf("after %s no summary: %q", sig, stdout.String())
				}
			} else {
				// The next run starts and ends normally.
				out, err := exec.Command(bin, "drops", "--duration", "200ms").CombinedOutput()
				if err != nil {
					t.Errorf("run after SIGKILL: %v\n%s", err, out)
				}
			}
			after, err := dropmon.TracingState()
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("tracing state changed by a run ended with %s:\nbefore:\n%s\nafter:\n%s", sig, before, after)
			}
		})
	}
}
