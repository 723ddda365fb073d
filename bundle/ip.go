package bundle

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// IPState is what `ip addr`, `ip route show table all` and `ip neigh show
// nud all` show of one netns, in the JSON of netdiag's ip commands.
type IPState struct {
	Links     []IPLink  `json:"links"`
	Routes    []IPRoute `json:"routes"`
	Neighbors []IPNeigh `json:"neighbors"`
	// Errors lists the parts that could not be read.
	Errors []string `json:"errors,omitempty"`
}

// IPLink is one interface with its addresses.
type IPLink struct {
	Index    int      `json:"index"`
	Name     string   `json:"name"`
	Peer     string   `json:"peer,omitempty"`
	Flags    []string `json:"flags"`
	MTU      int      `json:"mtu"`
	Master   string   `json:"master,omitempty"`
	State    string   `json:"state"`
	Kind     string   `json:"kind"`
	LinkType string   `json:"linkType"`
	Address  string   `json:"address"`
	Addrs    []IPAddr `json:"addrs,omitempty"`
}

// IPAddr is one address of an interface.
type IPAddr struct {
	Family    string `json:"family"`
	Local     string `json:"local"`
	PrefixLen int    `json:"prefixLen"`
	Broadcast string `json:"broadcast,omitempty"`
	Scope     string `json:"scope"`
	Label     string `json:"label,omitempty"`
}

// IPRoute is one route of any table.
type IPRoute struct {
	Type     string `json:"type"`
	Dst      string `json:"dst"`
	Gateway  string `json:"gateway,omitempty"`
	Dev      string `json:"dev,omitempty"`
	Protocol string `json:"protocol"`
	Scope    string `json:"scope"`
	Src      string `json:"prefsrc,omitempty"`
	Metric   int    `json:"metric,omitempty"`
	Table    int    `json:"table"`
	Family   string `json:"family"`
}

// IPNeigh is one neighbour (ARP/NDP) entry.
type IPNeigh struct {
	Dst    string   `json:"dst"`
	Dev    string   `json:"dev"`
	LLAddr string   `json:"lladdr,omitempty"`
	State  []string `json:"state"`
	Router bool     `json:"router,omitempty"`
	Family string   `json:"family"`
}

// readIP reads links, addresses, routes of every table and neighbours
// through h. A part that fails is noted in Errors; the rest is still read.
func readIP(h *netlink.Handle) *IPState {
	st := &IPState{Links: []IPLink{}, Routes: []IPRoute{}, Neighbors: []IPNeigh{}}
	ls, err := h.LinkList()
	if err != nil {
		st.Errors = append(st.Errors, fmt.Sprintf("list links: %v", err))
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Attrs().Index < ls[j].Attrs().Index })
	names := map[int]string{}
	for _, l := range ls {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	for _, l := range ls {
		il := toIPLink(l, names)
		addrs, err := h.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("list addresses of %s: %v", il.Name, err))
		}
		for _, a := range addrs {
			if a.IPNet == nil {
				continue
			}
			ones, _ := a.Mask.Size()
			ia := IPAddr{Family: familyName(a.IP), Local: a.IP.String(), PrefixLen: ones, Scope: scopeName(a.Scope), Label: a.Label}
			if a.Broadcast != nil && !a.Broadcast.IsUnspecified() {
				ia.Broadcast = a.Broadcast.String()
			}
			il.Addrs = append(il.Addrs, ia)
		}
		st.Links = append(st.Links, il)
	}
	rs, err := h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		st.Errors = append(st.Errors, fmt.Sprintf("list routes: %v", err))
	}
	for _, r := range rs {
		st.Routes = append(st.Routes, toIPRoute(r, names))
	}
	ns, err := h.NeighList(0, netlink.FAMILY_ALL)
	if err != nil {
		st.Errors = append(st.Errors, fmt.Sprintf("list neighbours: %v", err))
	}
	for _, n := range ns {
		if n.IP == nil {
			continue
		}
		in := IPNeigh{Dst: n.IP.String(), Dev: names[n.LinkIndex], State: neighStates(n.State),
			Router: n.Flags&netlink.NTF_ROUTER != 0, Family: familyName(n.IP)}
		if len(n.HardwareAddr) > 0 {
			in.LLAddr = n.HardwareAddr.String()
		}
		st.Neighbors = append(st.Neighbors, in)
	}
	return st
}

