package stale

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/node"
)

const labTaskDir = "run/containerd/io.containerd.runtime.v2.task/k8s.io"

// giveTaskState writes containerd task directories for the containers, as if
// a runtime were managing them.
func giveTaskState(tb testing.TB, hostRoot string, ids ...string) {
	tb.Helper()
	for _, id := range ids {
		if err := os.MkdirAll(filepath.Join(hostRoot, labTaskDir, id), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
}

func randomID(tb testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// spawner starts processes in lab pods' cgroups and netns and kills them,
// by PID, when the test ends.
type spawner struct {
	tb    testing.TB
	lab   *testlab.Lab
	dirs  []string     // cgroup directories holding what it started
	not   map[int]bool // processes that were there before
	seen  map[string]bool
	cmds  []*exec.Cmd
	procs int // processes started, the shells' children included
}

func newSpawner(tb testing.TB, lab *testlab.Lab) *spawner {
	s := &spawner{tb: tb, lab: lab, not: map[int]bool{}, seen: map[string]bool{}}
	tb.Cleanup(s.stop)
	return s
}

// start runs n `sleep` processes in pod's netns, in the cgroup of container
// id beside the pod's own container (created if need be).
func (s *spawner) start(pod testlab.LabPod, id string, n int) {
	s.tb.Helper()
	rel := "/ndlab-" + s.lab.Name
	cg := filepath.Join(filepath.Dir(pod.Cgroup), id)
	var files []string
	for _, root := range s.lab.CgroupRoots {
		dir := strings.TrimSuffix(root, rel) + cg
		if err := os.MkdirAll(dir, 0o755); err != nil {
			s.tb.Fatal(err)
		}
		if s.seen[dir] {
			files = append(files, filepath.Join(dir, "cgroup.procs"))
			continue
		}
		s.seen[dir] = true
		s.dirs = append(s.dirs, dir)
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil {
				s.not[p] = true
			}
		}
		files = append(files, filepath.Join(dir, "cgroup.procs"))
	}
	// The shell joins the cgroups, enters the netns, starts n-1 children
	// (which inherit both) and becomes the n-th.
	script := `for f in "$@"; do echo $$ >"$f" || exit 1; done; exec nsenter --net=` + pod.NetNS +
		` sh -c 'i=1; while [ $i -lt ` + strconv.Itoa(n) + ` ]; do sleep 1000 & i=$((i+1)); done; exec sleep 1000'`
	cmd := exec.Command("sh", append([]string{"-c", script, "sh"}, files...)...)
	if err := cmd.Start(); err != nil {
		s.tb.Fatal(err)
	}
	s.cmds = append(s.cmds, cmd)
	s.procs += n
}

// pids lists the processes in the cgroups the spawner made.
func (s *spawner) pids() []int {
	seen := map[int]bool{}
	for _, d := range s.dirs {
		b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil && !s.not[p] {
				seen[p] = true
			}
		}
	}
	out := make([]int, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// wait returns when every process started is a `sleep` in place.
func (s *spawner) wait() {
	s.tb.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		n := 0
		for _, p := range s.pids() {
			if b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/comm"); err == nil && strings.TrimSpace(string(b)) == "sleep" && alive(p) {
				n++
			}
		}
		if n == s.procs {
			return
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("%d of %d spawned processes running after 60s", n, s.procs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *spawner) stop() {
	for _, p := range s.pids() {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	for _, c := range s.cmds {
		_ = c.Wait()
	}
}

func loadLab(tb testing.TB, lab *testlab.Lab) *node.Inventory {
	tb.Helper()
	inv, err := node.Load(context.Background(), node.Options{HostRoot: lab.HostRoot, NodeNetNS: lab.NodeNetNS, NoRuntime: true})
	if err != nil {
		tb.Fatal(err)
	}
	return inv
}

// A simulated node without a runtime socket: containerd's task directories
// say which containers it runs. Pod 1's container lost its task (a shim
// crash), pod 0 has a second container that is gone too and a process that
// listens in its netns outside any container; everything else is healthy.
func TestScanLab(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "busybox", "nsenter", "sh")
	lab := testlab.NewLab(t, 3)
	p0, p1, p2 := lab.Pods[0], lab.Pods[1], lab.Pods[2]
	giveTaskState(t, lab.HostRoot, p0.ContainerID, p2.ContainerID)
	sp := newSpawner(t, lab)
	orphan := randomID(t)
	sp.start(p0, orphan, 2)
	sp.start(p2, p2.ContainerID, 3) // more processes of a healthy container
	sp.wait()
	listener := testlab.StartInNetNS(t, p0.NetNSName, "busybox", "httpd", "-f", "-p", "9090")
	waitListening(t, listener)

	inv := loadLab(t, lab)
	res, err := Scan(inv, Options{HostRoot: lab.HostRoot})
	if err != nil {
		t.Fatal(err)
	}
	var orphanPIDs []int
	for _, p := range sp.pids() {
		if strings.Contains(readFile("/proc/"+strconv.Itoa(p)+"/cgroup"), orphan) {
			orphanPIDs = append(orphanPIDs, p)
		}
	}
	type short struct {
		Pod, Container, Reason string
		PIDs                   []int
		Listening              []string
	}
	var got []short
	for _, g := range res.Stale {
		s := short{g.Pod, g.ContainerID, g.Reason, g.PIDs, nil}
		for _, l := range g.Listening {
			s.Listening = append(s.Listening, l.Proto+"/"+strconv.Itoa(l.Port))
		}
		got = append(got, s)
	}
	want := []short{
		{p0.Name, "", ReasonNoContainer, []int{listener}, []string{"tcp/9090"}},
		{p0.Name, orphan, ReasonNoTaskState, orphanPIDs, nil},
		{p1.Name, p1.ContainerID, ReasonNoTaskState, []int{p1.PID}, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}
	if res.RuntimeAsked || len(res.TaskDirs) != 1 {
		t.Errorf("RuntimeAsked %v, TaskDirs %q", res.RuntimeAsked, res.TaskDirs)
	}

	// One pod; and Kill ends exactly its stale processes.
	res, err = Scan(inv, Options{HostRoot: lab.HostRoot, Pod: &inv.Pods[podIndex(t, inv, p0.UID)]})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stale) != 2 {
		t.Fatalf("Scan of pod %s: %d groups, want 2: %+v", p0.Name, len(res.Stale), res.Stale)
	}
	acts, err := Kill(context.Background(), res.Stale, KillOptions{Grace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Outcome != OutcomeTerminated {
			t.Errorf("Kill: pid %d %s (%s), want terminated", a.PID, a.Outcome, a.Detail)
		}
	}
	if alive(listener) || alive(orphanPIDs[0]) || !alive(p0.PID) || !alive(p2.PID) {
		t.Errorf("after Kill: listener alive %v, orphan alive %v, pod processes alive %v %v; want false false true true",
			alive(listener), alive(orphanPIDs[0]), alive(p0.PID), alive(p2.PID))
	}

	sp.procs -= len(orphanPIDs)

	// Processes started after the runtime was asked are not judged.
	asked := BootTicks()
	time.Sleep(20 * time.Millisecond)
	sp.start(p2, randomID(t), 1)
	sp.wait()
	res, err = Scan(loadLab(t, lab), Options{HostRoot: lab.HostRoot, AskedAt: asked})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{p1.PID}, pids(res.Stale)); diff != "" {
		t.Errorf("Scan with AskedAt: stale PIDs (-want +got):\n%s", diff)
	}
}

func podIndex(t *testing.T, inv *node.Inventory, uid string) int {
	t.Helper()
	for i, p := range inv.Pods {
		if p.UID == uid {
			return i
		}
	}
	t.Fatalf("pod %s not in the inventory", uid)
	return -1
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func waitListening(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(socketInodes("/proc", pid)) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("process %d holds no socket after 10s", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkScan: a node of 200 simulated pods and 2,000 processes in pod
// cgroups (200 pods × 10), 20 of them in containers the runtime lost. Scan
// is the judgement given an inventory; LoadAndScan is what the command does.
func BenchmarkScan(b *testing.B) {
	testlab.RequireRoot(b)
	testlab.RequireTool(b, "nsenter", "sh", "sleep")
	b.Logf("%s: start", time.Now().Format(time.TimeOnly))
	lab := testlab.NewLab(b, 200)
	sp := newSpawner(b, lab)
	var ids []string
	b.Logf("%s: lab up", time.Now().Format(time.TimeOnly))
	for i, p := range lab.Pods {
		ids = append(ids, p.ContainerID)
		if i%10 == 0 {
			sp.start(p, p.ContainerID, 8)
			sp.start(p, randomID(b), 1)
		} else {
			sp.start(p, p.ContainerID, 9)
		}
	}
	giveTaskState(b, lab.HostRoot, ids...)
	sp.wait()
	b.Logf("%s: %d processes started", time.Now().Format(time.TimeOnly), sp.procs)
	b.Cleanup(func() { b.Logf("%s: cleaning up", time.Now().Format(time.TimeOnly)) })
	check := func(res *Result) {
		if n := len(res.Stale); n != 20 || res.ProcsChecked != 2000 {
			b.Fatalf("Scan: %d stale groups of %d processes, want 20 of 2000", n, res.ProcsChecked)
		}
	}
	b.Run("Scan", func(b *testing.B) {
		inv := loadLab(b, lab)
		for b.Loop() {
			res, err := Scan(inv, Options{HostRoot: lab.HostRoot})
			if err != nil {
				b.Fatal(err)
			}
			check(res)
		}
	})
	b.Run("LoadAndScan", func(b *testing.B) {
		for b.Loop() {
			res, err := Scan(loadLab(b, lab), Options{HostRoot: lab.HostRoot})
			if err != nil {
				b.Fatal(err)
			}
			check(res)
		}
	})
}
