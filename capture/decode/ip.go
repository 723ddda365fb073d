package decode

import (
	"encoding/binary"
)

const (
	protoHopOpts  = 0
	protoICMP     = 1
	protoIGMP     = 2
	protoIPIP     = 4
	protoTCP      = 6
	protoUDP      = 17
	protoDCCP     = 33
	protoIPv6     = 41
	protoRouting  = 43
	protoFragment = 44
	protoGRE      = 47
	protoICMPv6   = 58
	protoNone     = 59
	protoDstOpts  = 60
	protoSCTP     = 132
)

var ipProtoNames = map[uint8]string{
	0: "Options", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 8: "EGP", 9: "IGRP", 17: "UDP",
	33: "DCCP", 41: "IPv6", 43: "Routing", 44: "Fragment", 46: "RSVP", 47: "GRE", 50: "ESP",
	51: "AH", 55: "Mobile IP", 58: "ICMPv6", 62: "Mobile IP (old)", 88: "EIGRP", 89: "OSPF",
	103: "PIM", 108: "Compressed IP", 112: "VRRP", 113: "PGM", 132: "SCTP", 135: "Mobility",
	143: "Ethernet",
}

func ipProtoName(p uint8) string {
	if n, ok := ipProtoNames[p]; ok {
		return n
	}
	return "unknown"
}

// ipInfo is what transport printers need from the IP header: addresses for
// the line and the pseudo-header checksum.
type ipInfo struct {
	v6       bool
	src, dst []byte
	nh       uint8  // protocol in the IPv4 header or the IPv6 next header field
	finalDst []byte // IPv6 checksum destination after a routing header (ip6dst.go)
	frag     bool
	plen6    uint16
	ttl      uint8 // TTL or hop limit, for VRRP
}

