package rtnl

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

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

func toIPLink(l netlink.Link, names map[int]string) Link {
	a := l.Attrs()
	out := Link{
		Index: a.Index, Name: a.Name, Flags: linkFlags(a.RawFlags), MTU: a.MTU,
		State: strings.ToUpper(a.OperState.String()), Kind: l.Type(), LinkType: a.EncapType,
		Address: a.HardwareAddr.String(),
	}
	if a.MasterIndex != 0 {
		out.Master = names[a.MasterIndex]
		if out.Master == "" {
			out.Master = "if" + strconv.Itoa(a.MasterIndex)
		}
	}
	if a.ParentIndex != 0 && a.ParentIndex != a.Index {
		if n, ok := names[a.ParentIndex]; ok && a.NetNsID < 0 {
			out.Peer = n
		} else {
			out.Peer = "if" + strconv.Itoa(a.ParentIndex)
		}
	}
	if out.LinkType == "" {
		out.LinkType = "none"
	}
	return out
}

func toIPAddr(a netlink.Addr) Addr {
	ones, _ := a.Mask.Size()
	ia := Addr{Family: familyName(a.IP), Local: a.IP.String(), PrefixLen: ones, Scope: scopeName(a.Scope), Label: a.Label}
	if a.Broadcast != nil && !a.Broadcast.IsUnspecified() {
		ia.Broadcast = a.Broadcast.String()
	}
	return ia
}

func toIPRoute(r netlink.Route, names map[int]string) Route {
	ir := Route{
		Type: routeType(r.Type), Dst: "default", Dev: names[r.LinkIndex], Protocol: r.Protocol.String(),
		Scope: scopeName(int(r.Scope)), Metric: r.Priority, Table: r.Table, Family: "inet",
	}
	if r.Family == unix.AF_INET6 {
		ir.Family = "inet6"
	}
	if r.Dst != nil {
		if ones, _ := r.Dst.Mask.Size(); ones > 0 || !r.Dst.IP.IsUnspecified() {
			ir.Dst = r.Dst.String()
			if ones == len(r.Dst.IP)*8 {
				ir.Dst = r.Dst.IP.String()
			}
		}
	}
	if r.Gw != nil {
		ir.Gateway = r.Gw.String()
	}
	if r.Src != nil {
		ir.Src = r.Src.String()
	}
	return ir
}

func toIPNeigh(n netlink.Neigh, names map[int]string) Neigh {
	in := Neigh{Dst: n.IP.String(), Dev: names[n.LinkIndex], State: neighStates(n.State),
		Router: n.Flags&netlink.NTF_ROUTER != 0, Family: familyName(n.IP)}
	if len(n.HardwareAddr) > 0 {
		in.LLAddr = n.HardwareAddr.String()
	}
	return in
}

// linkFlags renders IFF_* flags in iproute2's order, with NO-CARRIER first for
// an interface that is up without a carrier.
func linkFlags(f uint32) []string {
	out := []string{}
	if f&unix.IFF_UP != 0 && f&unix.IFF_LOWER_UP == 0 {
		out = append(out, "NO-CARRIER")
	}
	for _, fl := range []struct {
		bit  uint32
		name string
	}{
		{unix.IFF_LOOPBACK, "LOOPBACK"}, {unix.IFF_BROADCAST, "BROADCAST"}, {unix.IFF_POINTOPOINT, "POINTOPOINT"},
		{unix.IFF_MULTICAST, "MULTICAST"}, {unix.IFF_NOARP, "NOARP"}, {unix.IFF_ALLMULTI, "ALLMULTI"},
		{unix.IFF_PROMISC, "PROMISC"}, {unix.IFF_MASTER, "MASTER"}, {unix.IFF_SLAVE, "SLAVE"},
		{unix.IFF_UP, "UP"}, {unix.IFF_LOWER_UP, "LOWER_UP"},
	} {
		if f&fl.bit != 0 {
			out = append(out, fl.name)
		}
	}
	return out
}

func familyName(ip net.IP) string {
	if ip.To4() != nil {
		return "inet"
	}
	return "inet6"
}

// scopeName uses iproute2's words ("global", not netlink's "universe").
func scopeName(s int) string {
	if netlink.Scope(s) == netlink.SCOPE_UNIVERSE {
		return "global"
	}
	return netlink.Scope(s).String()
}

var routeTypes = map[int]string{
	unix.RTN_UNICAST: "unicast", unix.RTN_LOCAL: "local", unix.RTN_BROADCAST: "broadcast",
	unix.RTN_ANYCAST: "anycast", unix.RTN_MULTICAST: "multicast", unix.RTN_BLACKHOLE: "blackhole",
	unix.RTN_UNREACHABLE: "unreachable", unix.RTN_PROHIBIT: "prohibit", unix.RTN_THROW: "throw",
}

