package rtnl_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netdiag/netdiag/internal/testlab"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

// ipLink is what `ip -j link show` reports, the independent source of truth.
type ipLink struct {
	Index    int      `json:"ifindex"`
	Name     string   `json:"ifname"`
	MTU      int      `json:"mtu"`
	Flags    []string `json:"flags"`
	Master   string   `json:"master"`
	Address  string   `json:"address"`
	LinkInfo struct {
		Kind string `json:"info_kind"`
	} `json:"linkinfo"`
}

func ipLinkShow(t *testing.T, ns, dev string) ipLink {
	t.Helper()
	out := testlab.Run(t, "ip", "-n", ns, "-j", "-d", "link", "show", "dev", dev)
	var links []ipLink
	if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
		t.Fatalf("parse ip -j link show %s: %v\n%s", dev, err, out)
	}
	return links[0]
}

// podOnBridge builds a node netns with bridge br and a pod netns whose eth0 is
// a veth (MTU 1400) with its peer on br. It returns the pod and node netns
// names and the host-side veth name.
func podOnBridge(t *testing.T) (pod, node, hostVeth, br string) {
	t.Helper()
	return podOnBridgeTB(t)
}

func podOnBridgeTB(t testing.TB) (pod, node, hostVeth, br string) {
	t.Helper()
	node, pod = testlab.NewNetNS(t), testlab.NewNetNS(t)
	br, hostVeth = testlab.UniqueName("br"), testlab.UniqueName("veth")
	testlab.Run(t, "ip", "-n", node, "link", "add", br, "type", "bridge")
	testlab.Run(t, "ip", "-n", node, "link", "set", br, "up")
	// Create the veth in the pod first so the ifindexes of the two ends differ
	// from a same-netns coincidence, then move the peer to the node.
	testlab.Run(t, "ip", "-n", pod, "link", "add", "eth0", "mtu", "1400", "type", "veth",
		"peer", "name", hostVeth, "mtu", "1400", "netns", node)
	testlab.Run(t, "ip", "-n", node, "link", "set", hostVeth, "master", br, "up")
	testlab.Run(t, "ip", "-n", pod, "link", "set", "eth0", "up")
	return pod, node, hostVeth, br
}

// peerOf is what the tests compare of a Peer with what iproute2 says.
type peerOf struct {
	Index        int
	Name         string
	MTU          int
	Up           bool
	MasterIndex  int
	Master       string
	Kind         string
	HardwareAddr string
}

func summary(p rtnl.Peer) peerOf {
	return peerOf{Index: p.Index, Name: p.Name, MTU: p.MTU, Up: p.AdminUp(), MasterIndex: p.MasterIndex,
		Master: p.Master, Kind: p.Kind, HardwareAddr: p.HardwareAddr.String()}
}

func mustOpen(t *testing.T, path string) *nsutil.NetNS {
	t.Helper()
	ns, err := nsutil.Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

func TestHostPeer(t *testing.T) {
	pod, node, hostVeth, br := podOnBridge(t)
	podNS := mustOpen(t, testlab.NetNSPath(pod))
	nodeNS := mustOpen(t, testlab.NetNSPath(node))

	hv, bridge := ipLinkShow(t, node, hostVeth), ipLinkShow(t, node, br)
	want := peerOf{
		Index:        hv.Index,
		Name:         hostVeth,
		MTU:          1400,
		Up:           slices.Contains(hv.Flags, "UP"),
		MasterIndex:  bridge.Index,
		Master:       br,
		Kind:         hv.LinkInfo.Kind,
		HardwareAddr: hv.Address,
	}
	if hv.Master != br || want.Kind != "veth" || !want.Up {
		t.Fatalf("test setup: ip reports %+v", hv)
	}
	got, err := rtnl.HostPeer(podNS, "eth0", nodeNS)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("HostPeer (-want +got):\n%s", diff)
	}
}

func TestHostPeerNoMaster(t *testing.T) {
	pod, node := testlab.NewNetNS(t), testlab.NewNetNS(t)
	podIf, nodeIf := testlab.VethPair(t, pod, "", node, "")
	podNS := mustOpen(t, testlab.NetNSPath(pod))
	nodeNS := mustOpen(t, testlab.NetNSPath(node))
	hv := ipLinkShow(t, node, nodeIf)
	got, err := rtnl.HostPeer(podNS, podIf, nodeNS)
	if err != nil {
		t.Fatal(err)
	}
	want := peerOf{Index: hv.Index, Name: nodeIf, MTU: hv.MTU, Up: true, Kind: "veth", HardwareAddr: hv.Address}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("HostPeer (-want +got):\n%s", diff)
	}
}

func TestHostPeerErrors(t *testing.T) {
	pod, node, _, br := podOnBridge(t)
	other := testlab.NewNetNS(t)
	// A veth with both ends inside the pod.
	testlab.Run(t, "ip", "-n", pod, "link", "add", "inner0", "type", "veth", "peer", "name", "inner1")
	podNS := mustOpen(t, testlab.NetNSPath(pod))
	nodeNS := mustOpen(t, testlab.NetNSPath(node))
	otherNS := mustOpen(t, testlab.NetNSPath(other))

	for _, tc := range []struct {
		name   string
		pod    *nsutil.NetNS
		ifname string
		node   *nsutil.NetNS
		want   error
	}{
		{"no such interface", podNS, "nope0", nodeNS, rtnl.ErrNotFound},
		{"loopback", podNS, "lo", nodeNS, rtnl.ErrNotVeth},
		{"bridge", nodeNS, br, podNS, rtnl.ErrNotVeth},
		{"peer inside the pod", podNS, "inner0", nodeNS, rtnl.ErrPeerNotInNode},
		{"peer in another netns", podNS, "eth0", otherNS, rtnl.ErrPeerNotInNode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rtnl.HostPeer(tc.pod, tc.ifname, tc.node)
			if !errors.Is(err, tc.want) {
				t.Fatalf("HostPeer = %+v, %v; want error %v", got, err, tc.want)
			}
			if got.Index != 0 || got.Name != "" {
				t.Errorf("HostPeer returned %+v with an error", got)
			}
		})
	}
}

// TestHostPeerSameNetNS: when "pod" and "node" are the same netns, the peer
// is found there (no link netnsid is reported).
func TestHostPeerSameNetNS(t *testing.T) {
	ns := testlab.NewNetNS(t)
	testlab.Run(t, "ip", "-n", ns, "link", "add", "in0", "type", "veth", "peer", "name", "in1")
	h := mustOpen(t, testlab.NetNSPath(ns))
	in1 := ipLinkShow(t, ns, "in1")
	got, err := rtnl.HostPeer(h, "in0", h)
	if err != nil {
		t.Fatal(err)
	}
	want := peerOf{Index: in1.Index, Name: "in1", MTU: in1.MTU, Kind: "veth", HardwareAddr: in1.Address}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("HostPeer (-want +got):\n%s", diff)
	}
}

func BenchmarkHostPeer(b *testing.B) {
	pod, node, _, _ := podOnBridgeTB(b)
	podNS, err := nsutil.Open(testlab.NetNSPath(pod))
	if err != nil {
		b.Fatal(err)
	}
	defer podNS.Close()
	nodeNS, err := nsutil.Open(testlab.NetNSPath(node))
	if err != nil {
		b.Fatal(err)
	}
	defer nodeNS.Close()
	for b.Loop() {
		if _, err := rtnl.HostPeer(podNS, "eth0", nodeNS); err != nil {
			b.Fatal(err)
		}
	}
}
