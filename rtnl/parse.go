package rtnl

import (
	"encoding/binary"
	"net/netip"
)

// The rtnetlink ABI (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
// linux/if_addr.h, linux/neighbour.h, linux/net_namespace.h), written out
// so that the parsers build and are tested on every GOOS.
const (
	sizeofNlMsghdr  = 16
	sizeofIfInfomsg = 16
	sizeofIfAddrmsg = 8
	sizeofRtMsg     = 12
	sizeofNdMsg     = 12
	sizeofRtGenmsg  = 4 // struct rtgenmsg, aligned
	sizeofRtAttr    = 4
	sizeofRtNexthop = 8

	nlmsgError = 2
	nlmsgDone  = 3

	nlmFRequest  = 0x1
	nlmFMulti    = 0x2
	nlmFDumpIntr = 0x10
	nlmFDump     = 0x300

	rtmNewLink  = 16
	rtmGetLink  = 18
	rtmNewAddr  = 20
	rtmGetAddr  = 22
	rtmNewRoute = 24
	rtmGetRoute = 26
	rtmNewNeigh = 28
	rtmGetNeigh = 30
	rtmNewNSID  = 88
	rtmGetNSID  = 90

	iflaAddress     = 1
	iflaIfname      = 3
	iflaMTU         = 4
	iflaLink        = 5
	iflaMaster      = 10
	iflaOperState   = 16
	iflaLinkInfo    = 18
	iflaLinkNetNSID = 37
	iflaInfoKind    = 1
	iflaInfoData    = 2
	iflaVxlanPort   = 15
	iflaGenevePort  = 5

	ifaAddress   = 1
	ifaLocal     = 2
	ifaLabel     = 3
	ifaBroadcast = 4

	rtaDst       = 1
	rtaOIF       = 4
	rtaGateway   = 5
	rtaPriority  = 6
	rtaPrefSrc   = 7
	rtaMultipath = 9
	rtaTable     = 15
	rtmFCloned   = 0x200

	ndaDst    = 1
	ndaLLAddr = 2

	netnsaNSID = 1
	netnsaFD   = 3

	nlaTypeMask = 0x3fff // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
	rtaAlignTo  = 4
)

var ne = binary.NativeEndian

// attrs calls fn with the type and value of each route attribute in b; a
// malformed tail is ignored (the standard library's ParseNetlinkRouteAttr
// panics on some).
func attrs(b []byte, fn func(typ uint16, val []byte)) {
	for len(b) >= sizeofRtAttr {
		n := int(ne.Uint16(b[0:2]))
		if n < sizeofRtAttr || n > len(b) {
			return
		}
		fn(ne.Uint16(b[2:4])&nlaTypeMask, b[sizeofRtAttr:n])
		next := (n + rtaAlignTo - 1) &^ (rtaAlignTo - 1)
		if next >= len(b) {
			return
		}
		b = b[next:]
	}
}

func u32(v []byte) (uint32, bool) {
	if len(v) < 4 {
		return 0, false
	}
	return ne.Uint32(v), true
}

