package node

import (
	"net/netip"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

// RoutePodRanges returns the destinations of the routes in ns that lead to
// pods: without a gateway, through a bridge that has veth ports (the pod
// bridge) or through a veth that does not hold an address inside the
// route (a pod's host veth, as Calico and the ptp plugin route). A veth
// that holds an address in its route is the node's uplink (kind, test
// labs, a node in a netns) and a route via a gateway leads to another
// node: neither is a pod range.
func RoutePodRanges(ns *nsutil.NetNS) []PodRange {
	c, err := rtnl.Dial(ns)
	if err != nil {
		return nil
	}
	defer c.Close()
	links, err := c.Links()
	if err != nil {
		return nil
	}
	kind := map[int]string{}
	name := map[int]string{}
	vethPorts := map[int]bool{} // bridges with a veth port
	for _, l := range links {
		kind[l.Index], name[l.Index] = l.Kind, l.Name
	}
	for _, l := range links {
		if l.MasterIndex != 0 && l.Kind == "veth" && kind[l.MasterIndex] == "bridge" {
			vethPorts[l.MasterIndex] = true
		}
	}
	addrs, _ := c.Addrs(rtnl.FamilyAll, 0)
	own := map[int][]netip.Addr{}
	for _, a := range addrs {
		own[a.Index] = append(own[a.Index], a.Prefix.Addr().Unmap())
	}
	routes, err := c.Routes(rtnl.FamilyAll, rtnl.TableMain)
	if err != nil {
		return nil
	}
	var out []PodRange
	for _, r := range routes {
		if r.OIF == 0 || r.Gateway.IsValid() || len(r.NextHops) > 0 {
			continue
		}
		p := r.Dst.Masked()
		if p.Bits() == 0 || p.Addr().IsLinkLocalUnicast() || p.Addr().IsMulticast() {
			continue
		}
		switch kind[r.OIF] {
		case "bridge":
			if !vethPorts[r.OIF] {
				continue
			}
		case "veth":
			uplink := false
			for _, a := range own[r.OIF] {
				uplink = uplink || (p.Contains(a) && !a.IsLinkLocalUnicast())
			}
			if uplink {
				continue
			}
		default:
			continue
		}
		out = append(out, PodRange{Prefix: p, Source: "route dev " + name[r.OIF]})
	}
	return out
}

// NodeAddrs returns every address on the node netns' interfaces (an
// endpoint there is the node itself: a host-network pod, the API server)
// and the networks of its global unicast addresses.
func NodeAddrs(ns *nsutil.NetNS) (map[netip.Addr]bool, []netip.Prefix) {
	out := map[netip.Addr]bool{}
	c, err := rtnl.Dial(ns)
	if err != nil {
		return out, nil
	}
	defer c.Close()
	addrs, err := c.Addrs(rtnl.FamilyAll, 0)
	if err != nil {
		return out, nil
	}
	var nets []netip.Prefix
	for _, a := range addrs {
		ip := a.Prefix.Addr()
		out[ip] = true
		if ip.IsGlobalUnicast() {
			nets = append(nets, a.Prefix.Masked())
		}
	}
	return out, nets
}
