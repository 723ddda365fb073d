package node

import (
	"net"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/netdiag/netdiag/nsutil"
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
	h, err := ns.NetlinkHandle()
	if err != nil {
		return nil
	}
	defer h.Close()
	var out []string
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := h.RouteList(nil, family)
		if err != nil {
			continue
		}
		for _, r := range routes {
			if !isDefault(r.Dst) || r.LinkIndex == 0 {
				continue
			}
			link, err := h.LinkByIndex(r.LinkIndex)
			if err != nil {
				continue
			}
			addrs, err := h.AddrList(link, family)
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap().IsGlobalUnicast() {
					out = append(out, ip.Unmap().String())
					break
				}
			}
			break
		}
	}
	return out
}

func isDefault(dst *net.IPNet) bool {
	if dst == nil {
		return true
	}
	ones, _ := dst.Mask.Size()
	return ones == 0
}
