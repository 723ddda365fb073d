package decode

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
)

// BGP (RFC 4271) as tcpdump 4.99's bgp_print shows it: ": BGP" alone, and
// with -v every message of the segment on lines of its own.
//
// Two kinds of truncation matter here, as in tcpdump: an explicit check
// that fails prints " [|bgp]" and returns to the caller, which may print
// more (bgpTrunc); a field read past the capture ends the packet (p.u8,
// p.need and friends panic).

var bgpMsgNames = map[uint8]string{1: "Open", 2: "Update", 3: "Notification", 4: "Keepalive", 5: "Route Refresh"}

var bgpAttrNames = map[uint8]string{
	1: "Origin", 2: "AS Path", 17: "AS4 Path", 3: "Next Hop", 4: "Multi Exit Discriminator",
	5: "Local Preference", 6: "Atomic Aggregate", 7: "Aggregator", 18: "Aggregator4",
	8: "Community", 9: "Originator ID", 10: "Cluster List", 11: "DPA", 12: "Advertisers",
	13: "RCID Path / Cluster ID", 14: "Multi-Protocol Reach NLRI", 15: "Multi-Protocol Unreach NLRI",
	16: "Extended Community", 22: "PMSI Tunnel", 23: "Tunnel Encapsulation", 24: "Traffic Engineering",
	25: "IPv6 Extended Community", 26: "Accumulated IGP Metric", 27: "PE Distinguisher Label",
	28: "Entropy Label", 32: "Large Community", 128: "Attribute Set", 255: "Reserved for development",
}

var bgpCapNames = map[uint8]string{
	1: "Multiprotocol Extensions", 2: "Route Refresh", 3: "Cooperative Route Filtering",
	4: "Multiple Routes to a Destination", 5: "Extended Next Hop Encoding", 8: "Multiple Labels",
	64: "Graceful Restart", 65: "32-Bit AS Number", 67: "Dynamic Capability", 68: "Multisession BGP",
	69: "Multiple Paths", 70: "Enhanced Route Refresh", 71: "Long-lived Graceful Restart",
	128: "Route Refresh (Cisco)",
}

var bgpNotifyMajor = map[uint8]string{
	1: "Message Header Error", 2: "OPEN Message Error", 3: "UPDATE Message Error",
	4: "Hold Timer Expired", 5: "Finite State Machine Error", 6: "Cease", 7: "Capability Message Error",
}

var bgpNotifyMinor = map[uint8]map[uint8]string{
	1: {1: "Connection Not Synchronized", 2: "Bad Message Length", 3: "Bad Message Type"},
	2: {1: "Unsupported Version Number", 2: "Bad Peer AS", 3: "Bad BGP Identifier",
		4: "Unsupported Optional Parameter", 5: "Authentication Failure", 6: "Unacceptable Hold Time",
		7: "Capability Message Error"},
	3: {1: "Malformed Attribute List", 2: "Unrecognized Well-known Attribute",
		3: "Missing Well-known Attribute", 4: "Attribute Flags Error", 5: "Attribute Length Error",
		6: "Invalid ORIGIN Attribute", 7: "AS Routing Loop", 8: "Invalid NEXT_HOP Attribute",
		9: "Optional Attribute Error", 10: "Invalid Network Field", 11: "Malformed AS_PATH"},
	5: {0: "Unspecified Error", 1: "In OpenSent State", 2: "In OpenConfirm State", 3: "In Established State"},
	6: {1: "Maximum Number of Prefixes Reached", 2: "Administrative Shutdown", 3: "Peer Unconfigured",
		4: "Administrative Reset", 5: "Connection Rejected", 6: "Other Configuration Change",
		7: "Connection Collision Resolution"},
	7: {1: "Invalid Action Value", 2: "Invalid Capability Length", 3: "Malformed Capability Value",
		4: "Unsupported Capability Code"},
}

var bgpSAFINames = map[uint8]string{
	0: "Reserved", 1: "Unicast", 2: "Multicast", 3: "Unicast+Multicast", 4: "labeled Unicast",
	64: "Tunnel", 65: "VPLS", 66: "MDT", 70: "EVPN", 128: "labeled VPN Unicast",
	129: "labeled VPN Multicast", 130: "labeled VPN Unicast+Multicast",
	132: "Route Target Routing Information", 5: "Multicast VPN",
}

// afNames is tcpdump's af_values (address family numbers).
var afNames = map[uint16]string{
	0: "Reserved", 1: "IPv4", 2: "IPv6", 3: "NSAP", 4: "HDLC", 5: "BBN 1822", 6: "802",
	7: "E.163", 8: "E.164", 9: "F.69", 10: "X.121", 11: "Novell IPX", 12: "Appletalk",
	13: "Decnet IV", 14: "Banyan Vines", 15: "E.164 with NSAP subaddress", 196: "Layer-2 VPN",
	25: "VPLS",
}

var bgpExtCommNames = map[uint16]string{
	0x0002: "target", 0x0102: "target", 0x0202: "target", 0x0003: "origin", 0x0103: "origin",
	0x0203: "origin", 0x4004: "link-BW", 0x0005: "ospf-domain", 0x0105: "ospf-domain",
	0x0205: "ospf-domain", 0x8005: "ospf-domain", 0x0306: "ospf-route-type",
	0x8000: "ospf-route-type", 0x030c: "encapsulation", 0x0107: "ospf-router-id",
	0x8001: "ospf-router-id", 0x800a: "layer2-info",
	0x8800: "eigrp-general-route (flag, tag)", 0x8801: "eigrp-route-metric (AS, delay)",
	0x8802: "eigrp-route-metric (reliability, nexthop, bandwidth)",
	0x8803: "eigrp-route-metric (load, MTU)",
	0x8804: "eigrp-external-route (remote-AS, remote-ID)",
	0x8805: "eigrp-external-route (remote-proto, remote-metric)",
	0x0009: "source-AS", 0x010b: "vrf-route-import", 0x000a: "l2vpn-id", 0xf10a: "l2vpn-id",
}

