package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

// TestHostNetworkIPs: a host-network pod has the node's address, as the
// kubelet reports it: its --node-ip, else the default route's interface.
func TestHostNetworkIPs(t *testing.T) {
	a, b := testlab.NewNetNS(t), testlab.NewNetNS(t)
	testlab.VethPair(t, a, "198.18.7.2/24", b, "198.18.7.1/24")
	testlab.VethPair(t, a, "198.18.8.2/24", b, "198.18.8.1/24")
	testlab.Run(t, "ip", "-n", a, "route", "add", "default", "via", "198.18.8.1")
	ns, err := nsutil.Open(testlab.NetNSPath(a))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	// No kubelet in this proc root.
	if diff := cmp.Diff([]string{"198.18.8.2"}, hostNetworkIPs(Options{ProcRoot: t.TempDir()}, ns)); diff != "" {
		t.Errorf("from the default route (-want +got):\n%s", diff)
	}
}

func TestHostNetworkIPsNodeIPFlag(t *testing.T) {
	a := testlab.NewNetNS(t)
	ns, err := nsutil.Open(testlab.NetNSPath(a))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	// A fake kubelet in a fake proc root, in this netns.
	proc := t.TempDir()
	pid := filepath.Join(proc, "4242")
	if err := os.MkdirAll(filepath.Join(pid, "ns"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"comm":    "kubelet\n",
		"cmdline": "/usr/bin/kubelet\x00--node-ip=198.18.9.5,fd00::5\x00--v=2\x00",
	} {
		if err := os.WriteFile(filepath.Join(pid, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(testlab.NetNSPath(a), filepath.Join(pid, "ns", "net")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"198.18.9.5", "fd00::5"}, hostNetworkIPs(Options{ProcRoot: proc}, ns)); diff != "" {
		t.Errorf("from --node-ip (-want +got):\n%s", diff)
	}
}
