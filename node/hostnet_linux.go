package node

import (
	"net/netip"
	"strings"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

// hostNetworkIPs are the IPs the kubelet gives host-network pods: the
// node's addresses, which it takes from its --node-ip, else (as the kubelet
// does when the node's name does not resolve) from the interface of the
// default route. nil when neither can be read.
func hostNetworkIPs(o Options, ns *nsutil.NetNS) []string {
	if k, err := FindDaemon(o.ProcRoot, "kubelet", ns.ID()); err == nil {
		if v, ok := k.Flag("node-ip"); ok {
			var out []string
			for _, s := range strings.Split(v, ",") {
				if ip, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil && !ip.IsUnspecified() {
					out = append(out, ip.String())
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	c, err := rtnl.Dial(ns)
	if err != nil {
		return nil
	}
	defer c.Close()
	var out []string
	for _, family := range []int{rtnl.FamilyV4, rtnl.FamilyV6} {
		routes, err := c.Routes(family, rtnl.TableMain)
		if err != nil {
			continue
		}
		for _, r := range routes {
			if r.Dst.Bits() != 0 || r.OIF == 0 {
				continue
			}
			if _, err := c.LinkByIndex(r.OIF); err != nil {
				continue
			}
			addrs, err := c.Addrs(family, r.OIF)
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if ip := a.Prefix.Addr().Unmap(); ip.IsGlobalUnicast() {
					out = append(out, ip.String())
					break
				}
			}
			break
		}
	}
	return out
}
