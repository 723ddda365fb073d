package node

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeProc builds a procfs look-alike: PID/cgroup, PID/stat, PID/cmdline and
// PID/ns/net, a symlink to one file per "netns" so processes share inodes.
type fakeProc struct {
	t    *testing.T
	root string
}

func newFakeProc(t *testing.T) *fakeProc {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "netns"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeProc{t, root}
}

func (f *fakeProc) add(pid int, comm, cgroup, netns string, start int) {
	dir := filepath.Join(f.root, strconv.Itoa(pid))
	must := func(err error) {
		if err != nil {
			f.t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "ns"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "cgroup"), []byte(cgroup+"\n"), 0o644))
	stat := strconv.Itoa(pid) + " (" + comm + ") S 1 " + strings.Repeat("0 ", 17) + strconv.Itoa(start) + " 0 0\n"
	must(os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644))
	must(os.WriteFile(filepath.Join(dir, "cmdline"), []byte(comm+"\x00--flag\x00"), 0o644))
	target := filepath.Join(f.root, "netns", netns)
	if _, err := os.Stat(target); err != nil {
		must(os.WriteFile(target, nil, 0o644))
	}
	must(os.Symlink(target, filepath.Join(dir, "ns", "net")))
}

func (f *fakeProc) inode(netns string) uint64 {
	ref, err := statNetNS(filepath.Join(f.root, "netns", netns))
	if err != nil {
		f.t.Fatal(err)
	}
	return ref.Inode
}

// copyTree copies the kubelet fixture host root.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

const (
	uidEtcd  = "6ec5f2cd46c3b0f8a54ab9f1c1f5e0a8"
	ctEtcd   = "5555555555555555555555555555555555555555555555555555555555555555"
	ctStale  = "4444444444444444444444444444444444444444444444444444444444444444"
	uidOther = "99999999-0000-4000-8000-000000000009"
)

