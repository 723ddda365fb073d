package stale

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netdiag/netdiag/node"
)

// Identities of testdata/proc (see testdata/mkproc.sh).
var (
	uidA = "11111111-1111-4111-8111-111111111111"
	uidB = "22222222-2222-4222-8222-222222222222"
	uidC = "33333333-3333-4333-8333-333333333333"
	uidD = "44444444-4444-4444-8444-444444444444"
	sbA  = strings.Repeat("a0", 32)
	ctrA = strings.Repeat("c1", 32)
	gone = strings.Repeat("dead", 16)
	sbB  = strings.Repeat("b0", 32)
	ctrB = strings.Repeat("c2", 32)
	sbC  = strings.Repeat("c0", 32)
	ctrC = strings.Repeat("c3", 32)
	ctrD = strings.Repeat("d4", 32)

	cgA = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_1111_4111_8111_111111111111.slice"
	cgB = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod22222222_2222_4222_8222_222222222222.slice"
	cgC = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod33333333_3333_4333_8333_333333333333.slice"
	cgD = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod44444444_4444_4444_8444_444444444444.slice"
)

const fixtureBoot = 1790000000

func started(ticks uint64) string {
	return time.Unix(fixtureBoot, 0).Add(time.Duration(ticks) * 10 * time.Millisecond).UTC().Format(time.RFC3339)
}

// fixtureInventory is what node.Load would say of testdata/proc with CRI
// (pods A, B) and Docker (pod C) answering; pod D's sandbox is gone and
// merge dropped it, since its netns is no longer attached to the node.
func fixtureInventory() *node.Inventory {
	return &node.Inventory{
		Sources:   []string{node.SourceCRI, node.SourceDocker, node.SourceCgroup, node.SourceNetNS},
		Runtime:   "containerd 1.7.0",
		NodeNetNS: node.NetNSRef{Inode: 4026531840},
		Pods: []node.Pod{
			{Namespace: "default", Name: "web-a", UID: uidA, NetNS: node.NetNSRef{Inode: 4026532001}, SandboxID: sbA, SandboxState: "ready",
				Containers: []node.Container{{ID: ctrA, Name: "nginx", State: "running"}, {ID: gone, State: node.StateNotInRuntime}},
				Sources:    []string{node.SourceCRI, node.SourceCgroup}},
			{Namespace: "default", Name: "worker-b", UID: uidB, NetNS: node.NetNSRef{Inode: 4026532002}, SandboxID: sbB, SandboxState: "ready",
				Containers: []node.Container{{ID: ctrB, Name: "worker", State: "exited"}},
				Sources:    []string{node.SourceCRI, node.SourceCgroup}},
			{Namespace: "default", Name: "app-c", UID: uidC, NetNS: node.NetNSRef{Inode: 4026532003}, SandboxID: sbC, SandboxState: "notready",
				Containers: []node.Container{{ID: ctrC, Name: "app", State: "running"}},
				Sources:    []string{node.SourceDocker, node.SourceCgroup}},
		},
	}
}

var ignoreUnexported = cmpopts.IgnoreUnexported(Process{})

