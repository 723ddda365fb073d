package snapshot

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/nsutil"
)

func (s *Snapshot) readLinks(ns *nsutil.NetNS) {
	h, err := ns.NetlinkHandle()
	if err != nil {
		s.Unavailable[PartLinks] = err.Error()
		return
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		s.Unavailable[PartLinks] = fmt.Sprintf("list links: %v", err)
		return
	}
	addrs, _ := h.AddrList(nil, netlink.FAMILY_ALL)
	byIndex := map[int]string{}
	for _, l := range links {
		byIndex[l.Attrs().Index] = l.Attrs().Name
	}
	for _, l := range links {
		a := l.Attrs()
		up := a.OperState == netlink.OperUp || (a.OperState == netlink.OperUnknown && a.Flags&unix.IFF_UP != 0)
		lk := Link{Name: a.Name, Index: a.Index, Kind: l.Type(), MTU: a.MTU, Up: up, AdminUp: a.Flags&unix.IFF_UP != 0,
			MasterIndex: a.MasterIndex, Master: byIndex[a.MasterIndex]}
		switch v := l.(type) {
		case *netlink.Vxlan:
			lk.DstPort = v.Port
		case *netlink.Geneve:
			lk.DstPort = int(v.Dport)
		}
		for _, ad := range addrs {
			if ad.LinkIndex == a.Index {
				if ip, ok := netip.AddrFromSlice(ad.IP); ok {
					ones, _ := ad.Mask.Size()
					lk.Addrs = append(lk.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
				}
			}
		}
		s.Node.Links = append(s.Node.Links, lk)
	}
	if routes, err := h.RouteList(nil, netlink.FAMILY_ALL); err == nil {
		for _, r := range routes {
			rt := Route{Dev: byIndex[r.LinkIndex]}
			if r.Dst == nil {
				if r.Family == unix.AF_INET6 {
					rt.Dst = netip.MustParsePrefix("::/0")
				} else {
					rt.Dst = netip.MustParsePrefix("0.0.0.0/0")
				}
			} else if ip, ok := netip.AddrFromSlice(r.Dst.IP); ok {
				ones, _ := r.Dst.Mask.Size()
				rt.Dst = netip.PrefixFrom(ip.Unmap(), ones)
			}
			if gw, ok := netip.AddrFromSlice(r.Gw); ok {
				rt.Gateway = gw.Unmap()
			}
			s.Node.Routes = append(s.Node.Routes, rt)
		}
	}
	if neigh, err := h.NeighList(0, netlink.FAMILY_ALL); err == nil {
		for _, n := range neigh {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				s.Node.Neighbors = append(s.Node.Neighbors, Neighbor{IP: ip.Unmap(), Dev: byIndex[n.LinkIndex], State: neighState(n.State)})
			}
		}
	}
}

func neighState(st int) string {
	switch {
	case st&netlink.NUD_FAILED != 0:
		return "FAILED"
	case st&netlink.NUD_INCOMPLETE != 0:
		return "INCOMPLETE"
	case st&netlink.NUD_REACHABLE != 0:
		return "REACHABLE"
	case st&netlink.NUD_STALE != 0:
		return "STALE"
	case st&netlink.NUD_DELAY != 0:
		return "DELAY"
	case st&netlink.NUD_PROBE != 0:
		return "PROBE"
	case st&netlink.NUD_PERMANENT != 0:
		return "PERMANENT"
	case st&netlink.NUD_NOARP != 0:
		return "NOARP"
	}
	return "NONE"
}
