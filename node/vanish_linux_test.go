package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// simPod makes a pod netns on a node netns as the netns scan sees one: eth0,
// a veth whose peer is in the node netns, and ip on eth0. It returns the pod
// netns name and the host-side veth.
func simPod(t *testing.T, nodeNS, ip string) (pod, hostVeth string) {
	t.Helper()
	pod, hostVeth = testlab.NewNetNS(t), testlab.UniqueName("veth")
	testlab.Run(t, "ip", "-n", pod, "link", "add", "eth0", "type", "veth", "peer", "name", hostVeth, "netns", nodeNS)
	testlab.Run(t, "ip", "-n", pod, "addr", "add", ip, "dev", "eth0")
	testlab.Run(t, "ip", "-n", pod, "link", "set", "eth0", "up")
	testlab.Run(t, "ip", "-n", nodeNS, "link", "set", hostVeth, "up")
	return pod, hostVeth
}

// sleeper is a process in a netns that the test ends by PID.
type sleeper struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startSleeper runs `sleep 300` inside the netns at path (nsenter execs in
// place, so the PID is sleep's) and waits until it is in there.
func startSleeper(t *testing.T, path string) *sleeper {
	t.Helper()
	testlab.RequireTool(t, "nsenter", "sleep")
	cmd := exec.Command("nsenter", "--net="+path, "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &sleeper{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(s.kill)
	want := statID(t, path)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var st syscall.Stat_t
		if err := syscall.Stat(procNetNS(cmd.Process.Pid), &st); err == nil && st.Ino == want.Ino && uint64(st.Dev) == want.Dev {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not enter %s within 10s", cmd.Process.Pid, path)
		}
	}
}

func (s *sleeper) pid() int { return s.cmd.Process.Pid }

// kill ends the process and waits until it is reaped, so /proc/PID is gone.
func (s *sleeper) kill() {
	_ = syscall.Kill(s.pid(), syscall.SIGKILL)
	<-s.done
}

func statID(t *testing.T, path string) nsutil.ID {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return nsutil.ID{Dev: uint64(st.Dev), Ino: st.Ino}
}

// TestScanLowestPIDExits: the lowest PID of a pod's netns exits between the
// listing of every netns and the scan opening it (an exec probe after PID
// wraparound). The pod must still be found, by its other process or its bind
// mount, and be named by the process that is left.
func TestScanLowestPIDExits(t *testing.T) {
	for _, bind := range []bool{true, false} {
		name := "bind mount"
		if !bind {
			name = "processes only"
		}
		t.Run(name, func(t *testing.T) {
			nodeNS := testlab.NewNetNS(t)
			pod, hostVeth := simPod(t, nodeNS, "198.18.0.2/24")
			podPath := testlab.NetNSPath(pod)
			id := statID(t, podPath)
			// Started first, so it has the lower PID unless PIDs wrap in between.
			a, b := startSleeper(t, podPath), startSleeper(t, podPath)
			if !bind {
				testlab.Run(t, "ip", "netns", "del", pod) // only a and b hold it now
			}
			var killed, left *sleeper
			afterList = func(entries []nsutil.Entry) {
				for _, e := range entries {
					if e.ID != id || len(e.PIDs) == 0 {
						continue
					}
					switch e.PIDs[0] {
					case a.pid():
						killed, left = a, b
					case b.pid():
						killed, left = b, a
					}
				}
				if killed != nil {
					killed.kill()
				}
			}
			defer func() { afterList = nil }()

			inv, err := Load(context.Background(), Options{HostRoot: t.TempDir(), NodeNetNS: testlab.NetNSPath(nodeNS), NoRuntime: true})
			afterList = nil
			if err != nil {
				t.Fatal(err)
			}
			if killed == nil {
				t.Fatalf("the listing did not show netns %v with its processes %d and %d", id, a.pid(), b.pid())
			}
			p, err := inv.Resolve(Selector{PodIP: "198.18.0.2"})
			if err != nil {
				t.Fatalf("after process %d exited mid-scan: %v (pods: %+v)", killed.pid(), err, inv.Pods)
			}
			if p.NetNS.Inode != id.Ino || p.HostInterface == nil || p.HostInterface.Name != hostVeth {
				t.Errorf("pod = %+v, want netns %d and host veth %s", p, id.Ino, hostVeth)
			}
			if p.PID != left.pid() {
				t.Errorf("pod PID %d, want %d (the process still there)", p.PID, left.pid())
			}
			ns, err := p.OpenNetNS()
			if err != nil {
				t.Fatal(err)
			}
			ns.Close()
		})
	}
}

// TestOpenNetNSRecordedProcessExited: the process Load named a pod by exits
// while another still holds the netns; opening and watching the pod must
// find the other one, and say the pod is gone only once none is left.
func TestOpenNetNSRecordedProcessExited(t *testing.T) {
	pod := testlab.NewNetNS(t)
	podPath := testlab.NetNSPath(pod)
	id := statID(t, podPath)
	a, b := startSleeper(t, podPath), startSleeper(t, podPath)
	testlab.Run(t, "ip", "netns", "del", pod) // only the processes hold it
	p := &Pod{Namespace: "default", Name: "web-0", PID: a.pid(),
		NetNS: NetNSRef{Inode: id.Ino, Dev: id.Dev, Path: procNetNS(a.pid())}}
	watch := p.Watch()
	if err := watch(); err != nil {
		t.Fatalf("watch with both processes: %v", err)
	}
	a.kill()
	ns, err := p.OpenNetNS()
	if err != nil {
		t.Fatalf("process %d exited, %d still holds the netns: %v", a.pid(), b.pid(), err)
	}
	if ns.ID() != id {
		t.Errorf("opened %v, want %v", ns.ID(), id)
	}
	ns.Close()
	if err := watch(); err != nil {
		t.Fatalf("watch with process %d left: %v", b.pid(), err)
	}
	b.kill()
	for _, check := range []struct {
		name string
		fn   func() error
	}{
		{"OpenNetNS", func() error {
			ns, err := p.OpenNetNS()
			if ns != nil {
				ns.Close()
			}
			return err
		}},
		{"Watch", watch},
	} {
		err := check.fn()
		if !errors.Is(err, ErrPodGone) {
			t.Errorf("%s after every process exited: %v, want ErrPodGone", check.name, err)
			continue
		}
		for _, w := range []string{"default/web-0", "net:[", "no process and no bind mount holds", "netdiag pods"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", check.name, err, w)
			}
		}
	}
}