var bgpEncapTunnels = map[uint16]string{
	1: "L2TPv3 over IP", 2: "GRE", 3: "Transmit Tunnel", 4: "IPsec", 5: "IP in IP with IPsec",
	6: "MPLS in IP with IPsec", 7: "IP in IP", 8: "VXLAN", 9: "NVGRE", 10: "MPLS",
	11: "MPLS in GRE", 12: "VXLAN GPE", 13: "MPLS in UDP", 14: "IPv6", 15: "SR TE", 16: "Bare",
	17: "SR",
}

var bgpOSPFRouteTypes = map[uint8]string{1: "Router", 2: "Network", 3: "Summary", 5: "External", 7: "NSSA External", 129: "MPLS-VPN Sham"}

var bgpPMSITunnels = map[uint8]string{
	1: "RSVP-TE P2MP LSP", 2: "LDP P2MP LSP", 3: "PIM-SSM Tree", 4: "PIM-SM Tree",
	5: "PIM-Bidir Tree", 6: "Ingress Replication", 7: "LDP MP2MP LSP",
}

// bgpTrunc is nd_print_trunc in a printer that then returns to its caller.
func (p *Printer) bgpTrunc() { p.s(" [|bgp]") }

// avail reports whether n bytes from off are captured (ND_TTEST_LEN).
func avail(b []byte, off, n int) bool { return off >= 0 && n >= 0 && off+n <= len(b) }

var bgpMarker = bytes.Repeat([]byte{0xff}, 16)

// bgp is bgp_print. b is the captured TCP payload; tcpdump scans all of it
// for markers, whatever the TCP length says.
func (p *Printer) bgp(b []byte) {
	p.proto = "bgp"
	p.s(": BGP")
	if p.opts.Verbose < 1 {
		return
	}
	start := 0
	for i := 0; i < len(b); {
		if b[i] != 0xff {
			i++
			continue
		}
		if !avail(b, i, 16) {
			break
		}
		if !bytes.Equal(b[i:i+16], bgpMarker) {
			i++
			continue
		}
		if !avail(b, i, 19) {
			p.bgpTrunc()
			return
		}
		if start != i {
			p.bgpTrunc()
		}
		hlen := int(binary.BigEndian.Uint16(b[i+16:]))
		if hlen < 19 {
			p.s("\nmessage length ")
			p.i(hlen)
			p.s(" < 19 (invalid)")
			break
		}
		if !avail(b, i, hlen) {
			p.s("\n[|BGP ")
			p.s(tokStr(bgpMsgNames, b[i+18], "Unknown Message Type"))
			p.c(']')
			break
		}
		p.bgpPDU(b[i:], hlen)
		i += hlen
		start = i
	}
}

func (p *Printer) bgpPDU(b []byte, length int) {
	typ := b[18]
	p.s("\n\t")
	p.s(tokStr(bgpMsgNames, typ, "Unknown"))
	p.s(" Message (")
	p.u(uint64(typ))
	p.s("), length: ")
	p.i(length)
	switch typ {
	case 1:
		p.bgpOpen(b, length)
	case 2:
		p.bgpUpdate(b, length)
	case 3:
		p.bgpNotification(b, length)
	case 4:
	case 5:
		if !avail(b, 0, 23) {
			p.bgpTrunc()
			return
		}
		if length < 23 {
			return
		}
		p.s("\n\t  AFI ")
		p.bgpAFISAFI(binary.BigEndian.Uint16(b[19:]), b[22], "Unknown", ", SAFI ")
		if p.opts.Verbose > 1 {
			p.unknownData(b, "\n\t  ", length)
		}
	default:
		p.s("\n\t  no Message ")
		p.u(uint64(typ))
		p.s(" decoder")
		p.unknownData(b, "\n\t  ", length)
	}
}

// bgpAFISAFI prints "NAME (AFI)<sep>NAME (SAFI)" with "Unknown" names.
func (p *Printer) bgpAFISAFI(af uint16, safi uint8, def, sep string) {
	p.s(tokStr(afNames, af, def))
	p.s(" (")
	p.u(uint64(af))
	p.s(")")
	p.s(sep)
	p.s(tokStr(bgpSAFINames, safi, def))
	p.s(" (")
	p.u(uint64(safi))
	p.c(')')
}

// hexPrint is hex_print reading with GET: a dump that runs past the capture
// ends the packet where the C code's read fails.
func (p *Printer) hexPrint(indent string, b []byte, n int) {
	i := 0
	off := 0
	for ; off+1 < n; off += 2 {
		if i%8 == 0 {
			p.s(indent)
			p.s("0x")
			p.hex04(uint64(off))
			p.s(": ")
		}
		i++
		p.need(b, off+2)
		p.c(' ')
		p.hexw(uint64(b[off]), 2)
		p.hexw(uint64(b[off+1]), 2)
	}
	if n&1 != 0 {
		if i%8 == 0 {
			p.s(indent)
			p.s("0x")
			p.hex04(uint64(off))
			p.s(": ")
		}
		p.need(b, off+1)
		p.c(' ')
		p.hexw(uint64(b[off]), 2)
	}
}