func (p *Printer) ip(b []byte, length int) {
	p.proto = "ip"
	v := p.u8(b, 0) >> 4
	if v != 4 {
		if v == 6 {
			p.s("IP6, wrong link-layer encapsulation")
		} else {
			p.s("IP")
			p.u(uint64(v))
		}
		p.s(" (invalid)")
		return
	}
	if !p.opts.LinkHeader {
		p.s("IP ")
	}
	p.tcheck(b, 20)
	if length < 20 {
		p.s("truncated-ip ")
		p.i(length)
		return
	}
	hlen := int(b[0]&0xf) * 4
	if hlen < 20 {
		p.s("bad-hlen ")
		p.i(hlen)
		return
	}
	ipLen := int(binary.BigEndian.Uint16(b[2:]))
	if length < ipLen {
		p.s("truncated-ip - ")
		p.i(ipLen - length)
		p.s(" bytes missing! ")
	}
	if ipLen < hlen {
		p.s("bad-len ")
		p.i(ipLen)
		return
	}
	// Cut the snapshot to the end of the IP datagram (Ethernet padding).
	if len(b) > ipLen {
		b = b[:ipLen]
	}
	plen := ipLen - hlen
	off := binary.BigEndian.Uint16(b[6:])
	proto := b[9]
	if p.opts.Verbose > 0 {
		tos := b[1]
		p.s("(tos 0x")
		p.hex(uint64(tos))
		switch tos & 3 {
		case 1:
			p.s(",ECT(1)")
		case 2:
			p.s(",ECT(0)")
		case 3:
			p.s(",CE")
		}
		if b[8] >= 1 {
			p.s(", ttl ")
			p.u(uint64(b[8]))
		}
		p.s(", id ")
		p.u(uint64(binary.BigEndian.Uint16(b[4:])))
		p.s(", offset ")
		p.u(uint64(off&0x1fff) * 8)
		p.s(", flags [")
		first := true
		for _, f := range []struct {
			bit  uint16
			name string
		}{{0x2000, "+"}, {0x4000, "DF"}, {0x8000, "rsvd"}} {
			if off&f.bit != 0 {
				if !first {
					p.s(", ")
				}
				p.s(f.name)
				first = false
			}
		}
		if first {
			p.s("none")
		}
		p.s("], proto ")
		p.s(ipProtoName(proto))
		p.s(" (")
		p.u(uint64(proto))
		p.s("), length ")
		p.i(ipLen)
		trunc := false
		if hlen > 20 {
			p.s(", options (")
			if !p.ipOptions(b[20:], hlen-20) {
				// ND_TCHECK in ip_optprint.
				p.s(" [truncated-option]")
				trunc = true
			}
			p.c(')')
		}
		if len(b) >= hlen {
			if sum := checksum(0, b[:hlen]); sum != 0 {
				ipSum := binary.BigEndian.Uint16(b[10:])
				p.s(", bad cksum ")
				p.hex(uint64(ipSum))
				p.s(" (->")
				p.hex(uint64(shouldBe(ipSum, sum)))
				p.s(")!")
			}
		}
		p.s(")\n    ")
		if trunc {
			p.ip4(b[12:])
			p.s(" > ")
			p.ip4(b[16:])
			p.s(": ")
			p.s(" [|ip]")
			return
		}
	}
	if off&0x1fff == 0 {
		if proto != protoTCP && proto != protoUDP && proto != protoSCTP && proto != protoDCCP {
			p.ip4(b[12:])
			p.s(" > ")
			p.ip4(b[16:])
			p.s(": ")
		}
		if len(b) < hlen {
			p.s(" [remaining caplen(")
			p.i(len(b))
			p.s(") < header length(")
			p.i(hlen)
			p.s(")]")
			panic(truncated{})
		}
		info := ipInfo{src: b[12:16], dst: b[16:20], nh: proto, frag: off&0x2000 != 0, ttl: b[8], finalDst: ip4FinalDst(b, hlen)}
		p.demux(b[hlen:], plen, info, proto)
		return
	}
	p.ip4(b[12:])
	p.s(" > ")
	p.ip4(b[16:])
	p.c(':')
	if n := protocolName(proto); !p.opts.NumericHosts && n != "" {
		p.c(' ')
		p.s(n)
	} else {
		p.s(" ip-proto-")
		p.u(uint64(proto))
	}
}

var ipOptNames = map[uint8]string{
	0: "EOL", 1: "NOP", 68: "timestamp", 130: "security", 7: "RR", 137: "SSRR", 131: "LSRR",
	148: "RA", 82: "traceroute",
}

// ipOptions is ip_optprint; false means an option was cut short
// (" [truncated-option]").
func (p *Printer) ipOptions(b []byte, length int) bool {
	sep := ""
	for length > 0 {
		p.s(sep)
		sep = ","
		code := p.u8(b, 0)
		if n, ok := ipOptNames[code]; ok {
			p.s(n)
		} else {
			p.s("unknown ")
			p.u(uint64(code))
		}
		olen := 1
		if code != 0 && code != 1 {
			olen = int(p.u8(b, 1))
			if olen < 2 {
				p.s(" [bad length ")
				p.i(olen)
				p.c(']')
				return true
			}
		}
		if olen > length {
			p.s(" [bad length ")
			p.i(olen)
			p.c(']')
			return true
		}
		if len(b) < olen {
			return false
		}
		switch code {
		case 0:
			return true
		case 68:
			if !p.ipTimestamp(b, olen) {
				return false
			}
		case 7, 131, 137:
			if !p.ipRoute(b, olen) {
				return false
			}
		case 148:
			if olen < 4 {
				p.s(" [bad length ")
				p.i(olen)
				p.c(']')
				break
			}
			if v := binary.BigEndian.Uint16(b[2:]); v != 0 {
				p.s(" value ")
				p.u(uint64(v))
			}
		}
		b = b[olen:]
		length -= olen
	}
	return true
}

