package snapshot

import (
	"net/netip"
	"time"

	"github.com/netdiag/netdiag/conntrack"
	"github.com/netdiag/netdiag/counters"
	"github.com/netdiag/netdiag/dropmon"
	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/kubeproxy"
	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/sockdiag"
	"github.com/netdiag/netdiag/stale"
)

// Part names a piece of the snapshot.
type Part string

// The parts of a snapshot.
const (
	PartPods      Part = "pods"
	PartLinks     Part = "links"
	PartSysctls   Part = "sysctls"
	PartCounters  Part = "counters"
	PartConntrack Part = "conntrack"
	PartKernelLog Part = "kernel log"
	PartRules     Part = "firewall rules"
	PartServices  Part = "services"
	PartPodNet    Part = "pod netns"
	PartStale     Part = "stale containers"
	PartDNS       Part = "dns"
	PartDrops     Part = "drop reasons"
	PartSoftnet   Part = "softnet"
)

// Snapshot is what netdiag reads of a node, collected once. Counters are
// sampled twice, Interval apart, so readers see rates instead of totals
// accumulated since boot.
type Snapshot struct {
	Taken    time.Time
	Interval time.Duration
	// NodeName is the node's name as the kubelet registered it
	// (node.NodeName), and NodeNameSource where it was read.
	NodeName       string
	NodeNameSource string

	// Inventory is the pod list as read (sources, warnings, runtime); Pods
	// and Processes are its pods and processes.
	Inventory *node.Inventory
	Pods      []node.Pod
	Processes []node.Process
	Node      NetNSState
	PodNet    []PodNet

	// Softnet is /proc/net/softnet_stat at both samples: per CPU, for the
	// whole kernel.
	Softnet [2][]counters.Softnet

	Conntrack [2]conntrack.Stats
	// ConntrackByDest counts conntrack entries by the address they were
	// DNATed to (reply source), for stale endpoints.
	ConntrackByDest map[netip.Addr]int

	Kernel        []KernelEvent
	KernelRelease string // uname -r

	// IPTables holds one ruleset per backend that could be read.
	IPTables []*iptables.Ruleset
	NFT      *nftables.Ruleset

	ServiceMode kubeproxy.Mode
	Services    []kubeproxy.Service
	// NoServices says why there are no services to read when that is not a
	// failure (no kube-proxy rules: not running, or replaced by the CNI).
	NoServices string
	// PodRanges are this node's pod address ranges (CNI configuration,
	// routes to the pod bridge and veths, the kubelet's pod CIDR); never
	// the cluster-wide range. PodRangeSources has every range the node
	// states, kube-proxy's cluster CIDR included, with where it was read.
	PodRanges       []netip.Prefix
	PodRangeSources []node.PodRange
	// NodeAddrs are the addresses on the node netns' interfaces.
	NodeAddrs map[netip.Addr]bool
	// NodeNets are the networks of its global unicast addresses.
	NodeNets []netip.Prefix

	// Stale are processes left in pods after their containers were lost.
	Stale []stale.Group
	DNS   []DNSResult

	// Drops are the kernel's packet drops during the sample, by reason and
	// function (skb:kfree_skb or NET_DM, see dropmon). They are
	// kernel-wide: the tracepoint does not say which netns dropped.
	Drops []dropmon.Count

	// Raw holds the node-wide sections Options.Raw asked for, as read; nil
	// when none was asked. The per-netns ones are NetNSState.Raw and
	// PodNet.Raw.
	Raw *Raw

	// Unavailable says why a part could not be collected.
	Unavailable map[Part]string
}

// Missing returns why each of parts could not be collected; empty when
// all were.
func (s *Snapshot) Missing(parts []Part) map[Part]string {
	out := map[Part]string{}
	for _, p := range parts {
		if why, ok := s.Unavailable[p]; ok {
			out[p] = why
		}
	}
	return out
}

// NetNSState is what is read of one network namespace.
type NetNSState struct {
	Sysctls   map[string]string
	Links     []Link
	Routes    []Route
	Neighbors []Neighbor
	Counters  [2]counters.List // two samples
	// Raw is what Options.Raw.NetNS reads; nil when not asked.
	Raw *RawNetNS
}

// Link is a network interface.
type Link struct {
	Name        string         `json:"name"`
	Index       int            `json:"index"`
	Kind        string         `json:"kind"` // bridge, veth, vxlan, geneve, ipip, wireguard, device, …
	MTU         int            `json:"mtu"`
	Up          bool           `json:"up"` // operationally up (or unknown state with IFF_UP, as for dummies)
	AdminUp     bool           `json:"adminUp"`
	Master      string         `json:"master,omitempty"`
	MasterIndex int            `json:"-"`
	Addrs       []netip.Prefix `json:"addrs,omitempty"`
	// DstPort is the UDP port of a vxlan or geneve device.
	DstPort int `json:"dstPort,omitempty"`
}

// Route is a route of the main table.
type Route struct {
	Dst     netip.Prefix `json:"dst"` // 0.0.0.0/0 for the default route
	Dev     string       `json:"dev"`
	Gateway netip.Addr   `json:"gateway,omitempty"`
}

// Neighbor is an ARP/NDP entry.
type Neighbor struct {
	IP    netip.Addr `json:"ip"`
	Dev   string     `json:"dev"`
	State string     `json:"state"` // REACHABLE, STALE, FAILED, INCOMPLETE, …
}

// PodNet is what is read inside one pod's netns.
type PodNet struct {
	Pod       *node.Pod
	Sysctls   map[string]string
	Counters  [2]counters.List
	Listeners []sockdiag.Socket
	// ResolvConf is the pod's /etc/resolv.conf, "" when unknown.
	ResolvConf string
	// NetNSErr says why the pod's netns could not be opened; then only
	// Pod is set.
	NetNSErr error
	// Raw is what Options.Raw.NetNS reads; nil when not asked, and shared
	// by the pods of one netns. It is not read for a pod in the node's
	// netns: that is Node.Raw.
	Raw *RawNetNS
}

// KernelEvent counts kernel log lines of one kind in the window read.
type KernelEvent struct {
	Kind     string    `json:"kind"` // conntrack-table-full, netdev-refcount, neigh-overflow, …
	Count    int       `json:"count"`
	Last     time.Time `json:"last"`
	LastLine string    `json:"lastLine"`
}

// DNSResult is one live query from a pod.
type DNSResult struct {
	Pod     string        `json:"pod"`
	Server  string        `json:"server"`
	Name    string        `json:"name"`
	Err     string        `json:"error,omitempty"`
	RTT     time.Duration `json:"rtt"`
	Queries int           `json:"queries"` // queries the search list expands one lookup into
}

// Sysctl returns a sysctl and whether it exists.
func (n *NetNSState) Sysctl(name string) (string, bool) {
	v, ok := n.Sysctls[name]
	return v, ok
}

// Link returns the named link or nil.
func (n *NetNSState) Link(name string) *Link {
	for i := range n.Links {
		if n.Links[i].Name == name {
			return &n.Links[i]
		}
	}
	return nil
}

// CounterDelta is the growth of a counter between the two samples, and
// whether both samples had it.
func CounterDelta(c [2]counters.List, name string) (int64, bool) {
	a, ok1 := c[0].Get(name)
	b, ok2 := c[1].Get(name)
	return b - a, ok1 && ok2
}
