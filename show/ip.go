package show

import (
	"cmp"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/netdiag/netdiag/nsutil"
	"github.com/netdiag/netdiag/rtnl"
)

// IPState is what iproute2 shows of one netns: interfaces with their
// addresses, routes and neighbours, in the JSON of netdiag's ip commands.
type IPState struct {
	Links     []Link  `json:"links"`
	Routes    []Route `json:"routes"`
	Neighbors []Neigh `json:"neighbors"`
	// Errors lists the parts that could not be read.
	Errors []string `json:"errors,omitempty"`
}

// Link is one interface with its addresses.
type Link struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Peer is the peer's name, or "ifN" for a peer in another netns.
	Peer     string   `json:"peer,omitempty"`
	Flags    []string `json:"flags"`
	MTU      int      `json:"mtu"`
	Master   string   `json:"master,omitempty"`
	State    string   `json:"state"`
	Kind     string   `json:"kind"`
	LinkType string   `json:"linkType"`
	Address  string   `json:"address"`
	Addrs    []Addr   `json:"addrs,omitempty"`
}

// Addr is one address of an interface.
type Addr struct {
	Family    string `json:"family"`
	Local     string `json:"local"`
	PrefixLen int    `json:"prefixLen"`
	Broadcast string `json:"broadcast,omitempty"`
	Scope     string `json:"scope"`
	Label     string `json:"label,omitempty"`
}