// TestLoadSkipsExitedProcess: a process whose cgroup was read but which
// exited before its stat was must not become the pod's process (its start
// time would read as 0, the oldest of all).
func TestLoadSkipsExitedProcess(t *testing.T) {
	fp := newFakeProc(t)
	cg := "0::/kubepods/besteffort/pod" + uidWeb + "/" + ctNginx
	fp.add(100, "probe", cg, "web", 500)
	fp.add(200, "nginx", cg, "web", 10)
	if err := os.Remove(filepath.Join(fp.root, "100", "stat")); err != nil {
		t.Fatal(err)
	}
	inv, err := Load(context.Background(), Options{HostRoot: t.TempDir(), NodeNetNS: "/proc/self/ns/net", ProcRoot: fp.root, NoNetNSScan: true, NoRuntime: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Pods) != 1 {
		t.Fatalf("pods: %+v", inv.Pods)
	}
	p := inv.Pods[0]
	if p.PID != 200 || len(p.Containers) != 1 || len(p.Containers[0].PIDs) != 1 || p.Containers[0].PIDs[0] != 200 {
		t.Errorf("pod = %+v, want PID 200 and container PIDs [200]", p)
	}
	for _, pr := range inv.Processes {
		if pr.PID == 100 {
			t.Errorf("exited process 100 listed: %+v", pr)
		}
	}
}

// TestOpenNodeNoFallback: when PID 1's netns cannot be opened (here by a
// thread running as nobody) the node netns is an error that says what to
// give, not netdiag's own netns: pods then listed an empty node, exit 0.
func TestOpenNodeNoFallback(t *testing.T) {
	testlab.RequireRoot(t)
	fp, hostRoot := newFakeProc(t), t.TempDir()
	type result struct {
		openErr, loadErr error
		pods             int
	}
	done := make(chan result)
	go func() {
		// The thread keeps nobody's credentials: it stays locked and the
		// runtime discards it when this goroutine ends.
		runtime.LockOSThread()
		if _, _, errno := syscall.RawSyscall(syscall.SYS_SETRESUID, 65534, 65534, 0); errno != 0 {
			done <- result{openErr: fmt.Errorf("setresuid: %w", errno)}
			return
		}
		var r result
		if ns, err := OpenNode(""); err == nil {
			ns.Close()
		} else {
			r.openErr = err
		}
		inv, err := Load(context.Background(), Options{HostRoot: hostRoot, ProcRoot: fp.root, NoNetNSScan: true, NoRuntime: true})
		r.loadErr = err
		if inv != nil {
			r.pods = len(inv.Pods)
		}
		done <- r
	}()
	r := <-done
	for name, err := range map[string]error{"OpenNode": r.openErr, "Load": r.loadErr} {
		if err == nil {
			t.Errorf("%s as nobody: no error (pods %d): it fell back to its own netns", name, r.pods)
			continue
		}
		for _, w := range []string{"/proc/1/ns/net", "--node-netns /proc/self/ns/net"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s as nobody: %q does not say %q", name, err, w)
			}
		}
	}
}
