package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/stale"
)

func TestStaleUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stale-container", "scan", "extra"}, "takes no arguments"},
		{[]string{"stale-container", "scan", "--port", "70000"}, "--port 70000"},
		{[]string{"stale-container", "scan", "--port", "0"}, "--port 0"},
		{[]string{"stale-container", "scan", "--yes"}, "--yes only goes with --kill"},
		{[]string{"stale-container", "scan", "--kill", "--grace", "0s"}, "--grace"},
		{[]string{"stale-container", "scan", "--pod-ip", "nonsense"}, "not an IP"},
	} {
		code, _, stderr := run(t, "", tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, ExitUsage, tc.want)
		}
	}
}

// cgroupMounts maps each cgroup hierarchy, as /proc/PID/cgroup names it
// ("pids", "name=systemd", "" for v2), to where it is mounted.
func cgroupMounts(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 4 {
			continue
		}
		switch fs[2] {
		case "cgroup2":
			out[""] = fs[1]
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(fs[3], ",") {
				switch o {
				case "rw", "ro", "nosuid", "nodev", "noexec", "relatime", "clone_children":
				default:
					if !strings.Contains(o, "=") || strings.HasPrefix(o, "name=") {
						ctrls = append(ctrls, o)
					}
				}
			}
			out[strings.Join(ctrls, ",")] = fs[1]
		}
	}
	return out
}

