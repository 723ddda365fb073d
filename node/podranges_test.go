package node

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
)

var prefixOpt = cmpopts.EquateComparable(netip.Prefix{})

// TestPodRangesFromConfig: the CNI configuration (a bridge conflist with
// host-local ranges as containerd's and kubeadm's examples write it, an old
// single .conf with "subnet", flannel's subnet.env), the kubelet's pod CIDR
// and kube-proxy's cluster CIDR from its config file.
func TestPodRangesFromConfig(t *testing.T) {
	f := newDaemonProc(t)
	hostRoot := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(hostRoot, p)), 0o755))
		must(t, os.WriteFile(filepath.Join(hostRoot, p), []byte(s), 0o644))
	}
	write("etc/cni/net.d/10-bridge.conflist", `{
  "cniVersion": "1.0.0", "name": "k8s-pod-network",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "198.19.0.0/24"}], [{"subnet": "64:ff9b::c613:0/120"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]}`)
	write("etc/cni/net.d/20-old.conf", `{"cniVersion": "0.3.1", "name": "old", "type": "bridge", "ipam": {"type": "host-local", "subnet": "198.18.64.0/24"}}`)
	write("etc/cni/net.d/30-flannel.conflist", `{"name": "cbr0", "plugins": [{"type": "flannel", "delegate": {"isDefaultGateway": true}}]}`)
	write("etc/cni/net.d/99-broken.conf", `{not json`)
	write("etc/cni/net.d/README", `{"ipam": {"subnet": "198.18.99.0/24"}}`)
	write("run/flannel/subnet.env", "FLANNEL_NETWORK=198.18.0.0/16\nFLANNEL_SUBNET=198.18.3.1/24\nFLANNEL_MTU=1450\n")
	f.add("100", "kubelet", true, "--config=/var/lib/kubelet/config.yaml")
	f.file("var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\npodCIDR: 198.19.0.0/24\n")
	f.add("101", "kube-proxy", true, "--config", "/var/lib/kube-proxy/config.conf")
	f.file("var/lib/kube-proxy/config.conf", "clusterCIDR: \"198.19.0.0/16,64:ff9b::c613:0/112\"\nmode: iptables\n")
	got := PodRanges(nil, Options{ProcRoot: f.proc, HostRoot: hostRoot, NodeNetNS: f.nodeNet})
	p := netip.MustParsePrefix
	want := []PodRange{
		{Prefix: p("198.19.0.0/24"), Source: "cni /etc/cni/net.d/10-bridge.conflist"},
		{Prefix: p("64:ff9b::c613:0/120"), Source: "cni /etc/cni/net.d/10-bridge.conflist"},
		{Prefix: p("198.18.64.0/24"), Source: "cni /etc/cni/net.d/20-old.conf"},
		{Prefix: p("198.18.3.0/24"), Source: "flannel /run/flannel/subnet.env"},
		{Prefix: p("198.19.0.0/16"), Source: "kube-proxy /var/lib/kube-proxy/config.conf clusterCIDR", Cluster: true},
		{Prefix: p("64:ff9b::c613:0/112"), Source: "kube-proxy /var/lib/kube-proxy/config.conf clusterCIDR", Cluster: true},
	}
	if diff := cmp.Diff(want, got, prefixOpt); diff != "" {
		t.Errorf("PodRanges (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]netip.Prefix{p("198.19.0.0/24"), p("64:ff9b::c613:0/120"), p("198.18.64.0/24"), p("198.18.3.0/24")}, NodeScope(got), prefixOpt); diff != "" {
		t.Errorf("NodeScope (-want +got):\n%s", diff)
	}
}

// TestRoutePodRanges builds a node like a real one in a lab: the uplink is
// a veth holding the node address (198.19.255.2/24), pods hang on bridge
// cni0 (198.19.0.1/24), one pod is routed on its own host veth (Calico
// style), and another node's pod range is routed via a gateway on the
// uplink. Only the bridge and the host veth route are pod ranges: the
// uplink's network was taken for one before (a false pod-cidr-overlap
// FAIL and stale endpoints on the API server's address).
func TestRoutePodRanges(t *testing.T) {
	testlab.RequireRoot(t)
	n, stub, pod, pod2 := testlab.NewNetNS(t), testlab.NewNetNS(t), testlab.NewNetNS(t), testlab.NewNetNS(t)
	up, _ := testlab.VethPair(t, n, "198.19.255.2/24", stub, "198.19.255.1/24")
	testlab.InNetNS(t, n, "ip", "link", "add", "cni0", "type", "bridge")
	testlab.InNetNS(t, n, "ip", "addr", "add", "198.19.0.1/24", "dev", "cni0")
	testlab.InNetNS(t, n, "ip", "link", "set", "cni0", "up")
	hv, _ := testlab.VethPair(t, n, "", pod, "198.19.0.5/24")
	testlab.InNetNS(t, n, "ip", "link", "set", hv, "master", "cni0")
	hv2, _ := testlab.VethPair(t, n, "", pod2, "198.18.77.7/32")
	testlab.InNetNS(t, n, "ip", "route", "add", "198.18.77.7/32", "dev", hv2)
	testlab.InNetNS(t, n, "ip", "route", "add", "198.19.1.0/24", "via", "198.19.255.3", "dev", up)
	ns, err := nsutil.Open(testlab.NetNSPath(n))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	got := RoutePodRanges(ns)
	want := []PodRange{
		{Prefix: netip.MustParsePrefix("198.18.77.7/32"), Source: "route dev " + hv2},
		{Prefix: netip.MustParsePrefix("198.19.0.0/24"), Source: "route dev cni0"},
	}
	sortRanges(got)
	if diff := cmp.Diff(want, got, prefixOpt); diff != "" {
		t.Errorf("RoutePodRanges (-want +got):\n%s", diff)
	}
	if addrs, _ := NodeAddrs(ns); !addrs[netip.MustParseAddr("198.19.255.2")] {
		t.Errorf("NodeAddrs lacks the uplink address 198.19.255.2")
	}
}

func sortRanges(r []PodRange) {
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Prefix.Addr().Less(r[j-1].Prefix.Addr()); j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}