func routeType(t int) string {
	if n, ok := routeTypes[t]; ok {
		return n
	}
	return "type" + strconv.Itoa(t)
}

// tableName uses iproute2's names of the reserved tables.
func tableName(t int) string {
	switch t {
	case unix.RT_TABLE_LOCAL:
		return "local"
	case unix.RT_TABLE_DEFAULT:
		return "default"
	}
	return strconv.Itoa(t)
}

func neighStates(s int) []string {
	var out []string
	for _, st := range []struct {
		bit  int
		name string
	}{
		{netlink.NUD_INCOMPLETE, "INCOMPLETE"}, {netlink.NUD_REACHABLE, "REACHABLE"}, {netlink.NUD_STALE, "STALE"},
		{netlink.NUD_DELAY, "DELAY"}, {netlink.NUD_PROBE, "PROBE"}, {netlink.NUD_FAILED, "FAILED"},
		{netlink.NUD_NOARP, "NOARP"}, {netlink.NUD_PERMANENT, "PERMANENT"},
	} {
		if s&st.bit != 0 {
			out = append(out, st.name)
		}
	}
	if out == nil {
		out = []string{"NONE"}
	}
	return out
}

// WriteLinks writes links like `ip link show`.
func WriteLinks(w io.Writer, links []Link) error {
	var b bytes.Buffer
	for _, l := range links {
		writeLinkLines(&b, l)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteAddrs writes links and their addresses like `ip addr show`.
func WriteAddrs(w io.Writer, links []Link) error {
	var b bytes.Buffer
	for _, l := range links {
		writeLinkLines(&b, l)
		for _, a := range l.Addrs {
			fmt.Fprintf(&b, "    %s %s/%d", a.Family, a.Local, a.PrefixLen)
			if a.Broadcast != "" {
				fmt.Fprintf(&b, " brd %s", a.Broadcast)
			}
			fmt.Fprintf(&b, " scope %s", a.Scope)
			if a.Family == "inet" {
				label := a.Label
				if label == "" {
					label = l.Name
				}
				fmt.Fprintf(&b, " %s", label)
			}
			b.WriteByte('\n')
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeLinkLines(b *bytes.Buffer, l Link) {
	name := l.Name
	if l.Peer != "" {
		name += "@" + l.Peer
	}
	fmt.Fprintf(b, "%d: %s: <%s> mtu %d", l.Index, name, strings.Join(l.Flags, ","), l.MTU)
	if l.Master != "" {
		fmt.Fprintf(b, " master %s", l.Master)
	}
	fmt.Fprintf(b, " state %s\n", l.State)
	addr := l.Address
	if addr == "" {
		addr = "00:00:00:00:00:00"
	}
	fmt.Fprintf(b, "    link/%s %s", l.LinkType, addr)
	if l.LinkType == "ether" && slices.Contains(l.Flags, "BROADCAST") {
		b.WriteString(" brd ff:ff:ff:ff:ff:ff")
	}
	b.WriteByte('\n')
}

// WriteRoutes writes routes like `ip route show table all`: a route of a
// table other than main names its table.
func WriteRoutes(w io.Writer, routes []Route) error {
	var b bytes.Buffer
	for _, r := range routes {
		if r.Type != "unicast" {
			b.WriteString(r.Type + " ")
		}
		b.WriteString(r.Dst)
		if r.Gateway != "" {
			b.WriteString(" via " + r.Gateway)
		}
		if r.Dev != "" {
			b.WriteString(" dev " + r.Dev)
		}
		if r.Table != unix.RT_TABLE_MAIN {
			b.WriteString(" table " + tableName(r.Table))
		}
		if r.Protocol != "boot" && r.Protocol != "" {
			b.WriteString(" proto " + r.Protocol)
		}
		if r.Scope != "global" {
			b.WriteString(" scope " + r.Scope)
		}
		if r.Src != "" {
			b.WriteString(" src " + r.Src)
		}
		if r.Metric != 0 {
			b.WriteString(" metric " + strconv.Itoa(r.Metric))
		}
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteNeighbors writes neighbour entries like `ip neigh show`.
func WriteNeighbors(w io.Writer, neighbors []Neigh) error {
	var b bytes.Buffer
	for _, n := range neighbors {
		b.WriteString(n.Dst + " dev " + n.Dev)
		if n.LLAddr != "" {
			b.WriteString(" lladdr " + n.LLAddr)
		}
		if n.Router {
			b.WriteString(" router")
		}
		b.WriteString(" " + strings.Join(n.State, ",") + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}