// ipTimestamp is ip_printts. Like tcpdump it reads up to the captured
// end of the packet, not of the option (b is the rest of the packet).
func (p *Printer) ipTimestamp(b []byte, length int) bool {
	if length < 4 {
		p.s("[bad length ")
		p.i(length)
		p.c(']')
		return true
	}
	p.s(" TS{")
	hoplen := 4
	if b[3]&0xf != 0 {
		hoplen = 8
	}
	if (length-4)&(hoplen-1) != 0 {
		p.s("[bad length ")
		p.i(length)
		p.c(']')
	}
	ptr := int(b[2]) - 1
	l := 0
	if ptr < 4 || (ptr-4)&(hoplen-1) != 0 || ptr > length+1 {
		p.s("[bad ptr ")
		p.u(uint64(b[2]))
		p.c(']')
	}
	switch b[3] & 0xf {
	case 0:
		p.s("TSONLY")
	case 1:
		p.s("TS+ADDR")
	case 3:
		p.s("PRESPEC")
	default:
		p.s("[bad ts type ")
		p.u(uint64(b[3] & 0xf))
		p.c(']')
		goto done
	}
	{
		typ := " "
		for l = 4; l < length; l += hoplen {
			if ptr == l {
				typ = " ^ "
			}
			if l+hoplen > len(b) {
				return false
			}
			p.s(typ)
			p.u(uint64(binary.BigEndian.Uint32(b[l+hoplen-4:])))
			p.c('@')
			if hoplen == 8 {
				p.ip4(b[l:])
			}
			typ = " "
		}
	}
done:
	if ptr == l {
		p.s(" ^ ")
	}
	if b[3]>>4 != 0 {
		p.s(" [")
		p.u(uint64(b[3] >> 4))
		p.s(" hops not recorded]} ")
	} else {
		p.c('}')
	}
	return true
}

// ipRoute is ip_printroute; b is the rest of the packet, as for
// ipTimestamp.
func (p *Printer) ipRoute(b []byte, olen int) bool {
	if olen < 3 {
		p.s(" [bad length ")
		p.i(olen)
		p.c(']')
		return true
	}
	if (olen+1)&3 != 0 {
		p.s(" [bad length ")
		p.i(olen)
		p.c(']')
	}
	// Unsigned as in tcpdump: a pointer of 0 wraps and is past every hop.
	ptr := uint32(b[2]) - 1
	if ptr < 3 || (ptr+1)&3 != 0 || ptr > uint32(olen+1) {
		p.s(" [bad ptr ")
		p.u(uint64(b[2]))
		p.c(']')
	}
	for l := 3; l < olen; l += 4 {
		if len(b) < l+4 {
			return false
		}
		p.c(' ')
		p.ip4(b[l:])
		if ptr > uint32(l) {
			p.c(',')
		}
	}
	return true
}

// demux is ip_demux_print: the payload of IPv4 or IPv6.
func (p *Printer) demux(b []byte, length int, info ipInfo, nh uint8) {
	switch nh {
	case protoTCP:
		p.tcp(b, length, info)
	case protoUDP:
		p.udp(b, length, info)
	case protoICMP:
		if info.v6 {
			p.s("[ICMP requires IPv4] (invalid)")
			return
		}
		p.icmp(b, length, info)
	case protoICMPv6:
		if !info.v6 {
			p.s("[ICMPv6 requires IPv6] (invalid)")
			return
		}
		p.icmp6(b, length, info)
	case 51:
		if len(b) < 1 {
			p.proto = "ah"
			p.s(" [|ah]")
			return
		}
		adv := p.ah(b)
		p.demux(b[adv:], length-adv, info, b[0])
	case 50:
		p.esp(b, length)
	case protoIPIP:
		p.ip(b, length)
	case protoGRE:
		p.gre(b, length)
	case 112:
		p.vrrp(b, length, info)
	case protoIPv6:
		p.ip6(b, length)
	case protoNone:
		p.s("no next header")
	case protoIGMP:
		if info.v6 {
			p.s("[IGMP requires IPv4] (invalid)")
			return
		}
		p.igmp(b, length)
	case 77:
		p.s(" nd ")
		p.i(length)
	case 143:
		if !info.v6 {
			p.s("[Ethernet requires IPv6] (invalid)")
			return
		}
		p.innerEther(b, length)
	default:
		if n := protocolName(nh); !p.opts.NumericHosts && n != "" {
			p.c(' ')
			p.s(n)
		} else {
			p.s(" ip-proto-")
			p.u(uint64(nh))
		}
		p.c(' ')
		p.i(length)
	}
}

