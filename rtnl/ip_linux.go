package rtnl

import (
	"fmt"
	"sort"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Read reads the interfaces of ns, and what opt asks for, like
// ReadHandle. The state is nil only when no netlink socket could be opened
// in ns.
func Read(ns *nsutil.NetNS, opt Options) (*State, error) {
	h, err := ns.NetlinkHandle()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return ReadHandle(h, opt)
}

// ReadHandle reads the interfaces through h, and the addresses, routes and
// neighbours opt asks for, ordered like iproute2 orders them. A part that
// cannot be read is noted in Errors and the rest is still read; the error
// returned is the first of them. The slices are never nil.
//
// Equivalent to: `ip addr show`, `ip route show [table all]` and
// `ip neigh show [nud all]`.
func ReadHandle(h *netlink.Handle, opt Options) (*State, error) {
	st := &State{Links: []Link{}, Routes: []Route{}, Neighbors: []Neigh{}}
	var first error
	fail := func(err error) {
		if first == nil {
			first = err
		}
		st.Errors = append(st.Errors, err.Error())
	}
	ls, err := h.LinkList()
	if err != nil {
		fail(fmt.Errorf("list links: %w", err))
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Attrs().Index < ls[j].Attrs().Index })
	names := map[int]string{}
	for _, l := range ls {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	for _, l := range ls {
		il := toIPLink(l, names)
		if opt.Addrs {
			addrs, err := h.AddrList(l, opt.Family)
			if err != nil {
				fail(fmt.Errorf("list addresses of %s: %w", il.Name, err))
			}
			for _, a := range addrs {
				if a.IPNet != nil {
					il.Addrs = append(il.Addrs, toIPAddr(a))
				}
			}
		}
		st.Links = append(st.Links, il)
	}
	if opt.Routes {
		// Without RT_FILTER_TABLE netlink keeps the main table only.
		var mask uint64
		if opt.AllTables {
			mask = netlink.RT_FILTER_TABLE
		}
		rs, err := h.RouteListFiltered(opt.Family, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, mask)
		if err != nil {
			fail(fmt.Errorf("list routes: %w", err))
		}
		for _, r := range rs {
			st.Routes = append(st.Routes, toIPRoute(r, names))
		}
	}
	if opt.Neighbors {
		ns, err := h.NeighList(0, opt.Family)
		if err != nil {
			fail(fmt.Errorf("list neighbours: %w", err))
		}
		for _, n := range ns {
			if n.IP == nil || !opt.AllStates && (n.State&netlink.NUD_NOARP != 0 || n.State == netlink.NUD_NONE) {
				continue
			}
			st.Neighbors = append(st.Neighbors, toIPNeigh(n, names))
		}
	}
	return st, first
}