func (p *Printer) bgpOpen(b []byte, length int) {
	if !avail(b, 0, 29) || length < 29 {
		p.bgpTrunc()
		return
	}
	p.s("\n\t  Version ")
	p.u(uint64(b[19]))
	p.s(", my AS ")
	p.u(uint64(binary.BigEndian.Uint16(b[20:])))
	p.s(", Holdtime ")
	p.u(uint64(binary.BigEndian.Uint16(b[22:])))
	p.s("s, ID ")
	p.ip4(b[24:])
	optslen := int(b[28])
	p.s("\n\t  Optional parameters, length: ")
	p.i(optslen)
	opt := b[29:]
	length -= 29
	for i := 0; i < optslen; {
		if !avail(opt, i, 2) || length < 2+i {
			p.bgpTrunc()
			return
		}
		typ, olen := opt[i], int(opt[i+1])
		if 2+i+olen > optslen {
			p.s("\n\t     Option ")
			p.u(uint64(typ))
			p.s(", length: ")
			p.i(olen)
			p.s(", goes past the end of the options")
			break
		}
		p.s("\n\t    Option ")
		p.s(tokStr(map[uint8]string{1: "Authentication Information", 2: "Capabilities Advertisement"}, typ, "Unknown"))
		p.s(" (")
		p.u(uint64(typ))
		p.s("), length: ")
		p.i(olen)
		if typ == 2 {
			p.bgpCapabilities(opt[i+2:], olen)
		} else {
			p.s("\n\t      no decoder for option ")
			p.u(uint64(typ))
		}
		i += 2 + olen
	}
}

func (p *Printer) bgpCapabilities(b []byte, capsLen int) {
	for i := 0; i < capsLen; {
		if !avail(b, i, 2) {
			p.bgpTrunc()
			return
		}
		typ, clen := b[i], int(b[i+1])
		p.s("\n\t      ")
		p.s(tokStr(bgpCapNames, typ, "Unknown"))
		p.s(" (")
		p.u(uint64(typ))
		p.s("), length: ")
		p.i(clen)
		if !avail(b, i+2, clen) {
			p.bgpTrunc()
			return
		}
		c := b[i+2:]
		switch typ {
		case 1:
			if clen < 4 {
				p.s(" (too short, < 4)")
				return
			}
			p.s("\n\t\tAFI ")
			p.bgpAFISAFI(p.be16(c, 0), p.u8(c, 3), "Unknown", ", SAFI ")
		case 8:
			for n, off := clen, 0; n >= 4; n, off = n-4, off+4 {
				p.s("\n\t\tAFI ")
				p.bgpAFISAFI(p.be16(c, off), p.u8(c, off+2), "Unknown", ", SAFI ")
				p.s(", Count: ")
				p.u(uint64(p.u8(c, off+3)))
			}
		case 64:
			if clen < 2 {
				p.s(" (too short, < 2)")
				return
			}
			p.s("\n\t\tRestart Flags: [")
			if c[0]&0x80 != 0 {
				p.c('R')
			} else {
				p.s("none")
			}
			p.s("], Restart Time ")
			p.u(uint64(binary.BigEndian.Uint16(c) & 0xfff))
			p.c('s')
			for n, off := clen-2, 2; n >= 4; n, off = n-4, off+4 {
				p.s("\n\t\t  AFI ")
				p.bgpAFISAFI(p.be16(c, off), p.u8(c, off+2), "Unknown", ", SAFI ")
				p.s(", Forwarding state preserved: ")
				if p.u8(c, off+3)&0x80 != 0 {
					p.s("yes")
				} else {
					p.s("no")
				}
			}
		case 2, 71, 128:
		case 65:
			if clen < 4 {
				p.s(" (too short, < 4)")
				return
			}
			p.s("\n\t\t 4 Byte AS ")
			p.u(uint64(p.be32(c, 0)))
		case 69:
			if clen == 0 {
				p.s(" (bogus)")
				break
			}
			for n, off := clen, 0; n != 0; n, off = n-4, off+4 {
				if n < 4 {
					p.s(" (invalid)")
					break
				}
				p.s("\n\t\tAFI ")
				p.bgpAFISAFI(p.be16(c, off), p.u8(c, off+2), "Unknown", ", SAFI ")
				p.s(", Send/Receive: ")
				switch x := p.u8(c, off+3); x {
				case 1:
					p.s("Receive")
				case 2:
					p.s("Send")
				case 3:
					p.s("Both")
				default:
					p.s("Bogus (0x")
					p.hexw(uint64(x), 2)
					p.c(')')
				}
			}
		default:
			p.s("\n\t\tno decoder for Capability ")
			p.u(uint64(typ))
			if p.opts.Verbose <= 1 {
				p.unknownData(c, "\n\t\t", clen)
			}
		}
		if p.opts.Verbose > 1 && clen != 0 {
			p.unknownData(c, "\n\t\t", clen)
		}
		i += 2 + clen
	}
}

// bgpPrefix is decode_prefix4/decode_prefix6: a prefix length and the
// bytes it needs. It returns the bytes used, -1 for an impossible length,
// -2 when itemlen is too short.
func (p *Printer) bgpPrefix(b []byte, itemlen int, v6 bool) (string, int) {
	max := 32
	if v6 {
		max = 128
	}
	if itemlen < 1 {
		return "", -2
	}
	plen := int(p.u8(b, 0))
	if plen > max {
		return "", -1
	}
	itemlen--
	n := (plen + 7) / 8
	if itemlen < n {
		return "", -2
	}
	return p.bgpAddr(b, 1, plen, v6), 1 + n
}