func (p *Printer) ip6(b []byte, length int) {
	p.proto = "ip6"
	p.tcheck(b, 40)
	if length < 40 {
		p.s("truncated-ip6 ")
		p.i(length)
		return
	}
	if !p.opts.LinkHeader {
		p.s("IP6 ")
	}
	if b[0]>>4 != 6 {
		p.s("version error: ")
		p.u(uint64(b[0] >> 4))
		p.s(" != 6")
		return
	}
	payloadLen := int(binary.BigEndian.Uint16(b[4:]))
	var ipLen int
	if payloadLen != 0 {
		ipLen = payloadLen + 40
		if length < ipLen {
			p.s("truncated-ip6 - ")
			p.i(ipLen - length)
			p.s(" bytes missing!")
		}
	} else {
		ipLen = length + 40
	}
	nh := b[6]
	if p.opts.Verbose > 0 {
		flow := binary.BigEndian.Uint32(b)
		p.c('(')
		if flow&0x0ff00000 != 0 {
			p.s("class 0x")
			p.hexw(uint64(flow&0x0ff00000>>20), 2)
			p.s(", ")
		}
		if flow&0xfffff != 0 {
			p.s("flowlabel 0x")
			p.hexw(uint64(flow&0xfffff), 5)
			p.s(", ")
		}
		p.s("hlim ")
		p.u(uint64(b[7]))
		p.s(", next-header ")
		p.s(ipProtoName(nh))
		p.s(" (")
		p.u(uint64(nh))
		p.s(") payload length: ")
		p.i(payloadLen)
		p.s(") ")
	}
	origB := b
	if len(b) > ipLen {
		b = b[:ipLen]
	}
	info := ipInfo{v6: true, src: b[8:24], dst: b[24:40], nh: nh, plen6: uint16(payloadLen), ttl: b[7], finalDst: ip6FinalDst(b)}
	cp, adv, rem, total := 0, 40, ipLen, 0
	var ph uint8 = 255
	foundExt, foundHBH, foundJumbo := false, false, false
	for cp < len(b) && adv > 0 {
		if rem < adv {
			p.tcheck(nil, 1)
		}
		cp += adv
		rem -= adv
		total += adv
		if cp == 40 && nh != protoTCP && nh != protoUDP && nh != protoDCCP && nh != protoSCTP {
			p.addr6(b[8:])
			p.s(" > ")
			p.addr6(b[24:])
			p.s(": ")
		}
		switch nh {
		case protoHopOpts, protoDstOpts:
			if nh == protoHopOpts {
				if foundHBH {
					p.s("[The Hop-by-Hop Options header was already found] (invalid)")
					return
				}
				if ph != 255 {
					p.s("[The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)")
					return
				}
				p.proto = "hbhopt"
			} else {
				p.proto = "dstopt"
			}
			// tcpdump 4.99 tests for the jumbo option before it stops
			// at a Hop-by-Hop header cut short.
			noJumbo := func() {
				if nh == protoHopOpts && payloadLen == 0 && !foundJumbo {
					p.s("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)")
				}
			}
			hl := (int(p.u8(b, cp+1)) + 1) << 3
			if len(b) < cp+hl {
				p.s(" [|" + p.proto + "]")
				noJumbo()
				return
			}
			if nh == protoHopOpts {
				p.s("HBH ")
			} else {
				p.s("DSTOPT ")
			}
			if nh == protoHopOpts || p.opts.Verbose > 0 {
				if !p.ip6Options(b[cp+2:cp+hl], nh == protoHopOpts, &payloadLen, &foundJumbo) {
					p.s(" [|" + p.proto + "]")
					noJumbo()
					return
				}
			}
			if nh == protoHopOpts {
				if payloadLen == 0 && !foundJumbo {
					p.s("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)")
					return
				}
				foundHBH = true
			}
			adv = hl
			foundExt = true
		case protoFragment:
			p.proto = "frag6"
			offlg := p.be16(b, cp+2)
			fl := 40 + payloadLen - cp - 8
			if p.opts.Verbose > 0 {
				id := p.be32(b, cp+4)
				p.s("frag (0x")
				p.hexw(uint64(id), 8)
				p.c(':')
			} else {
				p.s("frag (")
			}
			p.u(uint64(offlg & 0xfff8))
			p.c('|')
			// tcpdump prints a negative length as the size_t it is.
			p.u(uint64(fl))
			p.c(')')
			if offlg&0xfff8 != 0 {
				return
			}
			p.c(' ')
			adv = 8
			if len(b) <= cp+adv {
				return
			}
			info.frag = true
			foundExt = true
		case 135, 62:
			p.mobility(b[cp:])
			return
		case protoRouting:
			p.tcheck(b, cp+1) // still [|ip6], as tcpdump checks before rt6_print
			p.proto = "rt6"
			adv = p.rt6(b[cp:])
			if adv < 0 {
				return
			}
			foundExt = true
		default:
			if foundJumbo {
				jl := payloadLen + 40
				if jl < total {
					p.proto = "ip6"
					p.tcheck(nil, 1)
				}
				if length < jl {
					p.s("truncated-ip6 - ")
					p.i(jl - length)
					p.s(" bytes missing!")
				}
				if len(origB) > jl {
					b = origB[:jl]
				} else {
					b = origB
				}
				rem = jl - total
			} else if payloadLen == 0 {
				if foundExt {
					p.proto = "ip6"
					p.tcheck(nil, 1)
				}
				rem = 0
				b = b[:min(len(b), 40)]
			}
			p.demux(b[cp:], rem, info, nh)
			return
		}
		nh = p.u8(b, cp)
		ph = nh
		p.proto = "ip6"
	}
}

