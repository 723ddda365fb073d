package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netdiag/netdiag/internal/testlab"
)

type ndStale struct {
	Stale []struct {
		Namespace   string `json:"namespace"`
		Pod         string `json:"pod"`
		ContainerID string `json:"containerId"`
		PIDs        []int  `json:"pids"`
		Listening   []struct {
			Proto   string `json:"proto"`
			Address string `json:"address"`
			Port    int    `json:"port"`
		} `json:"listening"`
		Reason string `json:"reason"`
	} `json:"stale"`
}

func staleScan(t *testing.T, l *testlab.K8sLab, i int, args ...string) (ndStale, int) {
	t.Helper()
	stdout, stderr, code := l.Netdiag(t, i, netdiag(t), append([]string{"stale-container", "scan", "-o", "json"}, args...)...)
	var r ndStale
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stale-container scan (exit %d): %v\n%s%s", code, err, stdout, stderr)
	}
	return r, code
}

// TestRealClusterStaleContainer: a container's process is kept alive after
// the container died, holding its port; the kubelet's next container then
// fails with "bind: Address already in use". netdiag finds the leftover
// (and nothing on a healthy node), doctor reports it, and --kill frees the
// port so that the kubelet's next container serves.
func TestRealClusterStaleContainer(t *testing.T) {
	l := cluster(t)
	ndlab := testlab.NDLab(t)
	for _, n := range l.Nodes {
		if r, code := staleScan(t, l, n.Index); len(r.Stale) > 0 || code != 0 {
			t.Fatalf("healthy %s: stale-container scan exit %d: %+v", n.Name, code, r.Stale)
		}
	}

	l.Apply(t, strings.ReplaceAll(`
apiVersion: v1
kind: Pod
metadata: {name: victim, namespace: nd-e2e}
spec:
  nodeName: nd-node1
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: IMAGE
    imagePullPolicy: Never
    command: [httpd, -f, -p, "8080", -h, /tmp]
`, "IMAGE", l.Image))
	defer l.Kubectl(t, "-n", ns, "delete", "pod", "victim", "--wait=false")
	l.Kubectl(t, "-n", ns, "wait", "--for=condition=Ready", "pod/victim", "--timeout=120s")
	var api apiPod
	l.KubectlJSON(t, &api, "-n", ns, "get", "pod", "victim")
	victim := labPod{Name: "victim", UID: api.Metadata.UID}
	sandbox := strconv.Itoa(podPID(t, l, 1, victim))
	httpd := containerPID(t, l, 1, victim.UID, "app")
	cgroups := cgroupsOf(t, httpd)

	// The container dies; a process of it lives on, outside the container's
	// PID namespace, in the container's cgroup, holding :8080 in the pod.
	if err := syscall.Kill(httpd, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The port is free once the process is gone, a second or more before
	// the kubelet restarts the container.
	testlab.WaitFor(t, "the port free", 5*time.Second, func() bool {
		out := testlab.Run(t, "nsenter", "-t", sandbox, "-n", "ss", "-Hltn", "sport = :8080")
		return strings.TrimSpace(out) == ""
	})
	stop := background(t, "nsenter", "-t", sandbox, "-n", ndlab, "listen", "--addr", "0.0.0.0:8080", "--backlog", "16")
	defer stop()
	var stray int
	testlab.WaitFor(t, "the leftover listener", 10*time.Second, func() bool {
		out := testlab.Run(t, "nsenter", "-t", sandbox, "-n", "ss", "-Hltnp", "sport = :8080")
		if i := strings.Index(out, "pid="); i >= 0 && strings.Contains(out, "ndlab") {
			stray, _ = strconv.Atoi(strings.FieldsFunc(out[i+4:], func(r rune) bool { return r < '0' || r > '9' })[0])
		}
		return stray > 0
	})
	moved := 0
	for _, cg := range cgroups {
		// runc may have removed the dead container's cgroup already.
		if os.MkdirAll(cg, 0o755) == nil && os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(stray)), 0o644) == nil {
			moved++
		}
	}
	if moved == 0 {
		t.Fatalf("could not move the leftover into any of %v", cgroups)
	}
	// The kubelet restarts the container, which cannot bind.
	testlab.WaitFor(t, "the new container failing to bind", 90*time.Second, func() bool {
		logs, _ := l.Command(t, context.Background(), 1, "sh", "-c", "cat /var/log/pods/"+ns+"_victim_"+victim.UID+"/app/*.log").Output()
		return strings.Contains(string(logs), "Address already in use")
	})

	r, code := staleScan(t, l, 1)
	found := false
	for _, s := range r.Stale {
		for _, p := range s.PIDs {
			if p == stray && s.Pod == "victim" && s.Namespace == ns && listens(s.Listening, 8080) {
				found = true
			}
		}
	}
	if !found || code != 3 {
		t.Fatalf("stale-container scan (exit %d) did not find pid %d holding :8080 in %s/victim: %+v", code, stray, ns, r.Stale)
	}
	d, _ := doctor(t, l, 1)
	reported := false
	for _, f := range d.Findings {
		if f.Check == "stale-container" && f.Severity == "fail" && strings.Contains(fmt.Sprint(f.Evidence["pod"]), "victim") {
			reported = true
		}
	}
	if !reported {
		t.Errorf("doctor did not report the stale container: %+v", d.Findings)
	}

	if _, code := staleScan(t, l, 1, "--kill", "--yes"); code != 0 && code != 3 {
		t.Fatalf("stale-container scan --kill --yes: exit %d", code)
	}
	testlab.WaitFor(t, "the leftover to end", 10*time.Second, func() bool {
		// It is this test's child: once killed, a zombie until reaped.
		b, err := os.ReadFile("/proc/" + strconv.Itoa(stray) + "/stat")
		return err != nil || strings.Contains(string(b), ") Z ")
	})
	l.Kubectl(t, "-n", ns, "wait", "--for=condition=Ready", "pod/victim", "--timeout=120s")
	if r, _ := staleScan(t, l, 1); len(r.Stale) > 0 {
		t.Errorf("after --kill: still stale: %+v", r.Stale)
	}
}