func i32(v []byte) (int, bool) {
	x, ok := u32(v)
	return int(int32(x)), ok
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func addrOf(b []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(b) // invalid unless 4 or 16 bytes
	return a
}

// parseLink reads an RTM_NEWLINK body (struct ifinfomsg and attributes);
// ok is false when it is too short to be one.
func parseLink(b []byte) (l Link, ok bool) {
	if len(b) < sizeofIfInfomsg {
		return Link{}, false
	}
	l = Link{
		Type:    ne.Uint16(b[2:4]),
		Index:   int(int32(ne.Uint32(b[4:8]))),
		Flags:   ne.Uint32(b[8:12]),
		NetNSID: -1,
		Kind:    "device",
	}
	attrs(b[sizeofIfInfomsg:], func(typ uint16, v []byte) {
		switch typ {
		case iflaIfname:
			l.Name = cString(v)
		case iflaMTU:
			if x, ok := u32(v); ok {
				l.MTU = int(x)
			}
		case iflaLink:
			l.ParentIndex, _ = i32(v)
		case iflaMaster:
			l.MasterIndex, _ = i32(v)
		case iflaLinkNetNSID:
			if x, ok := i32(v); ok {
				l.NetNSID = x
			}
		case iflaOperState:
			if len(v) > 0 {
				l.OperState = OperState(v[0])
			}
		case iflaAddress:
			for _, c := range v {
				if c != 0 {
					l.HardwareAddr = append([]byte(nil), v...)
					break
				}
			}
		case iflaLinkInfo:
			parseLinkInfo(&l, v)
		}
	})
	return l, true
}

// parseLinkInfo reads IFLA_LINKINFO: the kind and, of vxlan and geneve
// devices, the UDP port (big-endian).
func parseLinkInfo(l *Link, b []byte) {
	var data []byte
	attrs(b, func(typ uint16, v []byte) {
		switch typ {
		case iflaInfoKind:
			if k := cString(v); k != "" {
				l.Kind = k
			}
		case iflaInfoData:
			data = v
		}
	})
	port := uint16(0)
	switch l.Kind {
	case "vxlan":
		port = iflaVxlanPort
	case "geneve":
		port = iflaGenevePort
	default:
		return
	}
	attrs(data, func(typ uint16, v []byte) {
		if typ == port && len(v) >= 2 {
			l.DstPort = int(binary.BigEndian.Uint16(v))
		}
	})
}

// addrIndex is the interface index of an RTM_NEWADDR body, read before
// the rest to skip other interfaces' addresses cheaply.
func addrIndex(b []byte) int { return int(ne.Uint32(b[4:8])) }

// parseAddr reads an RTM_NEWADDR body. ok is false when it is too short or
// holds no address.
func parseAddr(b []byte) (a Address, ok bool) {
	if len(b) < sizeofIfAddrmsg {
		return Address{}, false
	}
	bits := int(b[1])
	a = Address{Family: int(b[0]), Scope: Scope(b[3]), Index: addrIndex(b)}
	var local, address netip.Addr
	attrs(b[sizeofIfAddrmsg:], func(typ uint16, v []byte) {
		switch typ {
		case ifaAddress:
			address = addrOf(v)
		case ifaLocal:
			local = addrOf(v)
		case ifaBroadcast:
			a.Broadcast = addrOf(v)
		case ifaLabel:
			a.Label = cString(v)
		}
	})
	// IFA_LOCAL is the interface's own address; IFA_ADDRESS is the same, or
	// the peer's of a point-to-point link (IPv6 sends only IFA_ADDRESS
	// unless there is a peer).
	switch {
	case local.IsValid() && address.IsValid() && local != address:
		a.Prefix = netip.PrefixFrom(local, local.BitLen())
		a.Peer = netip.PrefixFrom(address, bits)
	case local.IsValid():
		a.Prefix = netip.PrefixFrom(local, bits)
	case address.IsValid():
		a.Prefix = netip.PrefixFrom(address, bits)
	default:
		return Address{}, false
	}
	return a, a.Prefix.IsValid()
}

// parseRoute reads an RTM_NEWROUTE body. ok is false when it is too short.
func parseRoute(b []byte) (r Route, ok bool) {
	if len(b) < sizeofRtMsg {
		return Route{}, false
	}
	r = Route{
		Family:   int(b[0]),
		Table:    int(b[4]),
		Protocol: Protocol(b[5]),
		Scope:    Scope(b[6]),
		Type:     RouteType(b[7]),
	}
	bits := int(b[1])
	attrs(b[sizeofRtMsg:], func(typ uint16, v []byte) {
		switch typ {
		case rtaDst:
			r.Dst = netip.PrefixFrom(addrOf(v), bits)
		case rtaOIF:
			r.OIF, _ = i32(v)
		case rtaGateway:
			r.Gateway = addrOf(v)
		case rtaPrefSrc:
			r.Src = addrOf(v)
		case rtaPriority:
			if x, ok := u32(v); ok {
				r.Priority = int(x)
			}
		case rtaTable:
			if x, ok := u32(v); ok {
				r.Table = int(x)
			}
		case rtaMultipath:
			r.NextHops = parseNextHops(v)
		}
	})
	if !r.Dst.IsValid() {
		// No RTA_DST: the default route, 0/0 of the family.
		switch r.Family {
		case FamilyV4:
			r.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), bits)
		case FamilyV6:
			r.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), bits)
		}
	}
	return r, true
}