// startLeftover starts, as a container's left-behind process would be, a
// listener on port in the pod of sandbox process pausePID: in its network,
// mount, UTS and IPC namespaces, in a cgroup named after containerID beside
// the sandbox's (REALNODE-NOTES.md). It returns the PID; the process is
// killed when the test ends.
func startLeftover(t *testing.T, pausePID int, containerID string, port int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pausePID) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	mounts := cgroupMounts(t)
	var procs []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || strings.Contains(","+parts[1]+",", ",cpuset,") {
			continue // a new cpuset cgroup is unusable until cpus and mems are set
		}
		mnt, ok := mounts[parts[1]]
		if !ok {
			continue
		}
		dir := filepath.Join(mnt, filepath.Dir(parts[2]), containerID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, filepath.Join(dir, "cgroup.procs"))
	}
	if len(procs) == 0 {
		t.Fatalf("no cgroup hierarchy of process %d found among %v", pausePID, mounts)
	}
	script := `for f in "$@"; do echo $$ >"$f" || exit 1; done; exec nsenter -t ` + strconv.Itoa(pausePID) +
		` -n -m -u -i -- /bin/busybox httpd -f -p ` + strconv.Itoa(port)
	cmd := exec.Command("sh", append([]string{"-c", script, "sh"}, procs...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	// Until it listens: its fd table holds a socket.
	for deadline := time.Now().Add(20 * time.Second); ; {
		select {
		case <-done:
			t.Fatalf("leftover listener %d exited early", pid)
		default:
		}
		if fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd"); hasSocket(pid, fds) {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("leftover listener %d did not start listening within 20s", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasSocket(pid int, fds []os.DirEntry) bool {
	for _, fd := range fds {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && strings.HasPrefix(l, "socket:") {
			return true
		}
	}
	return false
}

// waitContainer polls CRI until the container reaches state, or fails.
func waitContainer(t *testing.T, n *testlab.RealNode, sandboxID, id, state string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		for _, c := range n.Containers(t, sandboxID) {
			if c.ID == id && c.State == state {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s did not become %s within 60s: %+v", id, state, n.Containers(t, sandboxID))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func alivePID(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Z: a zombie; X: being reaped right now (the test's goroutine waits).
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && len(b) > i+2 && b[i+2] != 'Z' && b[i+2] != 'X'
}

type staleJSON struct {
	Stale        []stale.Group  `json:"stale"`
	RuntimeAsked bool           `json:"runtimeAsked"`
	Killed       []stale.Action `json:"killed"`
	Warnings     []string       `json:"warnings"`
}

// The guides' case on a real containerd: a container removed through CRI
// left a process listening on :8080 in the pod netns, so the pod's next
// container fails with "bind: Address already in use".
func TestStaleRealNode(t *testing.T) {
	testlab.RequireRoot(t)
	testlab.RequireTool(t, "curl", "nsenter", "sh")
	n := testlab.NewRealNode(t, 2)
	sick, healthy := n.Pods[0], n.Pods[1]
	app := sick.Containers[0]
	port := n.HTTPPort
	n.RemoveContainer(t, app.ID)
	left := startLeftover(t, sick.PID, app.ID, port)

	// The symptom: a new container in that pod cannot bind the port.
	c := n.RunContainer(t, sick.SandboxID, "app2", "httpd", "-f", "-p", strconv.Itoa(port))
	waitContainer(t, n, sick.SandboxID, c.ID, "exited")
	logf := filepath.Join(n.HostRoot, "var/log/pods", sick.Namespace+"_"+sick.Name+"_"+sick.UID, "app2", "0.log")
	if b, err := os.ReadFile(logf); err != nil || !strings.Contains(string(b), "Address already in use") {
		t.Fatalf("container app2 log %s (err %v) lacks the bind error:\n%s", logf, err, b)
	}

	args := func(more ...string) []string { return append(append(n.NetdiagArgs(), "-o", "json"), more...) }

	// The scan reports exactly the leftover and its port.
	code, out, stderr := run(t, "", args("stale-container", "scan")...)
	if code != ExitProblems {
		t.Fatalf("scan: exit %d, want %d; stderr:\n%s\n%s", code, ExitProblems, stderr, out)
	}
	var got staleJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("scan output: %v\n%s", err, out)
	}
	if !got.RuntimeAsked || len(got.Stale) != 1 {
		t.Fatalf("scan: runtimeAsked %v, %d groups, want true and 1:\n%s", got.RuntimeAsked, len(got.Stale), out)
	}
	g := got.Stale[0]
	for _, l := range g.Listening {
		if l.Address != "0.0.0.0" && l.Address != "::" {
			t.Errorf("listening address %q, want a wildcard", l.Address)
		}
		l.Address = ""
	}
	type short struct {
		Namespace, Pod, PodUID, ContainerID, Reason string
		PIDs                                        []int
		Listening                                   []string
	}
	gs := short{g.Namespace, g.Pod, g.PodUID, g.ContainerID, g.Reason, g.PIDs, nil}
	for _, l := range g.Listening {
		gs.Listening = append(gs.Listening, fmt.Sprintf("%s/%d by %d", l.Proto, l.Port, l.PID))
	}
	want := short{sick.Namespace, sick.Name, sick.UID, app.ID, stale.ReasonNotInRuntime, []int{left}, []string{fmt.Sprintf("tcp/%d by %d", port, left)}}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("scan (-want +got):\n%s", diff)
	}
	if len(g.Processes) != 1 || !strings.Contains(g.Processes[0].Cmdline, "httpd -f -p") || g.Processes[0].StartTime == 0 {
		t.Errorf("scan: processes %+v, want the httpd with its start time", g.Processes)
	}

	// The table says the same.
	code, out, stderr = run(t, "", append(n.NetdiagArgs(), "stale-container", "scan")...)
	t.Logf("table:\n%s%s", out, stderr)
	for _, want := range []string{strconv.Itoa(left), stale.ReasonNotInRuntime, ":" + strconv.Itoa(port), sick.Name, app.ID[:12]} {
		if code != ExitProblems || !strings.Contains(out, want) {
			t.Errorf("scan table: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}

	// The healthy pod alone: nothing, exit 0.
	code, out, stderr = run(t, "", args("stale-container", "scan", "--pod", healthy.Namespace+"/"+healthy.Name)...)
	if code != ExitOK || !strings.Contains(out, `"stale": []`) {
		t.Errorf("scan of the healthy pod: exit %d, want 0 and no stale; stderr %s\n%s", code, stderr, out)
	}

	// --port: every holder of the port, and whether the runtime knows it.
	code, out, stderr = run(t, "", args("stale-container", "scan", "--port", strconv.Itoa(port))...)
	var holders struct {
		Holders []stale.Holder `json:"holders"`
	}
	if err := json.Unmarshal([]byte(out), &holders); err != nil || code != ExitProblems {
		t.Fatalf("--port: exit %d (want 3), %v; stderr %s\n%s", code, err, stderr, out)
	}
	var hs []string
	for _, h := range holders.Holders {
		hs = append(hs, fmt.Sprintf("%s pid=%d known=%v state=%s stale=%v", h.Pod, h.PID, h.RuntimeKnows, h.ContainerState, h.Stale))
	}
	wantHolders := []string{
		fmt.Sprintf("%s pid=%d known=false state=not-in-runtime stale=true", sick.Name, left),
		fmt.Sprintf("%s pid=%d known=true state=running stale=false", healthy.Name, healthy.Containers[0].PID),
	}
	if diff := cmp.Diff(wantHolders, hs); diff != "" {
		t.Errorf("--port holders (-want +got):\n%s", diff)
	}

	// Without the runtime, judged from containerd's task directories.
	noRT := []string{"--runtime-endpoint", "unix://" + filepath.Join(n.Dir, "no-such.sock"), "--node-netns", n.NodeNetNS, "--host-root", n.HostRoot, "-o", "json",
		"stale-container", "scan", "--task-dir", filepath.Join(n.Dir, "state/io.containerd.runtime.v2.task/k8s.io")}
	code, out, stderr = run(t, "", noRT...)
	got = staleJSON{}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != ExitProblems {
		t.Fatalf("scan without runtime: exit %d (want 3), %v; stderr %s\n%s", code, err, stderr, out)
	}
	if len(got.Stale) != 1 || got.RuntimeAsked || got.Stale[0].Reason != stale.ReasonNoTaskState || !cmp.Equal(got.Stale[0].PIDs, []int{left}) {
		t.Errorf("scan without runtime: want only %d, %s:\n%s", left, stale.ReasonNoTaskState, out)
	}
	if !strings.Contains(stderr, "could not be asked") {
		t.Errorf("scan without runtime does not say so on stderr: %q", stderr)
	}

	// A "no" on the terminal keeps everything running and exits 1; a "y"
	// piped in without a terminal is refused (exit 2).
	code, out, stderr = runTTY(t, "n\n", append(n.NetdiagArgs(), "stale-container", "scan", "--kill")...)
	t.Logf("--kill answered no:\n%s%s", out, stderr)
	if code != ExitError || !alivePID(left) || !strings.Contains(stderr, "[y/N]") || !strings.Contains(stderr, "netdiag: declined: nothing signalled") {
		t.Fatalf("--kill answered no: exit %d, alive %v, stderr %q", code, alivePID(left), stderr)
	}
	code, _, stderr = run(t, "y\n", append(n.NetdiagArgs(), "stale-container", "scan", "--kill")...)
	if code != ExitUsage || !alivePID(left) || !strings.Contains(stderr, "--yes") {
		t.Fatalf("--kill with a piped yes: exit %d, alive %v, stderr %q", code, alivePID(left), stderr)
	}

	// --kill --yes ends it.
	code, out, stderr = run(t, "", args("stale-container", "scan", "--kill", "--yes", "--grace", "5s")...)
	got = staleJSON{}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != ExitOK {
		t.Fatalf("--kill --yes: exit %d (want 0), %v; stderr %s\n%s", code, err, stderr, out)
	}
	if len(got.Killed) != 1 || got.Killed[0].PID != left || got.Killed[0].Outcome != stale.OutcomeTerminated {
		t.Errorf("--kill --yes: killed %+v, want %d terminated", got.Killed, left)
	}
	if alivePID(left) {
		t.Fatalf("leftover %d still runs after --kill --yes", left)
	}

	// And the pod's next container starts and serves.
	c3 := n.RunContainer(t, sick.SandboxID, "app3", "sh", "-c", "echo fixed >/tmp/index.html; exec httpd -f -p "+strconv.Itoa(port)+" -h /tmp")
	waitContainer(t, n, sick.SandboxID, c3.ID, "running")
	var body string
	for i := 0; i < 50; i++ {
		b, err := exec.Command("nsenter", "--net="+n.NodeNetNS, "curl", "-sS", "--max-time", "2", "http://"+sick.IP+":"+strconv.Itoa(port)+"/").CombinedOutput()
		body = string(b)
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if body != "fixed\n" {
		t.Errorf("new container answered %q, want %q", body, "fixed\n")
	}
	code, out, _ = run(t, "", args("stale-container", "scan")...)
	if code != ExitOK {
		t.Errorf("scan after the fix: exit %d, want 0:\n%s", code, out)
	}

	// A sandbox removed through CRI while a process remains in its netns.
	other := strings.Repeat("ab", 32)
	left2 := startLeftover(t, healthy.PID, other, port+1)
	removeSandbox(t, n, healthy.SandboxID)
	if !alivePID(left2) {
		t.Fatalf("the process left in pod %s did not survive its sandbox's removal", healthy.Name)
	}
	code, out, stderr = run(t, "", args("stale-container", "scan")...)
	got = staleJSON{}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != ExitProblems {
		t.Fatalf("scan after sandbox removal: exit %d (want 3), %v; stderr %s\n%s", code, err, stderr, out)
	}
	if len(got.Stale) != 1 {
		t.Fatalf("scan after sandbox removal: %d groups, want 1:\n%s", len(got.Stale), out)
	}
	g = got.Stale[0]
	gs = short{g.Namespace, g.Pod, g.PodUID, g.ContainerID, g.Reason, g.PIDs, nil}
	for _, l := range g.Listening {
		gs.Listening = append(gs.Listening, fmt.Sprintf("%s/%d by %d", l.Proto, l.Port, l.PID))
	}
	want = short{healthy.Namespace, healthy.Name, healthy.UID, other, stale.ReasonSandboxGone, []int{left2}, []string{fmt.Sprintf("tcp/%d by %d", port+1, left2)}}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("scan after sandbox removal (-want +got):\n%s", diff)
	}
	// The pod is in no source but its process's cgroup: --pod-uid still finds it.
	code, out, stderr = run(t, "", args("stale-container", "scan", "--pod-uid", healthy.UID, "--kill", "--yes", "--grace", "5s")...)
	got = staleJSON{}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != ExitOK || len(got.Killed) != 1 || alivePID(left2) {
		t.Errorf("--pod-uid --kill --yes after sandbox removal: exit %d, %v, alive %v; stderr %s\n%s", code, err, alivePID(left2), stderr, out)
	}
}

// removeSandbox stops and removes a pod sandbox through CRI, as kubelet does
// when a pod is deleted.
func removeSandbox(t *testing.T, n *testlab.RealNode, id string) {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+n.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rs := cri.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := rs.StopPodSandbox(ctx, &cri.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		t.Fatalf("CRI StopPodSandbox %s: %v", id, err)
	}
	if _, err := rs.RemovePodSandbox(ctx, &cri.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
		t.Fatalf("CRI RemovePodSandbox %s: %v", id, err)
	}
}