func TestScanFixture(t *testing.T) {
	res, err := Scan(fixtureInventory(), Options{ProcRoot: "testdata/proc", HostRoot: "testdata/host"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{
		{Namespace: "default", Pod: "app-c", PodUID: uidC, ContainerID: sbC, PIDs: []int{301}, Listening: []Listener{},
			Reason: ReasonSandboxNotReady, Detail: "sandbox " + sbC[:12] + " is notready, but its pause process still runs",
			RuntimeAsked: true, NetNSInode: 4026532003,
			Processes: []Process{{PID: 301, PPID: 70, Comm: "pause", Cmdline: "/pause", StartTime: 3000, Started: started(3000), Cgroup: cgC + "/docker-" + sbC + ".scope"}}},
		{Namespace: "default", Pod: "redis-0", PodUID: uidD, ContainerID: ctrD, PIDs: []int{401}, Listening: []Listener{},
			Reason: ReasonSandboxGone, Detail: "containerd 1.7.0 lists no sandbox of pod " + uidD + ", but its processes still run",
			RuntimeAsked: true, NetNSInode: 4026532004,
			Processes: []Process{{PID: 401, PPID: 1, Comm: "redis-server", Cmdline: "redis-server *:6379", StartTime: 4000, Started: started(4000), Cgroup: cgD + "/cri-containerd-" + ctrD + ".scope"}}},
		{Namespace: "default", Pod: "web-a", PodUID: uidA, ContainerID: gone, PIDs: []int{103}, Listening: []Listener{},
			Reason: ReasonNotInRuntime, Detail: "container " + gone[:12] + " is unknown to containerd 1.7.0, but its processes still run",
			RuntimeAsked: true, NetNSInode: 4026532001,
			Processes: []Process{{PID: 103, PPID: 1, Comm: "httpd", Cmdline: "httpd -f -p 8080", StartTime: 1050, Started: started(1050), Cgroup: cgA + "/cri-containerd-" + gone + ".scope"}}},
		{Namespace: "default", Pod: "worker-b", PodUID: uidB, ContainerID: ctrB, ContainerName: "worker", PIDs: []int{202, 203}, Listening: []Listener{},
			Reason: ReasonExited, Detail: "containerd 1.7.0 lists container " + ctrB[:12] + " as exited, but its processes still run",
			RuntimeAsked: true, NetNSInode: 4026532002,
			Processes: []Process{
				{PID: 202, PPID: 1, Comm: "worker", Cmdline: "python3 worker.py", StartTime: 2100, Started: started(2100), Cgroup: cgB + "/crio-" + ctrB + ".scope"},
				{PID: 203, PPID: 1, Comm: "conmon", Cmdline: "/usr/bin/conmon -c " + ctrB, StartTime: 2050, Started: started(2050), Cgroup: cgB + "/crio-conmon-" + ctrB + ".scope"},
			}},
	}
	if diff := cmp.Diff(want, res.Stale, ignoreUnexported); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}
	if !res.RuntimeAsked || res.PodsChecked != 4 || len(res.Warnings) != 0 {
		t.Errorf("RuntimeAsked %v, PodsChecked %d (want 4), Warnings %q", res.RuntimeAsked, res.PodsChecked, res.Warnings)
	}
}

func TestScanFixtureOnePod(t *testing.T) {
	inv := fixtureInventory()
	for _, tc := range []struct {
		pod     *node.Pod
		wantPID []int
	}{
		{&inv.Pods[0], []int{103}},
		{&inv.Pods[1], []int{202, 203}},
		{&node.Pod{UID: uidD}, []int{401}}, // a pod the inventory lost, by UID
		{&node.Pod{UID: "99999999-9999-4999-8999-999999999999"}, nil},
	} {
		res, err := Scan(inv, Options{ProcRoot: "testdata/proc", HostRoot: "testdata/host", Pod: tc.pod})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.wantPID, pids(res.Stale)); diff != "" {
			t.Errorf("Scan of pod %s: stale PIDs (-want +got):\n%s", tc.pod.UID, diff)
		}
	}
}

func pids(gs []Group) []int {
	var out []int
	for _, g := range gs {
		out = append(out, g.PIDs...)
	}
	return out
}

