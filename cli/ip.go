package cli

import (
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func init() {
	sub := func(name, usage string, action func(*ucli.Context, *netlink.Handle) error, extra ...ucli.Flag) *ucli.Command {
		return &ucli.Command{
			Name:      name,
			Usage:     usage,
			ArgsUsage: "[SELECTOR]",
			Flags:     append(selectorFlags(), extra...),
			Action: func(c *ucli.Context) error {
				if c.Args().Present() {
					return usageErrorf("ip %s takes no arguments, only selector flags (got %q)", name, c.Args().First())
				}
				return withHandle(c, func(h *netlink.Handle) error { return action(c, h) })
			},
		}
	}
	family := &ucli.StringFlag{Name: "family", Aliases: []string{"f"}, Value: "all", Usage: "address family: inet (4), inet6 (6) or all"}
	register(&ucli.Command{
		Name:  "ip",
		Usage: "show interfaces, addresses, routes and neighbours of the node or a pod (iproute2-like)",
		Subcommands: []*ucli.Command{
			sub("addr", "interfaces and their addresses (ip addr show)", runIPAddr, family),
			sub("link", "interfaces (ip link show)", runIPLink),
			sub("route", "routes of the main table (ip route show; -f inet6 for IPv6, all for both)", runIPRoute,
				&ucli.StringFlag{Name: "family", Aliases: []string{"f"}, Value: "inet", Usage: "address family: inet (4), inet6 (6) or all"}),
			sub("neigh", "neighbour (ARP/NDP) table (ip neigh show)", runIPNeigh, family),
		},
	})
}

// withHandle runs fn with a netlink handle in the target netns.
func withHandle(c *ucli.Context, fn func(*netlink.Handle) error) error {
	ns, _, err := targetNetNS(c)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := ns.NetlinkHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	return fn(h)
}

func familyOf(c *ucli.Context) (int, error) {
	switch strings.ToLower(c.String("family")) {
	case "all", "any", "":
		return netlink.FAMILY_ALL, nil
	case "inet", "4", "ipv4":
		return netlink.FAMILY_V4, nil
	case "inet6", "6", "ipv6":
		return netlink.FAMILY_V6, nil
	}
	return 0, usageErrorf("unknown family %q: use inet, inet6 or all", c.String("family"))
}

// ipLink is one interface in `ip link`/`ip addr` JSON.
type ipLink struct {
	Index   int      `json:"index"`
	Name    string   `json:"name"`
	Peer    string   `json:"peer,omitempty"` // "ifN" (peer in another netns) or the peer's name
	Flags   []string `json:"flags"`
	MTU     int      `json:"mtu"`
	Master  string   `json:"master,omitempty"`
	State   string   `json:"state"`
	Kind    string   `json:"kind"`
	LinkTyp string   `json:"linkType"`
	Address string   `json:"address"`
	Addrs   []ipAddr `json:"addrs,omitempty"`
}

type ipAddr struct {
	Family    string `json:"family"`
	Local     string `json:"local"`
	PrefixLen int    `json:"prefixLen"`
	Broadcast string `json:"broadcast,omitempty"`
	Scope     string `json:"scope"`
	Label     string `json:"label,omitempty"`
}

type ipRoute struct {
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

type ipNeigh struct {
	Dst    string   `json:"dst"`
	Dev    string   `json:"dev"`
	LLAddr string   `json:"lladdr,omitempty"`
	State  []string `json:"state"`
	Router bool     `json:"router,omitempty"`
	Family string   `json:"family"`
}

// links lists interfaces by index with names for masters and peers.
func links(h *netlink.Handle) ([]netlink.Link, map[int]string, error) {
	ls, err := h.LinkList()
	if err != nil {
		return nil, nil, fmt.Errorf("list links: %w", err)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Attrs().Index < ls[j].Attrs().Index })
	names := map[int]string{}
	for _, l := range ls {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	return ls, names, nil
}

func toIPLink(l netlink.Link, names map[int]string) ipLink {
	a := l.Attrs()
	out := ipLink{
		Index: a.Index, Name: a.Name, Flags: linkFlags(a.RawFlags), MTU: a.MTU,
		State: strings.ToUpper(a.OperState.String()), Kind: l.Type(), LinkTyp: a.EncapType,
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
	if out.LinkTyp == "" {
		out.LinkTyp = "none"
	}
	return out
}

// linkFlags renders IFF_* flags in iproute2's order, with NO-CARRIER for an
// interface that is up without a carrier.
func linkFlags(f uint32) []string {
	var out []string
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
	if f&unix.IFF_UP != 0 && f&unix.IFF_LOWER_UP == 0 {
		out = append([]string{"NO-CARRIER"}, out...)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func writeLinkLine(w io.Writer, l ipLink) {
	name := l.Name
	if l.Peer != "" {
		name += "@" + l.Peer
	}
	fmt.Fprintf(w, "%d: %s: <%s> mtu %d", l.Index, name, strings.Join(l.Flags, ","), l.MTU)
	if l.Master != "" {
		fmt.Fprintf(w, " master %s", l.Master)
	}
	fmt.Fprintf(w, " state %s\n", l.State)
	fmt.Fprintf(w, "    link/%s %s", l.LinkTyp, orNone(l.Address))
	if l.LinkTyp == "ether" && slices.Contains(l.Flags, "BROADCAST") {
		fmt.Fprint(w, " brd ff:ff:ff:ff:ff:ff")
	}
	fmt.Fprintln(w)
}

func orNone(s string) string {
	if s == "" {
		return "00:00:00:00:00:00"
	}
	return s
}

// runIPLink is equivalent to `ip link show`.
func runIPLink(c *ucli.Context, h *netlink.Handle) error {
	ls, names, err := links(h)
	if err != nil {
		return err
	}
	out := make([]ipLink, 0, len(ls))
	for _, l := range ls {
		out = append(out, toIPLink(l, names))
	}
	e := envOf(c)
	if isJSON(c) {
		return writeJSON(e.stdout, struct {
			Links []ipLink `json:"links"`
		}{out})
	}
	for _, l := range out {
		writeLinkLine(e.stdout, l)
	}
	return nil
}

// runIPAddr is equivalent to `ip addr show`.
func runIPAddr(c *ucli.Context, h *netlink.Handle) error {
	fam, err := familyOf(c)
	if err != nil {
		return err
	}
	ls, names, err := links(h)
	if err != nil {
		return err
	}
	out := make([]ipLink, 0, len(ls))
	for _, l := range ls {
		il := toIPLink(l, names)
		addrs, err := h.AddrList(l, fam)
		if err != nil {
			return fmt.Errorf("list addresses of %s: %w", il.Name, err)
		}
		for _, a := range addrs {
			if a.IPNet == nil {
				continue
			}
			ones, _ := a.Mask.Size()
			ia := ipAddr{Family: familyName(a.IP), Local: a.IP.String(), PrefixLen: ones, Scope: scopeName(a.Scope), Label: a.Label}
			if a.Broadcast != nil && !a.Broadcast.IsUnspecified() {
				ia.Broadcast = a.Broadcast.String()
			}
			il.Addrs = append(il.Addrs, ia)
		}
		out = append(out, il)
	}
	e := envOf(c)
	if isJSON(c) {
		return writeJSON(e.stdout, struct {
			Links []ipLink `json:"links"`
		}{out})
	}
	for _, l := range out {
		writeLinkLine(e.stdout, l)
		for _, a := range l.Addrs {
			fmt.Fprintf(e.stdout, "    %s %s/%d", a.Family, a.Local, a.PrefixLen)
			if a.Broadcast != "" {
				fmt.Fprintf(e.stdout, " brd %s", a.Broadcast)
			}
			fmt.Fprintf(e.stdout, " scope %s", a.Scope)
			if a.Family == "inet" {
				label := a.Label
				if label == "" {
					label = l.Name
				}
				fmt.Fprintf(e.stdout, " %s", label)
			}
			fmt.Fprintln(e.stdout)
		}
	}
	return nil
}

func familyName(ip net.IP) string {
	if ip.To4() != nil {
		return "inet"
	}
	return "inet6"
}

// scopeName uses iproute2's words ("global", not netlink's "universe").
func scopeName(s int) string {
	switch netlink.Scope(s) {
	case netlink.SCOPE_UNIVERSE:
		return "global"
	}
	return netlink.Scope(s).String()
}

// runIPRoute is equivalent to `ip route show` (main table).
func runIPRoute(c *ucli.Context, h *netlink.Handle) error {
	fam, err := familyOf(c)
	if err != nil {
		return err
	}
	_, names, err := links(h)
	if err != nil {
		return err
	}
	rs, err := h.RouteList(nil, fam)
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	out := make([]ipRoute, 0, len(rs))
	for _, r := range rs {
		ir := ipRoute{
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
		out = append(out, ir)
	}
	e := envOf(c)
	if isJSON(c) {
		return writeJSON(e.stdout, struct {
			Routes []ipRoute `json:"routes"`
		}{out})
	}
	for _, r := range out {
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
		fmt.Fprintln(e.stdout, b.String())
	}
	return nil
}

func routeType(t int) string {
	switch t {
	case unix.RTN_UNICAST:
		return "unicast"
	case unix.RTN_LOCAL:
		return "local"
	case unix.RTN_BROADCAST:
		return "broadcast"
	case unix.RTN_ANYCAST:
		return "anycast"
	case unix.RTN_MULTICAST:
		return "multicast"
	case unix.RTN_BLACKHOLE:
		return "blackhole"
	case unix.RTN_UNREACHABLE:
		return "unreachable"
	case unix.RTN_PROHIBIT:
		return "prohibit"
	case unix.RTN_THROW:
		return "throw"
	}
	return "type" + strconv.Itoa(t)
}

// runIPNeigh is equivalent to `ip neigh show`.
func runIPNeigh(c *ucli.Context, h *netlink.Handle) error {
	fam, err := familyOf(c)
	if err != nil {
		return err
	}
	_, names, err := links(h)
	if err != nil {
		return err
	}
	ns, err := h.NeighList(0, fam)
	if err != nil {
		return fmt.Errorf("list neighbours: %w", err)
	}
	out := make([]ipNeigh, 0, len(ns))
	for _, n := range ns {
		// Like ip neigh: NOARP and NONE entries only with `nud all`, never shown here.
		if n.IP == nil || n.State&netlink.NUD_NOARP != 0 || n.State == netlink.NUD_NONE {
			continue
		}
		in := ipNeigh{Dst: n.IP.String(), Dev: names[n.LinkIndex], State: neighStates(n.State), Router: n.Flags&netlink.NTF_ROUTER != 0, Family: familyName(n.IP)}
		if len(n.HardwareAddr) > 0 {
			in.LLAddr = n.HardwareAddr.String()
		}
		out = append(out, in)
	}
	e := envOf(c)
	if isJSON(c) {
		return writeJSON(e.stdout, struct {
			Neighbors []ipNeigh `json:"neighbors"`
		}{out})
	}
	for _, n := range out {
		line := n.Dst + " dev " + n.Dev
		if n.LLAddr != "" {
			line += " lladdr " + n.LLAddr
		}
		if n.Router {
			line += " router"
		}
		fmt.Fprintln(e.stdout, line+" "+strings.Join(n.State, ","))
	}
	return nil
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