// TestLoadMerge runs Load on fixtures only (fake CRI, fake /proc, kubelet
// files; no netns scan), so it needs no privilege.
func TestLoadMerge(t *testing.T) {
	root := t.TempDir()
	copyTree(t, filepath.Join("testdata", "kubelet", "hostroot"), root)
	serveCRI(t, filepath.Join(root, "run", "containerd", "containerd.sock"), newFakeCRI(t))

	fp := newFakeProc(t)
	web := "/kubepods/burstable/pod" + uidWeb + "/"
	fp.add(41230, "pause", "0::"+web+sbWeb, "web", 100)
	fp.add(41302, "nginx", "0::"+web+ctNginx, "web", 110)
	fp.add(41303, "nginx", "0::"+web+ctNginx, "web", 111)
	fp.add(41400, "python3", "0::"+web+ctStale, "web", 120) // a container CRI no longer lists
	fp.add(812, "pause", "0::/kubepods/besteffort/pod"+uidProx+"/"+sbProxy, "node", 10)
	fp.add(900, "kube-proxy", "0::/kubepods/besteffort/pod"+uidProx+"/"+ctProxy, "node", 11)
	fp.add(5000, "etcd", "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"+uidEtcd+".slice/cri-containerd-"+ctEtcd+".scope", "etcd", 50)
	fp.add(1, "init", "0::/init.scope", "node", 1)
	fp.add(600, "kubelet", "0::/system.slice/kubelet.service", "node", 5)

	inv, err := Load(context.Background(), Options{HostRoot: root, NodeNetNS: "/proc/self/ns/net", ProcRoot: fp.root, NoNetNSScan: true})
	if err != nil {
		t.Fatal(err)
	}
	// The etcd pod is in no runtime's list: cgroup and kubelet files only.
	want := []Pod{
		{Namespace: "default", Name: "web-7d4b9c8f6-x2x9q", UID: uidWeb, IPs: []string{"10.4.1.17", "fd00:10:4::11"}, PID: 41230,
			NetNS: NetNSRef{Inode: fp.inode("web"), Path: "/proc/41230/ns/net"},
			Containers: []Container{
				{ID: ctSide, Name: "istio-proxy", State: "exited", PIDs: []int{}},
				{ID: ctNginx, Name: "nginx", State: "running", PIDs: []int{41302, 41303}},
				{ID: ctStale, State: StateNotInRuntime, PIDs: []int{41400}},
			},
			Sources: []string{SourceCRI, SourceKubelet, SourceCgroup}, SandboxID: sbWeb, SandboxState: "ready"},
		{Namespace: "kube-system", Name: "etcd-node1", UID: uidEtcd, IPs: []string{}, PID: 5000,
			NetNS:      NetNSRef{Inode: fp.inode("etcd"), Path: "/proc/5000/ns/net"},
			Containers: []Container{{ID: ctEtcd, Name: "etcd", PIDs: []int{5000}}},
			Sources:    []string{SourceKubelet, SourceCgroup}},
		{Namespace: "kube-system", Name: "kube-proxy-abcde", UID: uidProx, IPs: []string{"192.0.2.2"}, PID: 812,
			NetNS:      inv.NodeNetNS,
			Containers: []Container{{ID: ctProxy, Name: "kube-proxy", State: "running", PIDs: []int{900}}},
			Sources:    []string{SourceCRI, SourceKubelet, SourceCgroup}, SandboxID: sbProxy, SandboxState: "ready", HostNetwork: true},
	}
	ignoreDev := cmp.Transformer("nodev", func(r NetNSRef) NetNSRef { r.Dev = 0; return r })
	if diff := cmp.Diff(want, inv.Pods, ignoreDev); diff != "" {
		t.Errorf("Load pods (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{SourceCRI, SourceKubelet, SourceCgroup}, inv.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if inv.Runtime != "containerd v1.6.20" {
		t.Errorf("runtime %q", inv.Runtime)
	}
	var pids []int
	for _, p := range inv.Processes {
		pids = append(pids, p.PID)
	}
	if diff := cmp.Diff([]int{812, 900, 5000, 41230, 41302, 41303, 41400}, pids); diff != "" {
		t.Errorf("processes (-want +got):\n%s", diff)
	}
	if p := inv.Processes[len(inv.Processes)-1]; p.Comm != "python3" || p.Cmdline != "python3 --flag" || p.StartTime != 120 || p.PPID != 1 || p.ContainerID != ctStale {
		t.Errorf("process 41400 = %+v", p)
	}

	// Selectors against the merged inventory.
	for sel, want := range map[Selector]string{
		{PodIP: "10.4.1.17"}:      "default/web-7d4b9c8f6-x2x9q",
		{PID: 41400}:              "default/web-7d4b9c8f6-x2x9q",
		{Pod: "etcd-node1"}:       "kube-system/etcd-node1",
		{PodUID: uidProx}:         "kube-system/kube-proxy-abcde",
		{Pod: "kube-proxy-abcde"}: "kube-system/kube-proxy-abcde",
	} {
		p, err := inv.Resolve(sel)
		if err != nil {
			t.Errorf("Resolve(%v): %v", sel, err)
			continue
		}
		if p.FullName() != want {
			t.Errorf("Resolve(%v) = %s, want %s", sel, p.FullName(), want)
		}
	}
}

// TestLoadNoRuntime: without any runtime socket the cgroups and kubelet's
// files still find the pods, and a warning says why CRI is missing.
func TestLoadNoRuntime(t *testing.T) {
	root := t.TempDir()
	copyTree(t, filepath.Join("testdata", "kubelet", "hostroot"), root)
	fp := newFakeProc(t)
	fp.add(41302, "nginx", "0::/kubepods/burstable/pod"+uidWeb+"/"+ctNginx, "web", 110)
	inv, err := Load(context.Background(), Options{HostRoot: root, NodeNetNS: "/proc/self/ns/net", ProcRoot: fp.root, NoNetNSScan: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Pods) != 1 {
		t.Fatalf("pods: %+v", inv.Pods)
	}
	p := inv.Pods[0]
	if p.Name != "web-7d4b9c8f6-x2x9q" || p.Namespace != "default" || p.PID != 41302 {
		t.Errorf("pod = %+v", p)
	}
	// kubelet's etc-hosts gives the IPs when nothing else does.
	if diff := cmp.Diff([]string{"10.4.1.17", "fd00:10:4::11"}, p.IPs); diff != "" {
		t.Errorf("IPs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{SourceKubelet, SourceCgroup}, inv.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if len(inv.Warnings) == 0 || !strings.Contains(inv.Warnings[0], "no runtime socket") {
		t.Errorf("warnings = %q", inv.Warnings)
	}

	// NoRuntime: no CRI warning at all.
	inv, err = Load(context.Background(), Options{HostRoot: root, NodeNetNS: "/proc/self/ns/net", ProcRoot: fp.root, NoNetNSScan: true, NoRuntime: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) != 0 {
		t.Errorf("NoRuntime warnings = %q", inv.Warnings)
	}
}

func TestLoadBadNodeNetNS(t *testing.T) {
	_, err := Load(context.Background(), Options{NodeNetNS: "/nonexistent", ProcRoot: t.TempDir(), NoNetNSScan: true})
	if err == nil || !strings.Contains(err.Error(), "--node-netns") {
		t.Errorf("Load with a bad node netns: %v", err)
	}
}