// bgpAddr formats a prefix of plen bits at b[off:] as ADDR/LEN.
func (p *Printer) bgpAddr(b []byte, off, plen int, v6 bool) string {
	n := (plen + 7) / 8
	p.need(b, off+n)
	var a [16]byte
	copy(a[:], b[off:off+n])
	if plen%8 != 0 {
		a[n-1] &= byte(int(0xff00) >> (plen % 8))
	}
	return p.addrString(a[:], v6) + "/" + strconv.Itoa(plen)
}

// addrString formats an address with the printer's own routines.
func (p *Printer) addrString(a []byte, v6 bool) string {
	save := len(p.out)
	if v6 {
		p.addr6(a)
	} else {
		p.ip4(a)
	}
	s := string(p.out[save:])
	p.out = p.out[:save]
	return s
}

// bgpCheckAddPath is check_add_path: whether NLRI look like ADD-PATH
// (RFC 7911) ones, path IDs first, as tcpdump guesses without the OPEN.
// The arithmetic is unsigned, as in C.
func bgpCheckAddPath(b []byte, length uint32, maxLen uint32) bool {
	if length < 5 {
		return false
	}
	var off uint32
	for off < length {
		off += 4
		if uint64(off) >= uint64(len(b)) {
			break
		}
		pl := uint32(b[off])
		if pl > maxLen {
			return false
		}
		off += 1 + (pl+7)/8
	}
	if off > length {
		return false
	}
	for off = 0; off < length; {
		if uint64(off) >= uint64(len(b)) {
			break
		}
		pl := uint32(b[off])
		if pl < 1 || pl > maxLen {
			return true
		}
		off += 1 + (pl+7)/8
	}
	return off > length
}

func (p *Printer) bgpUpdate(b []byte, length int) {
	if !avail(b, 0, 19) || length < 19 {
		p.bgpTrunc()
		return
	}
	off := 19
	length -= 19
	if !avail(b, off, 2) || length < 2 {
		p.bgpTrunc()
		return
	}
	wlen := int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	length -= 2
	if wlen > 1 {
		if !avail(b, off, wlen) || length < wlen {
			p.bgpTrunc()
			return
		}
		p.s("\n\t  Withdrawn routes:")
		addPath := bgpCheckAddPath(b[off:], uint32(wlen), 32)
		for wlen != 0 {
			var id uint32
			if addPath {
				if wlen < 4 {
					off += wlen
					length -= wlen
					break
				}
				id = p.be32(b, off)
				off += 4
				length -= 4
				wlen -= 4
			}
			s, n := p.bgpPrefix(b[off:], wlen, false)
			if n == -1 {
				p.s("\n\t    (illegal prefix length)")
				break
			} else if n == -2 {
				p.bgpTrunc()
				return
			}
			p.s("\n\t    ")
			p.s(s)
			if addPath {
				p.s("   Path Id: ")
				p.u(uint64(id))
			}
			off += n
			length -= n
			wlen -= n
		}
	} else {
		if !avail(b, off, wlen) || length < wlen {
			p.bgpTrunc()
			return
		}
		off += wlen
		length -= wlen
	}
	if !avail(b, off, 2) || length < 2 {
		p.bgpTrunc()
		return
	}
	alen := int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	length -= 2
	if wlen == 0 && alen == 0 && length == 0 {
		p.s("\n\t  End-of-Rib Marker (empty NLRI)")
		return
	}
	if alen != 0 {
		if length < alen {
			p.bgpTrunc()
			return
		}
		for alen != 0 {
			if !avail(b, off, 2) || length < 2 {
				p.bgpTrunc()
				return
			}
			if alen < 2 {
				p.s("\n\t  [path attrs too short]")
				off += alen
				length -= alen
				break
			}
			flags, typ := b[off], b[off+1]
			off += 2
			alen -= 2
			length -= 2
			ll := 1
			if flags&0x10 != 0 {
				ll = 2
			}
			if !avail(b, off, ll) || length < ll {
				p.bgpTrunc()
				return
			}
			if alen < ll {
				p.s("\n\t  [path attrs too short]")
				off += alen
				length -= alen
				break
			}
			l := int(b[off])
			if ll == 2 {
				l = int(binary.BigEndian.Uint16(b[off:]))
			}
			off += ll
			alen -= ll
			length -= ll
			p.s("\n\t  ")
			p.bgpAttrHead(typ, l, flags)
			if flags != 0 {
				p.s(": ")
			}
			if alen < l {
				p.s(" [path attrs too short]")
				off += alen
				length -= alen
				break
			}
			if length < l {
				p.bgpTrunc()
				return
			}
			if !p.bgpAttr(typ, b[off:], l, 0) {
				p.bgpTrunc()
				return
			}
			off += l
			alen -= l
			length -= l
		}
	}
	if length != 0 {
		addPath := bgpCheckAddPath(b[off:], uint32(length), 32)
		p.s("\n\t  Updated routes:")
		for length != 0 {
			var id uint32
			if addPath {
				if !avail(b, off, 4) || length < 4 {
					p.bgpTrunc()
					return
				}
				id = binary.BigEndian.Uint32(b[off:])
				off += 4
				length -= 4
			}
			s, n := p.bgpPrefix(b[off:], length, false)
			if n == -1 {
				p.s("\n\t    (illegal prefix length)")
				break
			} else if n == -2 {
				p.bgpTrunc()
				return
			}
			p.s("\n\t    ")
			p.s(s)
			if addPath {
				p.s("   Path Id: ")
				p.u(uint64(id))
			}
			off += n
			length -= n
		}
	}
}