func listens(ls []struct {
	Proto   string `json:"proto"`
	Address string `json:"address"`
	Port    int    `json:"port"`
}, port int) bool {
	for _, l := range ls {
		if l.Port == port {
			return true
		}
	}
	return false
}

// containerPID is the first process of the named container of a pod, as
// netdiag pods reports it.
func containerPID(t *testing.T, l *testlab.K8sLab, i int, uid, name string) int {
	t.Helper()
	for _, p := range netdiagPods(t, l, i) {
		for _, c := range p.Containers {
			if p.UID == uid && c.Name == name && len(c.PIDs) > 0 {
				return c.PIDs[0]
			}
		}
	}
	t.Fatalf("no process of container %s of pod %s", name, uid)
	return 0
}

// cgroupsOf is the cgroup directory of a process in every hierarchy.
func cgroupsOf(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, m := range strings.Split(string(mounts), "\n") {
			f := strings.Fields(m)
			sep := 0
			for j, x := range f {
				if x == "-" {
					sep = j
				}
			}
			if sep == 0 || sep+3 >= len(f) {
				continue
			}
			fstype, opts := f[sep+1], f[sep+3]
			ok := (parts[0] == "0" && fstype == "cgroup2") ||
				(fstype == "cgroup" && parts[1] != "" && hasAll(opts, strings.Split(parts[1], ",")))
			if ok && !strings.Contains(parts[1], "name=") && !strings.Contains(parts[1], "cpuset") {
				out = append(out, filepath.Join(f[4], parts[2]))
				break
			}
		}
	}
	return out
}

func hasAll(opts string, want []string) bool {
	have := map[string]bool{}
	for _, o := range strings.Split(opts, ",") {
		have[o] = true
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}
