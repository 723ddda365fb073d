package node

import (
	"net"
	"net/netip"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/vishvananda/netlink"
)

// RoutePodRanges returns the destinations of the routes in ns that lead to
// pods: without a gateway, through a bridge that has veth ports (the pod
// bridge) or through a veth that does not hold an address inside the
// route (a pod's host veth, as Calico and the ptp plugin route). A veth
// that holds an address in its route is the node's uplink (kind, test
// labs, a node in a netns) and a route via a gateway leads to another
// node: neither is a pod range.
func RoutePodRanges(ns *nsutil.NetNS) []PodRange {
	h, err := ns.NetlinkHandle()
	if err != nil {
		return nil
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return nil
	}
	kind := map[int]string{}
	name := map[int]string{}
	vethPorts := map[int]bool{} // bridges with a veth port
	for _, l := range links {
		a := l.Attrs()
		kind[a.Index], name[a.Index] = l.Type(), a.Name
	}
	for _, l := range links {
		a := l.Attrs()
		if a.MasterIndex != 0 && l.Type() == "veth" && kind[a.MasterIndex] == "bridge" {
			vethPorts[a.MasterIndex] = true
		}
	}
	addrs, _ := h.AddrList(nil, netlink.FAMILY_ALL)
	own := map[int][]netip.Addr{}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			own[a.LinkIndex] = append(own[a.LinkIndex], ip.Unmap())
		}
	}
	routes, err := h.RouteList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil
	}
	var out []PodRange
	for _, r := range routes {
		if r.Dst == nil || r.LinkIndex == 0 || r.Gw != nil || len(r.MultiPath) > 0 {
			continue
		}
		p, ok := prefixOf(r.Dst)
		if !ok || p.Bits() == 0 || p.Addr().IsLinkLocalUnicast() || p.Addr().IsMulticast() {
			continue
		}
		switch kind[r.LinkIndex] {
		case "bridge":
			if !vethPorts[r.LinkIndex] {
				continue
			}
		case "veth":
			uplink := false
			for _, a := range own[r.LinkIndex] {
				uplink = uplink || (p.Contains(a) && !a.IsLinkLocalUnicast())
			}
			if uplink {
				continue
			}
		default:
			continue
		}
		out = append(out, PodRange{Prefix: p, Source: "route dev " + name[r.LinkIndex]})
	}
	return out
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	ip, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(ip.Unmap(), ones).Masked(), true
}

// NodeAddrs returns every address on the node netns' interfaces (an
// endpoint there is the node itself: a host-network pod, the API server)
// and the networks of its global unicast addresses.
func NodeAddrs(ns *nsutil.NetNS) (map[netip.Addr]bool, []netip.Prefix) {
	out := map[netip.Addr]bool{}
	h, err := ns.NetlinkHandle()
	if err != nil {
		return out, nil
	}
	defer h.Close()
	addrs, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return out, nil
	}
	var nets []netip.Prefix
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			out[ip.Unmap()] = true
			if p, ok := prefixOf(a.IPNet); ok && ip.IsGlobalUnicast() {
				nets = append(nets, p)
			}
		}
	}
	return out, nets
}