// bgpAttrHead prints "NAME (TYPE), length: LEN" and the flags when any
// are set.
func (p *Printer) bgpAttrHead(typ uint8, l int, flags byte) {
	p.s(tokStr(bgpAttrNames, typ, "Unknown Attribute"))
	p.s(" (")
	p.u(uint64(typ))
	p.s("), length: ")
	p.i(l)
	if flags != 0 {
		p.s(", Flags [")
		for _, f := range []struct {
			bit byte
			c   byte
		}{{0x80, 'O'}, {0x40, 'T'}, {0x20, 'P'}, {0x10, 'E'}} {
			if flags&f.bit != 0 {
				p.c(f.c)
			}
		}
		if flags&0xf != 0 {
			p.c('+')
			p.hex(uint64(flags & 0xf))
		}
		p.c(']')
	}
}

// bgpAttr is bgp_attr_print; false is its "goto trunc".
func (p *Printer) bgpAttr(typ uint8, b []byte, length int, level int) bool {
	tlen := length
	off := 0
	invalid := func() { p.s("invalid len") }
	switch typ {
	case 1:
		if length != 1 {
			invalid()
		} else {
			p.s(tokStr(map[uint8]string{0: "IGP", 1: "EGP", 2: "Incomplete"}, p.u8(b, 0), "Unknown Origin Typecode"))
		}
	case 2, 17:
		if length%2 != 0 {
			invalid()
			break
		}
		if length == 0 {
			p.s("empty")
			break
		}
		asSize := p.bgpASSize(typ, b, length)
		for off < length {
			seg := p.u8(b, off)
			p.s(tokStr(map[uint8]string{2: "", 1: "{ ", 3: "( ", 4: "({ "}, seg, "?"))
			for i := 0; i < int(p.u8(b, off+1))*asSize; i += asSize {
				if !avail(b, off+2+i, asSize) {
					return false
				}
				if asSize == 2 {
					p.u(uint64(binary.BigEndian.Uint16(b[off+2+i:])))
				} else {
					p.u(uint64(binary.BigEndian.Uint32(b[off+2+i:])))
				}
				p.c(' ')
			}
			p.s(tokStr(map[uint8]string{2: "", 1: "}", 3: ")", 4: "})"}, seg, "?"))
			off += 2 + int(p.u8(b, off+1))*asSize
		}
	case 3, 9:
		if length != 4 {
			invalid()
		} else {
			p.ip4(b)
		}
	case 4, 5:
		if length != 4 {
			invalid()
		} else {
			p.u(uint64(p.be32(b, 0)))
		}
	case 6:
		if length != 0 {
			invalid()
		}
	case 7, 18:
		if length != 8 && (typ == 18 || length != 6) {
			invalid()
			break
		}
		if typ == 7 && !avail(b, 0, length) {
			return false
		}
		p.s(" AS #")
		if length == 6 {
			p.u(uint64(p.be16(b, 0)))
			p.s(", origin ")
			p.ip4(b[2:])
		} else {
			p.u(uint64(p.be32(b, 0)))
			p.s(", origin ")
			p.need(b, 8)
			p.ip4(b[4:])
		}
	case 8:
		if length%4 != 0 {
			invalid()
			break
		}
		for ; tlen != 0; tlen, off = tlen-4, off+4 {
			if !avail(b, off, 4) {
				return false
			}
			switch c := binary.BigEndian.Uint32(b[off:]); c {
			case 0xffffff01:
				p.s(" NO_EXPORT")
			case 0xffffff02:
				p.s(" NO_ADVERTISE")
			case 0xffffff03:
				p.s(" NO_EXPORT_SUBCONFED")
			default:
				p.u(uint64(c >> 16))
				p.c(':')
				p.u(uint64(c & 0xffff))
				if tlen > 4 {
					p.s(", ")
				}
			}
		}
	case 10:
		if length%4 != 0 {
			invalid()
			break
		}
		for ; tlen != 0; tlen, off = tlen-4, off+4 {
			p.need(b, off+4)
			p.ip4(b[off:])
			if tlen > 4 {
				p.s(", ")
			}
		}
	case 14, 15:
		return p.bgpMP(typ, b, length)
	case 16:
		if length%8 != 0 {
			invalid()
			break
		}
		for ; tlen != 0; tlen, off = tlen-8, off+8 {
			if !avail(b, off, 2) {
				return false
			}
			t := binary.BigEndian.Uint16(b[off:])
			p.s("\n\t    ")
			p.s(tokStr(bgpExtCommNames, t, "unknown extd community typecode"))
			p.s(" (0x")
			p.hexw(uint64(t), 4)
			p.s("), Flags [")
			switch {
			case t&0xc000 == 0xc000:
				p.s("vendor-specific, non-transitive")
			case t&0x8000 != 0:
				p.s("vendor-specific")
			case t&0x4000 != 0:
				p.s("non-transitive")
			default:
				p.s("none")
			}
			p.c(']')
			if !avail(b, off, 8) {
				return false
			}
			p.s(": ")
			p.bgpExtComm(b[off : off+8])
		}
	case 22:
		if !avail(b, 0, 5) || tlen < 5 {
			return false
		}
		flags, tt := b[0], b[1]
		p.s("\n\t    Tunnel-type ")
		p.s(tokStr(bgpPMSITunnels, tt, "Unknown"))
		p.s(" (")
		p.u(uint64(tt))
		p.s("), Flags [")
		if flags&1 != 0 {
			p.s("Leaf Information required")
		} else {
			p.s("none")
		}
		p.s("], MPLS Label ")
		p.u(uint64(binary.BigEndian.Uint32(b[1:])&0xffffff) >> 4)
		off, tlen = 5, tlen-5
		two := func(a, c string, hexID bool) {
			p.s(a)
			p.need(b, off+4)
			p.ip4(b[off:])
			p.s(c)
			if hexID {
				p.hexw(uint64(p.be32(b, off+4)), 8)
			} else {
				p.need(b, off+8)
				p.ip4(b[off+4:])
			}
		}
		switch tt {
		case 4, 5:
			two("\n\t      Sender ", ", P-Group ", false)
		case 3:
			two("\n\t      Root-Node ", ", P-Group ", false)
		case 6:
			p.s("\n\t      Tunnel-Endpoint ")
			p.need(b, off+4)
			p.ip4(b[off:])
		case 2, 7:
			two("\n\t      Root-Node ", ", LSP-ID 0x", true)
		case 1:
			two("\n\t      Extended-Tunnel-ID ", ", P2MP-ID 0x", true)
		default:
			if p.opts.Verbose <= 1 {
				p.unknownData(b[off:], "\n\t      ", tlen)
			}
		}
	case 26:
		for tlen >= 3 {
			t := p.u8(b, off)
			l := int(p.be16(b, off+1))
			off += 3
			tlen -= 3
			p.s("\n\t    ")
			p.s(tokStr(map[uint8]string{1: "AIGP"}, t, "Unknown"))
			p.s(" TLV (")
			p.u(uint64(t))
			p.s("), length ")
			p.i(l)
			if l < 3 {
				return false
			}
			l -= 3
			if tlen < l {
				return false
			}
			if t == 1 {
				if l < 8 {
					return false
				}
				p.need(b, off+8)
				p.s(", metric ")
				p.u(binary.BigEndian.Uint64(b[off:]))
			} else if p.opts.Verbose <= 1 {
				p.unknownData(b[off:], "\n\t      ", l)
			}
			off += l
			tlen -= l
		}
	case 128:
		if !avail(b, 0, 4) || length < 4 {
			return false
		}
		p.s("\n\t    Origin AS: ")
		p.u(uint64(binary.BigEndian.Uint32(b)))
		off = 4
		length -= 4
		for length != 0 {
			if !avail(b, off, 2) {
				return false
			}
			if length < 2 {
				p.s(" [path attr too short]")
				break
			}
			aflags, atype := b[off], b[off+1]
			off += 2
			length -= 2
			ll := 1
			if aflags&0x10 != 0 {
				ll = 2
			}
			if !avail(b, off, ll) {
				return false
			}
			if length < ll {
				p.s(" [path attr too short]")
				break
			}
			al := int(b[off])
			if ll == 2 {
				al = int(binary.BigEndian.Uint16(b[off:]))
			}
			off += ll
			length -= ll
			p.s("\n\t      ")
			p.bgpAttrHead(atype, al, aflags)
			p.s(": ")
			if length < al {
				p.s(" [path attr too short]")
				break
			}
			if level == 10 {
				p.s("(too many nested levels, not recursing)")
			} else if !p.bgpAttr(atype, b[off:], al, level+1) {
				return false
			}
			off += al
			length -= al
		}
		// length is now what the loop left: tcpdump's -vv dump below
		// uses it, from the attribute's start.
	case 32:
		if length == 0 || length%12 != 0 {
			invalid()
			break
		}
		p.s("\n\t    ")
		for ; length != 0; length, off = length-12, off+12 {
			p.u(uint64(p.be32(b, off)))
			p.c(':')
			p.u(uint64(p.be32(b, off+4)))
			p.c(':')
			p.u(uint64(p.be32(b, off+8)))
			if length > 12 {
				p.s(", ")
			}
		}
	default:
		if !avail(b, 0, length) {
			return false
		}
		p.s("\n\t    no Attribute ")
		p.u(uint64(typ))
		p.s(" decoder")
		if p.opts.Verbose <= 1 {
			p.unknownData(b, "\n\t    ", length)
		}
	}
	return p.bgpAttrDone(b, length)
}

