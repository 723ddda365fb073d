package rtnl

import (
	"net"
	"net/netip"
	"strconv"
)

// Address families, as Conn's methods take them (AF_INET, AF_INET6; zero
// for both).
const (
	FamilyAll = 0
	FamilyV4  = 2
	FamilyV6  = 10
)

// Routing tables (rtnetlink(7) rtm_table).
const (
	TableAll     = 0 // RT_TABLE_UNSPEC: Routes reads every table
	TableDefault = 253
	TableMain    = 254
	TableLocal   = 255
)

// Interface flags (netdevice(7)) that the readers test.
const (
	FlagUp      = 0x1
	FlagLowerUp = 0x10000
)

// Link is one network interface (RTM_NEWLINK).
type Link struct {
	Index int
	Name  string
	// Kind is the driver's IFLA_INFO_KIND ("veth", "bridge", "vxlan", "tun",
	// …), or "device" for an interface without one (a NIC, lo).
	Kind string
	MTU  int
	// Flags are the IFF_* flags of netdevice(7).
	Flags     uint32
	OperState OperState
	// MasterIndex is the bridge or bond the interface is a port of; 0 for none.
	MasterIndex int
	// ParentIndex is IFLA_LINK: a veth's peer, a vlan's lower device; 0 for
	// none. It may be an index in another netns: see NetNSID.
	ParentIndex int
	// NetNSID is IFLA_LINK_NETNSID, the id this netns has for the netns
	// ParentIndex is in; -1 when that is this netns.
	NetNSID int
	// Type is the ARPHRD_* hardware type (ifi_type).
	Type uint16
	// HardwareAddr is nil when the kernel reports none or all zeros.
	HardwareAddr net.HardwareAddr
	// DstPort is the UDP port of a vxlan or geneve device, else 0.
	DstPort int
}

// AdminUp reports IFF_UP: the interface was set up.
func (l Link) AdminUp() bool { return l.Flags&FlagUp != 0 }

// Up reports whether the interface passes traffic: operationally up, or in
// state unknown and set up (dummy, loopback and tun devices report unknown).
func (l Link) Up() bool {
	return l.OperState == OperUp || l.OperState == OperUnknown && l.AdminUp()
}

// OperState is the RFC 2863 state of an interface (IFLA_OPERSTATE).
type OperState uint8

// Operational states, as in linux/if.h.
const (
	OperUnknown OperState = iota
	OperNotPresent
	OperDown
	OperLowerLayerDown
	OperTesting
	OperDormant
	OperUp
)

// String returns iproute2's word for s: "UP", "LOWERLAYERDOWN", …
func (s OperState) String() string {
	if int(s) < len(operStates) {
		return operStates[s]
	}
	return "UNKNOWN"
}

var operStates = []string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// Address is one address of an interface (RTM_NEWADDR).
type Address struct {
	Index  int // of the interface
	Family int // FamilyV4 or FamilyV6
	// Prefix is the local address with the prefix length of its network, as
	// `ip addr` shows it. For a point-to-point address with a peer the
	// length is the full one and the peer's network is in Peer.
	Prefix    netip.Prefix
	Peer      netip.Prefix
	Broadcast netip.Addr
	Scope     Scope
	Label     string // IFA_LABEL: IPv4 only, the interface name unless set
}

// Scope is the scope of an address or route (rtnetlink(7) rtm_scope).
type Scope uint8

// Scopes, as in linux/rtnetlink.h.
const (
	ScopeUniverse Scope = 0
	ScopeSite     Scope = 200
	ScopeLink     Scope = 253
	ScopeHost     Scope = 254
	ScopeNowhere  Scope = 255
)

// String returns iproute2's name of s ("global" for universe), or its
// number.
func (s Scope) String() string {
	switch s {
	case ScopeUniverse:
		return "global"
	case ScopeSite:
		return "site"
	case ScopeLink:
		return "link"
	case ScopeHost:
		return "host"
	case ScopeNowhere:
		return "nowhere"
	}
	return strconv.Itoa(int(s))
}

// Route is one route (RTM_NEWROUTE).
type Route struct {
	Family int
	Table  int // RTA_TABLE, which holds tables above 255 too
	Type   RouteType
	// Protocol is who installed the route (RTPROT_*: kernel, boot, static, …).
	Protocol Protocol
	Scope    Scope
	// Dst is the destination; the default route's is 0.0.0.0/0 or ::/0.
	Dst     netip.Prefix
	Src     netip.Addr // RTA_PREFSRC, the preferred source
	Gateway netip.Addr // zero for a direct route, and for a multipath one
	OIF     int        // the output interface; 0 for a multipath route
	// Priority is the metric.
	Priority int
	// NextHops are the paths of a multipath route (RTA_MULTIPATH).
	NextHops []NextHop
}

// NextHop is one path of a multipath route.
type NextHop struct {
	OIF     int
	Gateway netip.Addr
}

// RouteType is rtm_type: unicast, local, blackhole, …
type RouteType uint8

// Route types, as in linux/rtnetlink.h.
const (
	RouteUnicast RouteType = 1
	RouteLocal   RouteType = 2
)

var routeTypes = []string{"unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"}

// String returns iproute2's name of t, or "typeN".
func (t RouteType) String() string {
	if t > 0 && int(t) < len(routeTypes) {
		return routeTypes[t]
	}
	return "type" + strconv.Itoa(int(t))
}

// Protocol is rtm_protocol: who installed a route.
type Protocol uint8

var protocols = map[Protocol]string{
	0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra", 10: "mrt",
	11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp", 17: "mrouted",
	42: "babel", 186: "bgp", 187: "isis", 188: "ospf", 189: "rip", 192: "eigrp",
}

// String returns the name of p in linux/rtnetlink.h, or its number.
func (p Protocol) String() string {
	if n, ok := protocols[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}

// Neighbor is one ARP or NDP entry (RTM_NEWNEIGH).
type Neighbor struct {
	Index  int // of the interface
	Family int
	IP     netip.Addr
	// LLAddr is the link-layer address: a MAC, or the IPv4 address of the
	// far end on an IP tunnel; nil while unresolved.
	LLAddr []byte
	State  NeighState
	Flags  uint8 // NTF_*
}

// NTF_ROUTER: the neighbour is an IPv6 router.
const NeighFlagRouter = 0x80

// NeighState is a set of NUD_* bits (ndm_state).
type NeighState uint16

// Neighbour states, as in linux/neighbour.h; NeighNone is the empty set.
const (
	NeighNone       NeighState = 0
	NeighIncomplete NeighState = 0x01
	NeighReachable  NeighState = 0x02
	NeighStale      NeighState = 0x04
	NeighDelay      NeighState = 0x08
	NeighProbe      NeighState = 0x10
	NeighFailed     NeighState = 0x20
	NeighNoARP      NeighState = 0x40
	NeighPermanent  NeighState = 0x80
)
