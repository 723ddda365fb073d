package cli

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/node"
)

// hostVethOf asks the kernel for the node side of a pod's eth0: eth0's peer
// index (eth0@ifN) inside the pod, then that index in the node netns.
func hostVethOf(t *testing.T, n *testlab.RealNode, podNetNS string) (name, master string) {
	t.Helper()
	out := testlab.NSEnter(t, podNetNS, "ip", "-o", "link", "show", "dev", "eth0")
	m := regexp.MustCompile(`eth0@if(\d+):`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no peer index in %q", out)
	}
	out = n.NodeExec(t, "ip", "-o", "link", "show")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.TrimSuffix(f[0], ":") != m[1] {
			continue
		}
		name, _, _ = strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if i := slices.Index(f, "master"); i >= 0 && i+1 < len(f) {
			master = f[i+1]
		}
		return name, master
	}
	t.Fatalf("index %s not in node netns:\n%s", m[1], out)
	return "", ""
}

// TestPodsRealNode compares `netdiag pods` against a real containerd: what
// CRI reports (names, UID, IP, sandbox PID, containers) and what the kernel
// reports (netns inode, host veth and its bridge).
func TestPodsRealNode(t *testing.T) {
	n := testlab.NewRealNode(t, 2)
	args := append(n.NetdiagArgs(), "-o", "json", "pods")
	code, stdout, stderr := run(t, "", args...)
	if code != 0 {
		t.Fatalf("netdiag %v: exit %d: %s", args, code, stderr)
	}
	var got struct {
		Pods []node.Pod `json:"pods"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("decode: %v\n%s", err, stdout)
	}
	t.Logf("netdiag pods:\n%s", stdout)
	byUID := map[string]node.Pod{}
	for _, p := range got.Pods {
		byUID[p.UID] = p
	}
	cri := n.ListPods(t)
	if len(cri) != 2 {
		t.Fatalf("CRI lists %d pods, want 2", len(cri))
	}
	if len(got.Pods) != len(cri) {
		t.Errorf("netdiag lists %d pods, CRI %d:\n%s", len(got.Pods), len(cri), stdout)
	}
	for _, rp := range cri {
		p, ok := byUID[rp.UID]
		if !ok {
			t.Errorf("pod %s/%s (%s) missing:\n%s", rp.Namespace, rp.Name, rp.UID, stdout)
			continue
		}
		if p.Namespace != rp.Namespace || p.Name != rp.Name {
			t.Errorf("pod %s: name %s/%s, CRI says %s/%s", rp.UID, p.Namespace, p.Name, rp.Namespace, rp.Name)
		}
		if !slices.Contains(p.IPs, rp.IP) {
			t.Errorf("pod %s: IPs %v, CRI says %s", rp.Name, p.IPs, rp.IP)
		}
		if p.PID != rp.PID {
			t.Errorf("pod %s: pid %d, CRI's sandbox pid %d", rp.Name, p.PID, rp.PID)
		}
		if p.SandboxID != rp.SandboxID {
			t.Errorf("pod %s: sandbox %s, CRI %s", rp.Name, p.SandboxID, rp.SandboxID)
		}
		if want := inodeOf(t, "/proc/"+strconv.Itoa(rp.PID)+"/ns/net"); p.NetNS.Inode != want {
			t.Errorf("pod %s: netns inode %d, kernel says %d", rp.Name, p.NetNS.Inode, want)
		}
		if want := inodeOf(t, rp.NetNS); p.NetNS.Inode != want {
			t.Errorf("pod %s: netns inode %d, containerd's netns file %s has %d", rp.Name, p.NetNS.Inode, rp.NetNS, want)
		}
		veth, master := hostVethOf(t, n, rp.NetNS)
		if p.HostInterface == nil || p.HostInterface.Name != veth || p.HostInterface.Master != master || master != n.Bridge {
			t.Errorf("pod %s: host interface %+v, kernel says %s master %s (bridge %s)", rp.Name, p.HostInterface, veth, master, n.Bridge)
		}
		if p.Interface == nil || p.Interface.Name != "eth0" {
			t.Errorf("pod %s: interface %+v", rp.Name, p.Interface)
		}
		for _, src := range []string{node.SourceCRI, node.SourceCgroup, node.SourceNetNS} {
			if !slices.Contains(p.Sources, src) {
				t.Errorf("pod %s: sources %v lack %s", rp.Name, p.Sources, src)
			}
		}
		for _, rc := range n.Containers(t, rp.SandboxID) {
			i := slices.IndexFunc(p.Containers, func(c node.Container) bool { return c.ID == rc.ID })
			if i < 0 {
				t.Errorf("pod %s: container %s (%s) missing: %+v", rp.Name, rc.Name, rc.ID, p.Containers)
				continue
			}
			c := p.Containers[i]
			if c.Name != rc.Name || c.State != rc.State {
				t.Errorf("pod %s: container %+v, CRI says %s %s", rp.Name, c, rc.Name, rc.State)
			}
			if rc.PID > 0 && !slices.Contains(c.PIDs, rc.PID) {
				t.Errorf("pod %s: container %s PIDs %v lack CRI's %d", rp.Name, rc.Name, c.PIDs, rc.PID)
			}
		}
	}

	// --pod-ip resolution and exec in a real pod's netns.
	rp := cri[0]
	code, stdout, stderr = run(t, "", append(n.NetdiagArgs(), "exec", "--pod-ip", rp.IP, "--", "ip", "-o", "addr", "show", "dev", "eth0")...)
	if code != 0 || !strings.Contains(stdout, "inet "+rp.IP+"/") {
		t.Errorf("exec --pod-ip %s: exit %d\n%s%s", rp.IP, code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "", append(n.NetdiagArgs(), "-v", "pods")...)
	if code != 0 || !strings.Contains(stderr, "sources: [cri") || !strings.Contains(stdout, rp.Name) {
		t.Errorf("pods -v: exit %d\n%s%s", code, stdout, stderr)
	}

	// Without the CRI socket the same pods are still found by netns scan and
	// cgroups, with the same IPs, sandbox PIDs and netns.
	noCRI := []string{"--node-netns", n.NodeNetNS, "--host-root", t.TempDir(), "-o", "json", "pods"}
	code, stdout, stderr = run(t, "", noCRI...)
	if code != 0 {
		t.Fatalf("pods without CRI: exit %d: %s", code, stderr)
	}
	var bare struct {
		Pods []node.Pod `json:"pods"`
	}
	if err := json.Unmarshal([]byte(stdout), &bare); err != nil {
		t.Fatal(err)
	}
	for _, rp := range cri {
		i := slices.IndexFunc(bare.Pods, func(p node.Pod) bool { return p.UID == rp.UID })
		if i < 0 {
			t.Errorf("without CRI: pod %s missing:\n%s", rp.Name, stdout)
			continue
		}
		p := bare.Pods[i]
		if !slices.Contains(p.IPs, rp.IP) || p.NetNS.Inode != inodeOf(t, rp.NetNS) || slices.Contains(p.Sources, node.SourceCRI) {
			t.Errorf("without CRI: pod %s = %+v", rp.Name, p)
		}
		code, stdout, stderr := run(t, "", "--node-netns", n.NodeNetNS, "--host-root", t.TempDir(), "ip", "addr", "--pod-ip", rp.IP)
		if code != 0 || !strings.Contains(stdout, "inet "+rp.IP+"/") {
			t.Errorf("without CRI: ip addr --pod-ip %s: exit %d\n%s%s", rp.IP, code, stdout, stderr)
		}
	}
}