// bgpAttrDone is the end of bgp_attr_print: -vv dumps every attribute.
func (p *Printer) bgpAttrDone(b []byte, length int) bool {
	if p.opts.Verbose > 1 && length != 0 {
		if !avail(b, 0, length) {
			return false
		}
		p.unknownData(b, "\n\t    ", length)
	}
	return true
}

// bgpASSize is bgp_attr_get_as_size: an AS_PATH holds 2-byte AS numbers
// when its segments add up that way, 4-byte ones otherwise.
func (p *Printer) bgpASSize(typ uint8, b []byte, length int) int {
	if typ == 17 {
		return 4
	}
	off := 0
	for off < length {
		seg := p.u8(b, off)
		if seg < 1 || seg > 4 {
			return 4
		}
		off += 2 + int(p.u8(b, off+1))*2
	}
	if off == length {
		return 2
	}
	return 4
}

func (p *Printer) bgpExtComm(c []byte) {
	t := binary.BigEndian.Uint16(c)
	switch t {
	case 0x0002, 0x0003, 0x000a:
		p.u(uint64(binary.BigEndian.Uint16(c[2:])))
		p.c(':')
		p.u(uint64(binary.BigEndian.Uint32(c[4:])))
		p.s(" (= ")
		p.ip4(c[4:])
		p.c(')')
	case 0x0102, 0x0103, 0xf10a, 0x010b:
		p.ip4(c[2:])
		p.c(':')
		p.u(uint64(binary.BigEndian.Uint16(c[6:])))
	case 0x0202, 0x0203:
		p.u(uint64(binary.BigEndian.Uint32(c[2:])))
		p.c(':')
		p.u(uint64(binary.BigEndian.Uint16(c[6:])))
	case 0x4004:
		// A float32 in C: the product is rounded as a float.
		bw := math.Float32frombits(binary.BigEndian.Uint32(c[4:]))
		v := bw * 8 / 1000000
		p.s("bandwidth: ")
		p.out = strconv.AppendFloat(p.out, float64(v), 'f', 3, 64)
		p.s(" Mbps")
	case 0x0005, 0x0105, 0x0205, 0x8005, 0x0107, 0x8001:
		p.ip4(c[2:])
	case 0x0306, 0x8000:
		p.s("area:")
		p.ip4(c[2:])
		p.s(", router-type:")
		if n, ok := bgpOSPFRouteTypes[c[6]]; ok {
			p.s(n)
		} else {
			p.s("unknown (0x")
			p.hexw(uint64(c[6]), 2)
			p.c(')')
		}
		p.s(", metric-type:")
		if c[7]&1 != 0 {
			p.s("E2")
		}
		if c[6] == 5 || c[6] == 7 {
			p.s("E1")
		}
	case 0x800a:
		p.s(tokStr(l2vpnEncaps, c[2], "unknown encaps"))
		p.s(" Control Flags [0x")
		p.hexw(uint64(c[3]), 2)
		p.s("]:MTU ")
		p.u(uint64(binary.BigEndian.Uint16(c[4:])))
	case 0x0009:
		p.s("AS ")
		p.u(uint64(binary.BigEndian.Uint16(c[2:])))
	case 0x030c:
		p.s("Tunnel type: ")
		p.s(tokStr(bgpEncapTunnels, binary.BigEndian.Uint16(c[6:]), "unknown encaps"))
	default:
		for _, x := range c[2:8] {
			p.hexw(uint64(x), 2)
		}
	}
}