// ip6SubOptions is ip6_sopt_print (inside a home address option).
func (p *Printer) ip6SubOptions(b []byte) bool {
	for i := 0; i < len(b); {
		olen := 1
		if b[i] != 0 {
			if i+1 >= len(b) {
				return false
			}
			olen = int(b[i+1]) + 2
		}
		if i+olen > len(b) {
			return false
		}
		switch b[i] {
		case 0:
			p.s(", pad1")
		case 1:
			p.s(", padn")
		default:
			p.s(", sopt_type 0x")
			p.hexw(uint64(b[i]), 2)
			p.s(": len=")
			p.i(olen - 2)
		}
		i += olen
	}
	return true
}

// ip6Options prints hop-by-hop and destination options (tcpdump shows them
// only with -v); false means malformed and the line ends.
func (p *Printer) ip6Options(b []byte, hbh bool, payloadLen *int, foundJumbo *bool) bool {
	v := p.opts.Verbose > 0
	if len(b) == 0 {
		return true
	}
	seenJumbo := false
	for i := 0; i < len(b); {
		t := b[i]
		olen := 1
		if t != 0 {
			if i+1 >= len(b) {
				return false
			}
			olen = int(b[i+1]) + 2
		}
		if i+olen > len(b) {
			return false
		}
		switch t {
		case 0:
			if v {
				p.s("(pad1)")
			}
		case 1:
			if len(b)-i < 2 {
				p.s("(padn: trunc)")
				return false
			}
			if v {
				p.s("(padn)")
			}
		case 5:
			if len(b)-i < 4 {
				p.s("(rtalert: trunc)")
				return false
			}
			if olen != 4 {
				p.s("(rtalert: invalid len ")
				p.i(olen - 2)
				p.c(')')
				return false
			}
			if v {
				p.s("(rtalert: 0x")
				p.hexw(uint64(binary.BigEndian.Uint16(b[i+2:])), 4)
				p.s(") ")
			}
		case 0xc2:
			if len(b)-i < 6 {
				p.s("(jumbo: trunc)")
				return false
			}
			if olen != 6 {
				p.s("(jumbo: invalid len ")
				p.i(olen - 2)
				p.c(')')
				return false
			}
			jl := binary.BigEndian.Uint32(b[i+2:])
			note := ""
			switch {
			case seenJumbo:
				note = " - already seen"
			case !hbh:
				note = " - not a hop-by-hop option"
			case *payloadLen != 0:
				note = " - payload len != 0"
			case jl < 65536:
				note = " - < 65536"
			default:
				*foundJumbo = true
				*payloadLen = int(jl)
			}
			seenJumbo = true
			if v {
				p.s("(jumbo: ")
				p.u(uint64(jl))
				p.s(note)
				p.s(") ")
			}
		case 0xc9:
			if len(b)-i < 18 {
				p.s("(homeaddr: trunc)")
				return false
			}
			if olen-2 < 16 {
				p.s("(homeaddr: invalid len ")
				p.i(olen - 2)
				p.c(')')
				return false
			}
			if v {
				p.s("(homeaddr: ")
				p.addr6(b[i+2:])
				if olen-2 > 16 && !p.ip6SubOptions(b[i+18:i+olen]) {
					return false
				}
				p.c(')')
			}
		default:
			if len(b)-i < 2 {
				p.s("(type ")
				p.u(uint64(t))
				p.s(": trunc)")
				return false
			}
			if v {
				p.s("(opt_type 0x")
				p.hexw(uint64(t), 2)
				p.s(": len=")
				p.i(olen - 2)
				p.c(')')
			}
		}
		i += olen
	}
	if v {
		p.c(' ')
	}
	return true
}

