package testlab

import (
	"os"
	"strings"
	"testing"
)

func TestRealNode(t *testing.T) {
	RequireRoot(t)
	RequireTool(t, "curl")
	n := NewRealNode(t, 2)

	for _, p := range n.Pods {
		if p.State != "ready" || p.IP == "" || p.PID == 0 || p.NetNS == "" {
			t.Fatalf("pod %s: incomplete state %+v", p.Name, p)
		}
		if len(p.Containers) != 1 || p.Containers[0].State != "running" {
			t.Fatalf("pod %s: containers %+v, want one running", p.Name, p.Containers)
		}
		// Bounded: one request, two seconds.
		body := n.NodeExec(t, "curl", "-sS", "--max-time", "2", "http://"+p.IP+":8080/")
		if body != p.Name+"\n" {
			t.Errorf("pod %s: http://%s:8080/ answered %q, want %q", p.Name, p.IP, body, p.Name+"\n")
		}
		if a, b := inode(t, "/proc/"+itoa(p.PID)+"/ns/net"), inode(t, p.NetNS); a != b {
			t.Errorf("pod %s: sandbox pid %d in netns inode %d, CRI's netns %s has %d", p.Name, p.PID, a, p.NetNS, b)
		}
		for pid, id := range map[int]string{p.PID: p.SandboxID, p.Containers[0].PID: p.Containers[0].ID} {
			cg, err := os.ReadFile("/proc/" + itoa(pid) + "/cgroup")
			if want := "/kubepods/besteffort/pod" + p.UID + "/" + id; err != nil || !strings.Contains(string(cg), want) {
				t.Errorf("pod %s: /proc/%d/cgroup lacks %s (err %v):\n%s", p.Name, pid, want, err, cg)
			}
		}
		if got := strings.TrimSpace(n.PodExec(t, p, "hostname")); got != p.Name {
			t.Errorf("pod %s: hostname inside the pod = %q", p.Name, got)
		}
	}
	if got := n.ListPods(t); len(got) != len(n.Pods) {
		t.Errorf("CRI lists %d pods, want %d", len(got), len(n.Pods))
	}

	// A second container in an existing pod, then removed as kubelet would.
	p := n.Pods[0]
	c := n.RunContainer(t, p.SandboxID, "extra")
	if c.PID == 0 || c.ID == "" {
		t.Fatalf("RunContainer: %+v", c)
	}
	cs := n.Containers(t, p.SandboxID)
	if len(cs) != 2 {
		t.Errorf("pod %s has %d containers after RunContainer, want 2: %+v", p.Name, len(cs), cs)
	}
	n.RemoveContainer(t, c.ID)
	for _, x := range n.Containers(t, p.SandboxID) {
		if x.ID == c.ID {
			t.Errorf("container %s still listed after RemoveContainer", c.ID)
		}
	}
	if running(c.PID, c.ID) {
		t.Errorf("container %s process %d still runs after RemoveContainer", c.ID, c.PID)
	}
	if st := n.PodStatus(t, p.SandboxID); st["info"] == nil {
		t.Errorf("PodStatus has no verbose info: %v", st)
	}

	n.Down(t)
	if running(n.ContainerdPID, "") {
		t.Errorf("containerd %d still runs after down", n.ContainerdPID)
	}
	for _, p := range n.Pods {
		if running(p.PID, p.UID) {
			t.Errorf("pod %s sandbox process %d still runs after down", p.Name, p.PID)
		}
	}
	for _, path := range []string{n.Dir, n.NodeNetNS, "/sys/fs/cgroup/pids" + n.CgroupRoot, "/sys/fs/cgroup/unified" + n.CgroupRoot} {
		if _, err := os.Stat(path); err == nil {
			t.Errorf("after down: %s still exists", path)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), n.Dir+"/") {
		t.Errorf("after down: mounts under %s remain", n.Dir)
	}
}