// bgpMPFamily reports whether tcpdump decodes NLRI of this AFI/SAFI.
func bgpMPFamily(af uint16, safi uint8) bool {
	switch af {
	case 1:
		switch safi {
		case 1, 2, 3, 4, 132, 128, 129, 130, 5, 66:
			return true
		}
	case 2:
		switch safi {
		case 1, 2, 3, 4, 128, 129, 130:
			return true
		}
	case 3:
		switch safi {
		case 1, 2, 3, 128, 129, 130:
			return true
		}
	case 196:
		return safi == 128 || safi == 129 || safi == 130
	case 25:
		return safi == 65
	}
	return false
}

// bgpMP is MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760).
func (p *Printer) bgpMP(typ uint8, b []byte, length int) bool {
	if !avail(b, 0, 3) || (typ == 14 && length < 3) {
		return false
	}
	af := binary.BigEndian.Uint16(b)
	safi := b[2]
	p.s("\n\t    AFI: ")
	p.s(tokStr(afNames, af, "Unknown AFI"))
	p.s(" (")
	p.u(uint64(af))
	p.s("), ")
	if safi > 128 {
		p.s("vendor specific ")
	}
	p.s("SAFI: ")
	p.s(tokStr(bgpSAFINames, safi, "Unknown SAFI"))
	p.s(" (")
	p.u(uint64(safi))
	p.c(')')
	if !bgpMPFamily(af, safi) {
		if !avail(b, 0, length) {
			return false
		}
		p.s("\n\t    no AFI ")
		p.u(uint64(af))
		p.s(" / SAFI ")
		p.u(uint64(safi))
		p.s(" decoder")
		if p.opts.Verbose <= 1 {
			p.unknownData(b, "\n\t    ", length)
		}
		return p.bgpAttrDone(b, length)
	}
	off := 3
	tlen := length - 3
	if typ == 14 {
		if !avail(b, off, 1) || tlen < 1 {
			return false
		}
		nhlen := int(b[off])
		off++
		tlen--
		if nhlen != 0 {
			if tlen < nhlen {
				return false
			}
			p.s("\n\t    nexthop: ")
			for n, t := 0, nhlen; t != 0; n++ {
				if n > 0 {
					p.s(", ")
				}
				if af == 3 {
					if safi >= 128 && t < 9 {
						p.s("invalid len")
					} else {
						p.bgpNSAPNextHop(b[off:], t, safi >= 128)
					}
					off += t
					tlen -= t
					t = 0
					continue
				}
				need, rd := 4, false
				v6 := af == 2
				if safi >= 128 && safi <= 130 && af <= 2 {
					need, rd = 12, true
				}
				if v6 {
					need += 12
				}
				if t < need {
					p.s("invalid len")
					off += t
					tlen -= t
					t = 0
					continue
				}
				// One printf in tcpdump: all of it or nothing.
				p.buffered(func() {
					a := off
					if rd {
						p.s("RD: ")
						p.bgpRD(b[off:])
						p.s(", ")
						a += 8
					}
					if v6 {
						p.addr6(b[a:])
					} else {
						p.ip4(b[a:])
					}
				})
				off += need
				tlen -= need
				t -= need
			}
		}
		p.s(", nh-length: ")
		p.i(nhlen)
		if tlen < 1 {
			return false
		}
		snpa := int(p.u8(b, off))
		off++
		tlen--
		if snpa != 0 {
			p.s("\n\t    ")
			p.i(snpa)
			p.s(" SNPA")
			for ; snpa != 0; snpa-- {
				if tlen < 1 {
					return false
				}
				sl := int(p.u8(b, off))
				p.s("\n\t      ")
				p.i(sl)
				p.s(" bytes")
				off++
				tlen--
				if tlen < sl || !avail(b, off, sl) {
					return false
				}
				off += sl
				tlen -= sl
			}
		} else {
			p.s(", no SNPA")
		}
	} else if length == 3 {
		p.s("\n\t      End-of-Rib Marker (empty NLRI)")
	}
	rest := uint32(length) - uint32(off)
	var tail []byte
	if off <= len(b) {
		tail = b[off:]
	}
	ap4 := bgpCheckAddPath(tail, rest, 32)
	ap6 := bgpCheckAddPath(tail, rest, 128)
	for off < length {
		n := p.bgpNLRI(af, safi, b[off:], length, ap4, ap6)
		if n == -2 {
			return false
		}
		if n < 0 {
			break
		}
		off += n
	}
	return p.bgpAttrDone(b, length)
}

