package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadFIFOHostFiles: kubelet's directories and a pod's etc-hosts that
// are FIFOs must not hang Load; the pod is still found by its cgroup.
func TestLoadFIFOHostFiles(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"var/log", "var/lib/kubelet/pods/" + uidWeb} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"var/log/pods", "var/log/containers", "var/lib/kubelet/pods/" + uidWeb + "/etc-hosts"} {
		if err := syscall.Mkfifo(filepath.Join(root, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fp := newFakeProc(t)
	fp.add(200, "nginx", "0::/kubepods/besteffort/pod"+uidWeb+"/"+ctNginx, "web", 10)
	done := make(chan error, 1)
	var inv *Inventory
	go func() {
		var err error
		inv, err = Load(context.Background(), Options{HostRoot: root, NodeNetNS: "/proc/self/ns/net", ProcRoot: fp.root, NoNetNSScan: true, NoRuntime: true})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load still running after 10s")
	}
	if len(inv.Pods) != 1 || inv.Pods[0].UID != uidWeb || inv.Pods[0].PID != 200 {
		t.Errorf("pods = %+v", inv.Pods)
	}
}

// TestNodeFilesFIFO: the node name, pod ranges and daemon config files read
// from a host root whose files are FIFOs or links to devices: nothing hangs
// or reads on, and the kernel's name stands in for the host name.
func TestNodeFilesFIFO(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc/cni/net.d", "run/flannel", "var/lib/kubelet"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/hostname", "etc/cni/net.d/10-flannel.conflist", "run/flannel/subnet.env", "var/lib/kubelet/config.yaml"} {
		if err := syscall.Mkfifo(filepath.Join(root, f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/dev/zero", filepath.Join(root, "etc/cni/net.d/20-zero.conf")); err != nil {
		t.Fatal(err)
	}
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var kernel []byte
	for _, c := range u.Nodename {
		if c == 0 {
			break
		}
		kernel = append(kernel, byte(c))
	}
	// A daemon whose /proc/PID/root is the host root.
	proc := t.TempDir()
	if err := os.Symlink(root, filepath.Join(proc, "root")); err != nil {
		t.Fatal(err)
	}
	d := &Daemon{PID: 1, Args: []string{"--config=/var/lib/kubelet/config.yaml"}, dir: proc}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if h := hostName(root); h != strings.ToLower(string(kernel)) {
			t.Errorf("hostName = %.40q, want the kernel's %q", h, kernel)
		}
		if r := CNIPodRanges(root); len(r) != 0 {
			t.Errorf("CNIPodRanges = %+v, want none", r)
		}
		if r := flannelSubnet(root); len(r) != 0 {
			t.Errorf("flannelSubnet = %+v, want none", r)
		}
		if v, src := d.Setting("cluster-domain", "clusterDomain", root); v != "" {
			t.Errorf("Setting from a FIFO config = %q (%s)", v, src)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still reading after 10s")
	}
}