func (p *Printer) rt6(b []byte) int {
	p.s("RT6")
	l := int(p.u8(b, 1))
	p.s(" (len=")
	p.i(l)
	typ := p.u8(b, 2)
	p.s(", type=")
	p.u(uint64(typ))
	if typ == 0 {
		p.s(" [Deprecated]")
	}
	// Fields are read before their labels print, as tcpdump's GET macros
	// do: a field past the capture ends the line without its label.
	segleft := p.u8(b, 3)
	p.s(", segleft=")
	p.u(uint64(segleft))
	switch typ {
	case 0, 2, 4:
		if typ == 4 {
			last := p.u8(b, 4)
			p.s(", last-entry=")
			p.u(uint64(last))
			if f := p.u8(b, 5); f != 0 || p.opts.Verbose > 0 {
				p.s(", flags=0x")
				p.hex(uint64(f))
			}
			tag := p.be16(b, 6)
			p.s(", tag=")
			p.hex(uint64(tag))
		} else if r := p.be32(b, 4); r != 0 || p.opts.Verbose > 0 {
			p.s(", rsv=0x")
			p.hex(uint64(r))
		}
		if l%2 == 1 {
			p.s(" (invalid length ")
			p.i(l)
			p.s(") (invalid)")
			return -1
		}
		for i := 0; i < l/2; i++ {
			p.need(b, 8+16*(i+1))
			p.s(", [")
			p.i(i)
			p.c(']')
			p.addr6(b[8+16*i:])
		}
		p.s(") ")
		return (l + 1) << 3
	}
	p.s(" (unknown type) (invalid)")
	return -1
}
