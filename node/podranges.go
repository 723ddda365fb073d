package node

import (
	"encoding/json"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
)

// PodRange is a range of pod addresses that the node states, and where it
// says so.
type PodRange struct {
	Prefix netip.Prefix `json:"prefix"`
	// Source: "cni /etc/cni/net.d/10-bridge.conflist", "route dev cni0",
	// "kubelet --pod-cidr", "kube-proxy --cluster-cidr", …
	Source string `json:"source"`
	// Cluster is true for the whole cluster's pod range (kube-proxy's cluster
	// CIDR): it holds other nodes' pods too.
	Cluster bool `json:"cluster,omitempty"`
}

// PodRanges returns the pod address ranges the node states: the ranges of
// the CNI configuration (host-local IPAM "ranges" and "subnet" in
// HostRoot/etc/cni/net.d, flannel's subnet.env), routes to the pod bridge
// and pod veths in ns, the kubelet's pod CIDR (--pod-cidr or podCIDR in its
// config file) and kube-proxy's cluster CIDR (--cluster-cidr or
// clusterCIDR). Never addresses of endpoints: a host-network endpoint is on
// the node's own network. Duplicates are removed; the order is the order
// above.
func PodRanges(ns *nsutil.NetNS, o Options) []PodRange {
	var out []PodRange
	out = append(out, CNIPodRanges(o.HostRoot)...)
	if ns != nil {
		out = append(out, RoutePodRanges(ns)...)
	}
	nodeNet := nodeNetID(o.NodeNetNS)
	if k, err := FindDaemon(o.ProcRoot, "kubelet", nodeNet); err == nil {
		if v, src := k.Setting("pod-cidr", "podCIDR", o.HostRoot); v != "" {
			out = append(out, parseRanges(v, src, false)...)
		}
	}
	if p, err := FindDaemon(o.ProcRoot, "kube-proxy", nodeNet); err == nil {
		if v, src := p.Setting("cluster-cidr", "clusterCIDR", o.HostRoot); v != "" {
			out = append(out, parseRanges(v, src, true)...)
		}
	}
	seen := map[netip.Prefix]bool{}
	uniq := out[:0]
	for _, r := range out {
		if !seen[r.Prefix] {
			seen[r.Prefix] = true
			uniq = append(uniq, r)
		}
	}
	return uniq
}

// NodeScope drops the cluster-wide ranges when the node states a range of
// its own: those hold other nodes' pods, which this node cannot see.
func NodeScope(rs []PodRange) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range rs {
		if !r.Cluster {
			out = append(out, r.Prefix)
		}
	}
	return out
}

func parseRanges(v, src string, cluster bool) []PodRange {
	var out []PodRange
	for _, s := range strings.Split(v, ",") {
		if p, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
			out = append(out, PodRange{Prefix: p.Masked(), Source: src, Cluster: cluster})
		}
	}
	return out
}

// cniConf is what PodRanges reads of a CNI network configuration: a single
// plugin (.conf) or a list (.conflist), each with an ipam section.
type cniConf struct {
	Type    string    `json:"type"`
	IPAM    *cniIPAM  `json:"ipam"`
	Plugins []cniConf `json:"plugins"`
	Deleg   *cniConf  `json:"delegate"` // flannel's
}

type cniIPAM struct {
	Type   string `json:"type"`
	Subnet string `json:"subnet"`
	Ranges [][]struct {
		Subnet string `json:"subnet"`
	} `json:"ranges"`
}

// CNIPodRanges reads the IPAM ranges of the CNI configuration files in
// HostRoot/etc/cni/net.d (the first file in lexical order is the one the
// runtime uses, but every file is read: a node being migrated may have
// two). Flannel's configuration names no range: its subnet.env does.
func CNIPodRanges(hostRoot string) []PodRange {
	dir := filepath.Join(hostRootOr(hostRoot), "etc/cni/net.d")
	ents, err := hostfile.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".conf") || strings.HasSuffix(n, ".conflist") || strings.HasSuffix(n, ".json") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []PodRange
	for _, n := range names {
		b, err := hostfile.ReadFileInRoot(hostRootOr(hostRoot), filepath.Join("etc/cni/net.d", n), 1<<20)
		if err != nil {
			continue
		}
		var c cniConf
		if json.Unmarshal(b, &c) != nil {
			continue
		}
		src := "cni " + filepath.Join("/etc/cni/net.d", n)
		var walk func(c *cniConf)
		walk = func(c *cniConf) {
			if c.IPAM != nil {
				if c.IPAM.Subnet != "" {
					out = append(out, parseRanges(c.IPAM.Subnet, src, false)...)
				}
				for _, set := range c.IPAM.Ranges {
					for _, r := range set {
						out = append(out, parseRanges(r.Subnet, src, false)...)
					}
				}
			}
			if c.Type == "flannel" {
				out = append(out, flannelSubnet(hostRoot)...)
			}
			if c.Deleg != nil {
				walk(c.Deleg)
			}
			for i := range c.Plugins {
				walk(&c.Plugins[i])
			}
		}
		walk(&c)
	}
	return out
}

// flannelSubnet reads FLANNEL_SUBNET (this node's) and FLANNEL_IPV6_SUBNET
// from /run/flannel/subnet.env.
func flannelSubnet(hostRoot string) []PodRange {
	b, err := hostfile.ReadFileInRoot(hostRootOr(hostRoot), "run/flannel/subnet.env", 64<<10)
	if err != nil {
		return nil
	}
	var out []PodRange
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && (k == "FLANNEL_SUBNET" || k == "FLANNEL_IPV6_SUBNET") {
			out = append(out, parseRanges(v, "flannel /run/flannel/subnet.env", false)...)
		}
	}
	return out
}