// Route is one route.
type Route struct {
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

// Neigh is one neighbour (ARP/NDP) entry.
type Neigh struct {
	Dst    string   `json:"dst"`
	Dev    string   `json:"dev"`
	LLAddr string   `json:"lladdr,omitempty"`
	State  []string `json:"state"`
	Router bool     `json:"router,omitempty"`
	Family string   `json:"family"`
}

// IPOptions says what ReadIP reads besides the links, which it always reads.
// The zero value reads links only.
type IPOptions struct {
	Addrs     bool // addresses of every link
	Routes    bool
	Neighbors bool
	// Family limits addresses, routes and neighbours to rtnl.FamilyV4 or
	// FamilyV6; zero (FamilyAll) reads both.
	Family int
	// AllTables reads the routes of every table, not only main's.
	AllTables bool
	// AllStates keeps the NOARP and NONE neighbour entries that `ip neigh`
	// shows only with `nud all`.
	AllStates bool
}

// ReadIP reads the interfaces of ns, and the addresses, routes and
// neighbours opt asks for, ordered like iproute2 orders them. A part that
// cannot be read is noted in Errors and the rest is still read; the error
// returned is the first of them. The slices are never nil. The state is nil
// only when no rtnetlink socket could be opened in ns.
//
// Equivalent to: `ip addr show`, `ip route show [table all]` and
// `ip neigh show [nud all]`.
func ReadIP(ns *nsutil.NetNS, opt IPOptions) (*IPState, error) {
	c, err := rtnl.Dial(ns)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	st := &IPState{Links: []Link{}, Routes: []Route{}, Neighbors: []Neigh{}}
	var errs []error
	fail := func(err error) {
		errs = append(errs, err)
		st.Errors = append(st.Errors, err.Error())
	}
	ls, err := c.Links()
	if err != nil {
		fail(err)
	}
	slices.SortFunc(ls, func(a, b rtnl.Link) int { return cmp.Compare(a.Index, b.Index) })
	names := make(map[int]string, len(ls))
	for _, l := range ls {
		names[l.Index] = l.Name
	}
	var addrs map[int][]Addr
	if opt.Addrs {
		as, err := c.Addrs(opt.Family, 0)
		if err != nil {
			fail(err)
		}
		addrs = make(map[int][]Addr, len(ls))
		for _, a := range as {
			addrs[a.Index] = append(addrs[a.Index], toAddr(a))
		}
	}
	for _, l := range ls {
		il := toLink(l, names)
		il.Addrs = addrs[l.Index]
		st.Links = append(st.Links, il)
	}
	if opt.Routes {
		table := rtnl.TableMain
		if opt.AllTables {
			table = rtnl.TableAll
		}
		rs, err := c.Routes(opt.Family, table)
		if err != nil {
			fail(err)
		}
		for _, r := range rs {
			st.Routes = append(st.Routes, toRoute(r, names))
		}
	}
	if opt.Neighbors {
		ns, err := c.Neighbors(opt.Family)
		if err != nil {
			fail(err)
		}
		for _, n := range ns {
			if !opt.AllStates && (n.State&rtnl.NeighNoARP != 0 || n.State == rtnl.NeighNone) {
				continue
			}
			st.Neighbors = append(st.Neighbors, toNeigh(n, names))
		}
	}
	if len(errs) > 0 {
		return st, errs[0]
	}
	return st, nil
}

func toLink(l rtnl.Link, names map[int]string) Link {
	out := Link{
		Index: l.Index, Name: l.Name, Flags: linkFlags(l.Flags), MTU: l.MTU,
		State: l.OperState.String(), Kind: l.Kind, LinkType: linkType(l.Type),
	}
	if l.HardwareAddr != nil {
		out.Address = l.HardwareAddr.String()
	}
	if l.MasterIndex != 0 {
		out.Master = names[l.MasterIndex]
		if out.Master == "" {
			out.Master = "if" + strconv.Itoa(l.MasterIndex)
		}
	}
	// A device that names itself is no peer; a veth whose peer sits in
	// another netns may have the same index there.
	if l.ParentIndex != 0 && (l.ParentIndex != l.Index || l.NetNSID >= 0) {
		if n, ok := names[l.ParentIndex]; ok && l.NetNSID < 0 {
			out.Peer = n
		} else {
			out.Peer = "if" + strconv.Itoa(l.ParentIndex)
		}
	}
	return out
}

func toAddr(a rtnl.Address) Addr {
	ia := Addr{Family: familyName(a.Family), Local: a.Prefix.Addr().String(), PrefixLen: a.Prefix.Bits(), Scope: a.Scope.String(), Label: a.Label}
	if a.Broadcast.IsValid() && !a.Broadcast.IsUnspecified() {
		ia.Broadcast = a.Broadcast.String()
	}
	return ia
}

func toRoute(r rtnl.Route, names map[int]string) Route {
	ir := Route{
		Type: r.Type.String(), Dst: "default", Dev: names[r.OIF], Protocol: r.Protocol.String(),
		Scope: r.Scope.String(), Metric: r.Priority, Table: r.Table, Family: familyName(r.Family),
	}
	if r.Dst.Bits() > 0 || !r.Dst.Addr().IsUnspecified() {
		ir.Dst = r.Dst.String()
		if r.Dst.IsSingleIP() {
			ir.Dst = r.Dst.Addr().String()
		}
	}
	if r.Gateway.IsValid() {
		ir.Gateway = r.Gateway.String()
	}
	if r.Src.IsValid() {
		ir.Src = r.Src.String()
	}
	return ir
}

func toNeigh(n rtnl.Neighbor, names map[int]string) Neigh {
	in := Neigh{Dst: n.IP.String(), Dev: names[n.Index], State: neighStates(n.State),
		Router: n.Flags&rtnl.NeighFlagRouter != 0, Family: familyName(n.Family)}
	switch len(n.LLAddr) {
	case 0:
	case 4: // the far end of an IP tunnel
		in.LLAddr = netip.AddrFrom4([4]byte(n.LLAddr)).String()
	default:
		in.LLAddr = net.HardwareAddr(n.LLAddr).String()
	}
	return in
}

// linkFlags renders IFF_* flags in iproute2's order, with NO-CARRIER first for
// an interface that is up without a carrier.
func linkFlags(f uint32) []string {
	out := []string{}
	if f&rtnl.FlagUp != 0 && f&rtnl.FlagLowerUp == 0 {
		out = append(out, "NO-CARRIER")
	}
	for _, fl := range []struct {
		bit  uint32
		name string
	}{
		{0x8, "LOOPBACK"}, {0x2, "BROADCAST"}, {0x10, "POINTOPOINT"},
		{0x1000, "MULTICAST"}, {0x80, "NOARP"}, {0x200, "ALLMULTI"},
		{0x100, "PROMISC"}, {0x400, "MASTER"}, {0x800, "SLAVE"},
		{rtnl.FlagUp, "UP"}, {rtnl.FlagLowerUp, "LOWER_UP"},
	} {
		if f&fl.bit != 0 {
			out = append(out, fl.name)
		}
	}
	return out
}

func familyName(f int) string {
	if f == rtnl.FamilyV6 {
		return "inet6"
	}
	return "inet"
}

// tableName uses iproute2's names of the reserved tables.
func tableName(t int) string {
	switch t {
	case rtnl.TableLocal:
		return "local"
	case rtnl.TableDefault:
		return "default"
	}
	return strconv.Itoa(t)
}

var neighStateNames = []struct {
	bit  rtnl.NeighState
	name string
}{
	{rtnl.NeighIncomplete, "INCOMPLETE"}, {rtnl.NeighReachable, "REACHABLE"}, {rtnl.NeighStale, "STALE"},
	{rtnl.NeighDelay, "DELAY"}, {rtnl.NeighProbe, "PROBE"}, {rtnl.NeighFailed, "FAILED"},
	{rtnl.NeighNoARP, "NOARP"}, {rtnl.NeighPermanent, "PERMANENT"},
}

func neighStates(s rtnl.NeighState) []string {
	var out []string
	for _, st := range neighStateNames {
		if s&st.bit != 0 {
			out = append(out, st.name)
		}
	}
	if out == nil {
		out = []string{"NONE"}
	}
	return out
}

// linkType names an ARPHRD_* type as iproute2's link/TYPE does.
func linkType(t uint16) string {
	if n, ok := linkTypes[t]; ok {
		return n
	}
	if t >= 787 && t <= 799 { // ARPHRD_FCFABRIC and the 12 after it
		return "fcfb" + strconv.Itoa(int(t)-787)
	}
	return "unknown" + strconv.Itoa(int(t))
}

// linkTypes are linux/if_arp.h's ARPHRD_* values.
var linkTypes = map[uint16]string{
	0: "generic", 1: "ether", 2: "eether", 3: "ax25", 4: "pronet", 5: "chaos", 6: "ieee802",
	7: "arcnet", 8: "atalk", 15: "dlci", 19: "atm", 23: "metricom", 24: "ieee1394", 32: "infiniband",
	256: "slip", 257: "cslip", 258: "slip6", 259: "cslip6", 260: "rsrvd", 264: "adapt", 270: "rose",
	271: "x25", 272: "hwx25", 512: "ppp", 513: "hdlc", 516: "lapb", 517: "ddcmp", 518: "rawhdlc",
	768: "ipip", 769: "tunnel6", 770: "frad", 771: "skip", 772: "loopback", 773: "ltalk", 774: "fddi",
	775: "bif", 776: "sit", 777: "ip/ddp", 778: "gre", 779: "pimreg", 780: "hippi", 781: "ash",
	782: "econet", 783: "irda", 784: "fcpp", 785: "fcal", 786: "fcpl", 800: "tr", 801: "ieee802.11", 802: "ieee802.11/prism",
	803: "ieee802.11/radiotap", 804: "ieee802.15.4", 65534: "none", 65535: "void",
}