func toIPLink(l netlink.Link, names map[int]string) IPLink {
	a := l.Attrs()
	out := IPLink{
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

func toIPRoute(r netlink.Route, names map[int]string) IPRoute {
	ir := IPRoute{
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

// linkFlags renders IFF_* flags in iproute2's order.
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

func routeType(t int) string {
	names := map[int]string{
		unix.RTN_UNICAST: "unicast", unix.RTN_LOCAL: "local", unix.RTN_BROADCAST: "broadcast",
		unix.RTN_ANYCAST: "anycast", unix.RTN_MULTICAST: "multicast", unix.RTN_BLACKHOLE: "blackhole",
		unix.RTN_UNREACHABLE: "unreachable", unix.RTN_PROHIBIT: "prohibit", unix.RTN_THROW: "throw",
	}
	if n, ok := names[t]; ok {
		return n
	}
	return "type" + strconv.Itoa(t)
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

// writeAddrText prints the links and addresses like `ip addr show`.
func (st *IPState) writeAddrText(w io.Writer) error {
	for _, e := range st.Errors {
		fmt.Fprintf(w, "# netdiag: %s\n", e)
	}
	for _, l := range st.Links {
		name := l.Name
		if l.Peer != "" {
			name += "@" + l.Peer
		}
		fmt.Fprintf(w, "%d: %s: <%s> mtu %d", l.Index, name, strings.Join(l.Flags, ","), l.MTU)
		if l.Master != "" {
			fmt.Fprintf(w, " master %s", l.Master)
		}
		fmt.Fprintf(w, " state %s\n", l.State)
		addr := l.Address
		if addr == "" {
			addr = "00:00:00:00:00:00"
		}
		fmt.Fprintf(w, "    link/%s %s", l.LinkType, addr)
		if l.Kind != "" && l.Kind != "device" {
			fmt.Fprintf(w, " (%s)", l.Kind)
		}
		fmt.Fprintln(w)
		for _, a := range l.Addrs {
			fmt.Fprintf(w, "    %s %s/%d", a.Family, a.Local, a.PrefixLen)
			if a.Broadcast != "" {
				fmt.Fprintf(w, " brd %s", a.Broadcast)
			}
			fmt.Fprintf(w, " scope %s", a.Scope)
			if a.Family == "inet" {
				label := a.Label
				if label == "" {
					label = l.Name
				}
				fmt.Fprintf(w, " %s", label)
			}
			fmt.Fprintln(w)
		}
	}
	return nil
}

// writeRouteText prints the routes like `ip route show table all` (and the
// same for -6): main-table routes without "table".
func (st *IPState) writeRouteText(w io.Writer) error {
	for _, r := range st.Routes {
		var b strings.Builder
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
		fmt.Fprintln(w, b.String())
	}
	return nil
}

func tableName(t int) string {
	switch t {
	case unix.RT_TABLE_LOCAL:
		return "local"
	case unix.RT_TABLE_DEFAULT:
		return "default"
	}
	return strconv.Itoa(t)
}

// writeNeighText prints the neighbours like `ip neigh show nud all`.
func (st *IPState) writeNeighText(w io.Writer) error {
	for _, n := range st.Neighbors {
		line := n.Dst + " dev " + n.Dev
		if n.LLAddr != "" {
			line += " lladdr " + n.LLAddr
		}
		if n.Router {
			line += " router"
		}
		fmt.Fprintln(w, line+" "+strings.Join(n.State, ","))
	}
	return nil
}
