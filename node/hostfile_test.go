package node

import (
	"context"
	"os"
	"path/filepath"
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
