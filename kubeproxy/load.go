package kubeproxy

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/netdiag/netdiag/iptables"
	"github.com/netdiag/netdiag/ipvs"
	"github.com/netdiag/netdiag/nftables"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

// Load reads kube-proxy's state in ns in the given mode, or finds the mode
// ("auto"): nftables when table kube-proxy exists, ipvs when virtual servers
// exist, else iptables. sets may hold iptables rulesets already read (from
// iptables.Backends); when nil Load reads them.
func Load(ns *nsutil.NetNS, hostRoot string, mode Mode, sets map[iptables.Backend]*iptables.Ruleset) (*Result, error) {
	var errs []error
	if mode == "auto" || mode == ModeNFTables {
		rs, err := nftables.Dump(ns, "", "kube-proxy")
		if err == nil {
			var svcs []Service
			for i := range rs.Tables {
				svcs = append(svcs, DecodeNFTables(&rs.Tables[i])...)
			}
			return &Result{Mode: ModeNFTables, Services: nonNil(svcs)}, nil
		}
		if mode == ModeNFTables {
			return nil, err
		}
		if !errors.Is(err, nftables.ErrTableNotFound) {
			errs = append(errs, err)
		}
	}
	if mode == "auto" || mode == ModeIPVS {
		st, err := ipvs.Dump(ns)
		switch {
		case err == nil && (len(st.Services) > 0 || mode == ModeIPVS):
			return &Result{Mode: ModeIPVS, Services: DecodeIPVS(st, IPVSAddresses(ns))}, nil
		case err != nil && mode == ModeIPVS:
			return nil, err
		case err != nil && !errors.Is(err, ipvs.ErrNotLoaded):
			errs = append(errs, err)
		}
	}
	if sets == nil {
		var err error
		if _, sets, err = iptables.Backends(ns, hostRoot); err != nil {
			return nil, errors.Join(append(errs, err)...)
		}
	}
	// Dual-stack nodes keep IPv6 services in ip6tables.
	var notes []string
	_, sets6, err := iptables.Backends6(ns, hostRoot)
	if err != nil {
		notes = append(notes, fmt.Sprintf("IPv6 services are missing: %v", err))
	}
	// The backend whose nat KUBE-SERVICES has the most rules is kube-proxy's.
	services := func(rs *iptables.Ruleset) int {
		if rs == nil {
			return 0
		}
		if nat := rs.Table("nat"); nat != nil {
			if ch := nat.Chain("KUBE-SERVICES"); ch != nil {
				return len(ch.Rules) + 1
			}
		}
		return 0
	}
	var best iptables.Backend
	most := 0
	for _, b := range []iptables.Backend{iptables.NFT, iptables.Legacy} {
		if n := services(sets[b]) + services(sets6[b]); n > most {
			best, most = b, n
		}
	}
	if most == 0 {
		return nil, fmt.Errorf("%w: no table kube-proxy in nftables, no IPVS virtual servers, no KUBE-SERVICES chain in iptables (is kube-proxy running, or does the CNI replace it, e.g. Cilium?)", ErrNoKubeProxy)
	}
	svcs := []Service{}
	if rs := sets[best]; rs != nil {
		svcs = append(svcs, decodeIPTables(rs, IPv4)...)
	}
	if rs := sets6[best]; rs != nil {
		svcs = append(svcs, decodeIPTables(rs, IPv6)...)
	}
	return &Result{Mode: ModeIPTables, Services: svcs, Notes: notes}, nil
}

func nonNil(s []Service) []Service {
	if s == nil {
		return []Service{}
	}
	return s
}

// IPVSAddresses lists the addresses on kube-ipvs0, kube-proxy's dummy device.
func IPVSAddresses(ns *nsutil.NetNS) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	c, err := rtnl.Dial(ns)
	if err != nil {
		return out
	}
	defer c.Close()
	l, err := c.LinkByName("kube-ipvs0")
	if err != nil {
		return out
	}
	addrs, err := c.Addrs(rtnl.FamilyAll, l.Index)
	if err != nil {
		return out
	}
	for _, a := range addrs {
		out[a.Prefix.Addr()] = true
	}
	return out
}

// PodRanges returns the pod address ranges that routes in ns lead to: the
// pod bridge and pods' host veths (node.RoutePodRanges). node.PodRanges
// also reads the CNI configuration and the kubelet's and kube-proxy's
// settings.
func PodRanges(ns *nsutil.NetNS) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range node.RoutePodRanges(ns) {
		out = append(out, r.Prefix)
	}
	return out
}