// parseNextHops reads RTA_MULTIPATH: struct rtnexthop, each followed by
// its attributes.
func parseNextHops(b []byte) []NextHop {
	var out []NextHop
	for len(b) >= sizeofRtNexthop {
		n := int(ne.Uint16(b[0:2]))
		if n < sizeofRtNexthop || n > len(b) {
			break
		}
		nh := NextHop{OIF: int(int32(ne.Uint32(b[4:8])))}
		attrs(b[sizeofRtNexthop:n], func(typ uint16, v []byte) {
			if typ == rtaGateway {
				nh.Gateway = addrOf(v)
			}
		})
		out = append(out, nh)
		next := (n + rtaAlignTo - 1) &^ (rtaAlignTo - 1)
		if next >= len(b) {
			break
		}
		b = b[next:]
	}
	return out
}

// parseNeigh reads an RTM_NEWNEIGH body. ok is false when it is too short
// or has no IP address (NDA_DST).
func parseNeigh(b []byte) (n Neighbor, ok bool) {
	if len(b) < sizeofNdMsg {
		return Neighbor{}, false
	}
	n = Neighbor{
		Family: int(b[0]),
		Index:  int(int32(ne.Uint32(b[4:8]))),
		State:  NeighState(ne.Uint16(b[8:10])),
		Flags:  b[10],
	}
	attrs(b[sizeofNdMsg:], func(typ uint16, v []byte) {
		switch typ {
		case ndaDst:
			n.IP = addrOf(v)
		case ndaLLAddr:
			if len(v) > 0 {
				n.LLAddr = append([]byte(nil), v...)
			}
		}
	})
	return n, n.IP.IsValid()
}

// parseNSID reads the NETNSA_NSID of an RTM_NEWNSID body; -1 when the
// kernel has no id for the netns asked about.
func parseNSID(b []byte) int {
	id := -1
	if len(b) < sizeofRtGenmsg {
		return id
	}
	attrs(b[sizeofRtGenmsg:], func(typ uint16, v []byte) {
		if typ == netnsaNSID {
			if x, ok := i32(v); ok {
				id = x
			}
		}
	})
	return id
}

// attr encodes one route attribute.
func attr(typ uint16, val []byte) []byte {
	n := sizeofRtAttr + len(val)
	b := make([]byte, (n+rtaAlignTo-1)&^(rtaAlignTo-1))
	ne.PutUint16(b[0:2], uint16(n))
	ne.PutUint16(b[2:4], typ)
	copy(b[sizeofRtAttr:], val)
	return b
}

// request builds a netlink message: header, body and attributes.
func request(typ, flags uint16, seq uint32, body []byte, attrs ...[]byte) []byte {
	n := sizeofNlMsghdr + len(body)
	for _, a := range attrs {
		n += len(a)
	}
	b := make([]byte, sizeofNlMsghdr, n)
	b = append(b, body...)
	for _, a := range attrs {
		b = append(b, a...)
	}
	ne.PutUint32(b[0:4], uint32(len(b)))
	ne.PutUint16(b[4:6], typ)
	ne.PutUint16(b[6:8], flags)
	ne.PutUint32(b[8:12], seq)
	return b
}