// bgpNLRI is bgp_nlri_print for one prefix; it returns the bytes used or
// tcpdump's negative codes.
func (p *Printer) bgpNLRI(af uint16, safi uint8, b []byte, length int, ap4, ap6 bool) int {
	if n, ok := p.bgpNLRIMore(af, safi, b); ok {
		return n
	}
	v6 := af == 2
	switch safi {
	case 1, 2, 3:
		addPath := (ap4 && !v6) || (ap6 && v6)
		var id uint32
		off := 0
		if addPath {
			id = p.be32(b, 0)
			off = 4
		}
		s, n := p.bgpPrefix(b[off:], length, v6)
		switch n {
		case -1:
			p.s("\n\t    (illegal prefix length)")
		case -2:
			return -2
		default:
			p.s("\n\t      ")
			p.s(s)
		}
		if addPath {
			p.s("   Path Id: ")
			p.u(uint64(id))
			n += 4
		}
		return n
	case 4:
		if !avail(b, 0, 4) {
			return -2
		}
		if length < 4 {
			return -3
		}
		plen := int(b[0])
		max := 32
		if v6 {
			max = 128
		}
		if plen < 24 || plen-24 > max {
			p.s("\n\t    (illegal prefix length)")
			return -1
		}
		plen -= 24
		if !v6 && length-4 < (plen+7)/8 {
			return -3
		}
		s := p.bgpAddr(b, 4, plen, v6)
		p.s("\n\t      ")
		p.s(s)
		p.bgpLabel(b)
		return 4 + (plen+7)/8
	default: // 128, 129, 130: labeled VPN
		plen := int(p.u8(b, 0))
		max := 32
		if v6 {
			max = 128
		}
		if plen < 88 || plen-88 > max {
			p.s("\n\t    (illegal prefix length)")
			return -1
		}
		plen -= 88
		p.buffered(func() {
			s := p.bgpAddr(b, 12, plen, v6)
			p.s("\n\t      RD: ")
			p.bgpRD(b[4:])
			p.s(", ")
			p.s(s)
			p.bgpLabel(b)
		})
		return 12 + (plen+7)/8
	}
}

// bgpLabel prints the RFC 3107 label that follows a prefix length.
func (p *Printer) bgpLabel(b []byte) {
	p.need(b, 4)
	p.s(", label:")
	p.u(uint64(uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])) >> 4)
	if b[3]&1 == 0 {
		p.s(" (BOGUS: Bottom of Stack NOT set!)")
	} else {
		p.s(" (bottom)")
	}
}

// bgpRD is bgp_vpn_rd_print: an RFC 4364 route distinguisher.
func (p *Printer) bgpRD(b []byte) {
	switch p.be16(b, 0) {
	case 0:
		p.u(uint64(p.be16(b, 2)))
		p.c(':')
		p.u(uint64(p.be32(b, 4)))
		p.s(" (= ")
		p.ip4(b[4:])
		p.c(')')
	case 1:
		p.need(b, 8)
		p.ip4(b[2:])
		p.c(':')
		p.u(uint64(p.be16(b, 6)))
	case 2:
		p.u(uint64(p.be32(b, 2)))
		p.c(':')
		p.u(uint64(p.be16(b, 6)))
		p.s(" (")
		p.ip4(b[2:])
		p.c(':')
		p.u(uint64(p.be16(b, 6)))
		p.c(')')
	default:
		p.s("unknown RD format")
	}
}

func (p *Printer) bgpNotification(b []byte, length int) {
	if !avail(b, 0, 21) {
		p.bgpTrunc()
		return
	}
	if length < 21 {
		return
	}
	major, minor := b[19], b[20]
	p.s(", ")
	p.s(tokStr(bgpNotifyMajor, major, "Unknown Error"))
	p.s(" (")
	p.u(uint64(major))
	p.c(')')
	switch major {
	case 1, 2, 3, 5, 6, 7:
		if major == 5 || major == 7 {
			p.s(" subcode ")
		} else {
			p.s(", subcode ")
		}
		p.s(tokStr(bgpNotifyMinor[major], minor, "Unknown"))
		p.s(" (")
		p.u(uint64(minor))
		p.c(')')
	}
	if major != 6 {
		return
	}
	if minor == 1 && length >= 21+7 {
		p.s(", AFI ")
		p.bgpAFISAFI(p.be16(b, 21), p.u8(b, 23), "Unknown", ", SAFI ")
		p.s(", Max Prefixes: ")
		p.u(uint64(p.be32(b, 24)))
	}
	if (minor == 2 || minor == 4) && length >= 21+1 {
		n := int(p.u8(b, 21))
		var rem uint8 // a uint8_t in tcpdump: 255+1 wraps to 0
		switch {
		case n > length-22:
			p.s(", invalid Shutdown Communication length")
		case n == 0:
			p.s(", empty Shutdown Communication")
			rem++
		default:
			p.s(", Shutdown Communication (length: ")
			p.i(n)
			p.s("): \"")
			for i := 0; i < n; i++ {
				p.safeChar(p.u8(b, 22+i))
			}
			p.c('"')
			rem += uint8(n) + 1
		}
		if rest := uint32(length) - (uint32(rem) + 21); rest > 0 {
			p.s(", Data: (length: ")
			p.u(uint64(rest))
			p.c(')')
			p.hexPrint("\n\t\t", b[21+int(rem):], int(rest))
		}
	}
}