// Without a runtime: containerd's task directories decide (pod A's gone
// container has none, as after a shim crash); CRI-O and Docker containers
// cannot be judged, as their runtimes keep no state there.
func TestScanFixtureNoRuntime(t *testing.T) {
	inv := fixtureInventory()
	inv.Sources = []string{node.SourceCgroup, node.SourceNetNS}
	inv.Runtime = ""
	for i := range inv.Pods {
		inv.Pods[i].Sources = []string{node.SourceCgroup}
		inv.Pods[i].SandboxState = ""
		for k := range inv.Pods[i].Containers {
			inv.Pods[i].Containers[k].State = ""
		}
	}
	res, err := Scan(inv, Options{ProcRoot: "testdata/proc", HostRoot: "testdata/host"})
	if err != nil {
		t.Fatal(err)
	}
	if res.RuntimeAsked || len(res.TaskDirs) != 1 {
		t.Errorf("RuntimeAsked %v, TaskDirs %q: want false and containerd's", res.RuntimeAsked, res.TaskDirs)
	}
	want := []Group{{Namespace: "default", Pod: "web-a", PodUID: uidA, ContainerID: gone, PIDs: []int{103}, Listening: []Listener{},
		Reason:       ReasonNoTaskState,
		Detail:       "the runtime could not be asked; container " + gone[:12] + " has no task state in testdata/host/run/containerd/io.containerd.runtime.v2.task/k8s.io",
		RuntimeAsked: false, NetNSInode: 4026532001,
		Processes: []Process{{PID: 103, PPID: 1, Comm: "httpd", Cmdline: "httpd -f -p 8080", StartTime: 1050, Started: started(1050), Cgroup: cgA + "/cri-containerd-" + gone + ".scope"}}}}
	if diff := cmp.Diff(want, res.Stale, ignoreUnexported); diff != "" {
		t.Errorf("Scan (-want +got):\n%s", diff)
	}

	// No runtime and no task state: nothing can be judged.
	_, err = Scan(inv, Options{ProcRoot: "testdata/proc", HostRoot: t.TempDir()})
	if !errors.Is(err, ErrNoRuntimeState) {
		t.Errorf("Scan without runtime state: err %v, want ErrNoRuntimeState", err)
	}
	// Unless the task directory is given.
	res, err = Scan(inv, Options{ProcRoot: "testdata/proc", HostRoot: t.TempDir(), TaskDirs: []string{"testdata/host/run/containerd/io.containerd.runtime.v2.task/k8s.io"}})
	if err != nil {
		t.Fatal(err)
	}
	// With a directory of unknown runtime every container is judged by it.
	got := pids(res.Stale)
	sort.Ints(got)
	if diff := cmp.Diff([]int{103, 201, 202, 203, 301, 302}, got); diff != "" {
		t.Errorf("Scan with --task-dir: stale PIDs (-want +got):\n%s", diff)
	}
}

// A runtime that lists none of the pods running here (Docker answering
// beside a containerd it cannot see) must not make every pod stale.
func TestScanFixtureWrongRuntime(t *testing.T) {
	inv := fixtureInventory()
	inv.Sources = []string{node.SourceDocker, node.SourceCgroup}
	inv.Runtime = ""
	for i := range inv.Pods {
		inv.Pods[i].Sources = []string{node.SourceCgroup}
	}
	res, err := Scan(inv, Options{ProcRoot: "testdata/proc", HostRoot: "testdata/host"})
	if err != nil {
		t.Fatal(err)
	}
	if res.RuntimeAsked || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "lists none of the pods") {
		t.Errorf("RuntimeAsked %v, warnings %q: want false and a warning", res.RuntimeAsked, res.Warnings)
	}
	if diff := cmp.Diff([]int{103}, pids(res.Stale)); diff != "" {
		t.Errorf("stale PIDs (-want +got):\n%s", diff)
	}
}

// Processes started after the runtime answered are not judged.
func TestScanAskedAt(t *testing.T) {
	res, err := Scan(fixtureInventory(), Options{ProcRoot: "testdata/proc", HostRoot: "testdata/host", AskedAt: 2060})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{103, 203}, pids(res.Stale)); diff != "" {
		t.Errorf("stale PIDs (-want +got):\n%s", diff)
	}
}

func TestKubepodsRoot(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{cgA + "/cri-containerd-" + ctrA + ".scope", "/kubepods.slice"},
		{"/ndreal-r1/kubepods/besteffort/pod" + uidA + "/" + ctrA, "/ndreal-r1/kubepods"},
		{"/kubepods/pod" + uidA + "/" + ctrA, "/kubepods"},
		{"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" + strings.ReplaceAll(uidA, "-", "_") + ".slice/x.scope", "/kubelet.slice/kubelet-kubepods.slice"},
		{"/user.slice", ""},
	} {
		if got := kubepodsRoot(tc.in); got != tc.want {
			t.Errorf("kubepodsRoot(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseNSLink(t *testing.T) {
	for in, want := range map[string]uint64{"net:[4026531840]": 4026531840, "net:[]": 0, "mnt:[1]": 0, "net:[0]": 0, "net:[12": 0} {
		got, ok := parseNSLink(in)
		if got != want || ok != (want != 0) {
			t.Errorf("parseNSLink(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}
