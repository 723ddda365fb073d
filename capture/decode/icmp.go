package decode

import (
	"encoding/binary"
)

var icmpTypes = map[uint8]string{
	0: "echo reply", 3: "", 4: "source quench", 5: "redirect", 8: "echo request",
	9: "router advertisement", 10: "router solicitation", 11: "time exceeded",
	12: "parameter problem", 13: "time stamp request", 14: "time stamp reply",
	15: "information request", 16: "information reply", 17: "address mask request",
	18: "address mask reply",
}

var icmpUnreach = map[uint8]string{
	0: "net %s unreachable", 1: "host %s unreachable", 5: "%s unreachable - source route failed",
	6: "net %s unreachable - unknown", 7: "host %s unreachable - unknown",
	8: "%s unreachable - source host isolated", 9: "net %s unreachable - admin prohibited",
	10: "host %s unreachable - admin prohibited", 11: "net %s unreachable - tos prohibited",
	12: "host %s unreachable - tos prohibited", 13: "host %s unreachable - admin prohibited-filter",
	14: "host %s unreachable - host precedence violation",
	15: "host %s unreachable - precedence cutoff",
}

// fmtAddr writes format with its one %s replaced by an address.
func (p *Printer) fmtAddr(format string, a []byte) {
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) && format[i+1] == 's' {
			p.ip4(a)
			i++
			continue
		}
		p.c(format[i])
	}
}

func icmpErrType(t uint8) bool { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12 }

func (p *Printer) icmp(b []byte, plen int, info ipInfo) {
	p.proto = "icmp"
	// tcpdump builds the text in a buffer before printing "ICMP ": a
	// truncation while building it prints nothing but [|icmp].
	save := len(p.out)
	p.s("ICMP ")
	t := p.u8(b, 0)
	code := p.u8(b, 1)
	switch t {
	case 0, 8:
		if t == 8 {
			p.s("echo request")
		} else {
			p.s("echo reply")
		}
		id := p.be16(b, 4)
		seq := p.be16(b, 6)
		p.s(", id ")
		p.u(uint64(id))
		p.s(", seq ")
		p.u(uint64(seq))
	case 3:
		inner := b[min(8, len(b)):]
		switch code {
		case 2:
			p.need(inner, 20)
			p.ip4(inner[16:])
			p.s(" protocol ")
			p.u(uint64(inner[9]))
			p.s(" unreachable")
		case 3:
			p.need(inner, 1)
			hl := int(inner[0]&0xf) * 4
			dport := p.be16(inner, hl+2)
			proto := p.u8(inner, 9)
			p.ip4(inner[16:])
			switch proto {
			case protoTCP:
				p.s(" tcp port ")
				p.port("tcp", dport)
			case protoUDP:
				p.s(" udp port ")
				p.port("udp", dport)
			default:
				p.s(" protocol ")
				p.u(uint64(proto))
				p.s(" port ")
				p.u(uint64(dport))
			}
			p.s(" unreachable")
		case 4:
			mtu := p.be16(b, 6)
			p.need(inner, 20)
			p.ip4(inner[16:])
			p.s(" unreachable - need to frag")
			if mtu != 0 {
				p.s(" (mtu ")
				p.u(uint64(mtu))
				p.c(')')
			}
		default:
			if f, ok := icmpUnreach[code]; ok {
				p.need(inner, 20)
				p.fmtAddr(f, inner[16:])
			} else {
				p.c('#')
				p.u(uint64(code))
			}
		}
	case 5:
		inner := b[min(8, len(b)):]
		p.need(inner, 20)
		gw := p.be32(b, 4)
		var g [4]byte
		binary.BigEndian.PutUint32(g[:], gw)
		switch code {
		case 0:
			p.s("redirect ")
			p.ip4(inner[16:])
			p.s(" to net ")
		case 1:
			p.s("redirect ")
			p.ip4(inner[16:])
			p.s(" to host ")
		case 2:
			p.s("redirect-tos ")
			p.ip4(inner[16:])
			p.s(" to net ")
		case 3:
			p.s("redirect-tos ")
			p.ip4(inner[16:])
			p.s(" to host ")
		default:
			p.s("redirect-#")
			p.u(uint64(code))
			p.c(' ')
			p.ip4(inner[16:])
			p.s(" to ")
		}
		p.ip4(g[:])
	case 11:
		switch code {
		case 0:
			p.s("time exceeded in-transit")
		case 1:
			p.s("ip reassembly time exceeded")
		default:
			p.s("time exceeded-#")
			p.u(uint64(code))
		}
	case 12:
		if code != 0 {
			p.s("parameter problem - code ")
			p.u(uint64(code))
		} else {
			p.s("parameter problem - octet ")
			p.u(uint64(p.u8(b, 4)))
		}
	default:
		if n, ok := icmpTypes[t]; ok && n != "" {
			p.s(n)
		} else {
			p.s("type-#")
			p.u(uint64(t))
		}
	}
	_ = save
	p.s(", length ")
	p.i(plen)
	if p.opts.Verbose > 0 && !info.frag && len(b) >= plen {
		if sum := checksum(0, b[:plen]); sum != 0 {
			s := binary.BigEndian.Uint16(b[2:])
			p.s(" (wrong icmp cksum ")
			p.hex(uint64(s))
			p.s(" (->")
			p.hex(uint64(shouldBe(s, sum)))
			p.s(")!)")
		}
	}
	if p.opts.Verbose > 0 && icmpErrType(t) {
		inner := b[min(8, len(b)):]
		p.s("\n\t")
		ipLen := int(p.be16(inner, 2))
		p.ip(inner, ipLen)
	}
}

var icmp6Types = map[uint8]string{
	1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
	4: "parameter problem", 128: "echo request", 129: "echo reply",
	130: "multicast listener query", 131: "multicast listener report",
	132: "multicast listener done", 133: "router solicitation", 134: "router advertisement",
	135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect",
	138: "router renumbering", 139: "node information query", 140: "node information reply",
	141: "inverse neighbor solicitation", 142: "inverse neighbor advertisement",
	143: "multicast listener report v2", 144: "ha discovery request", 145: "ha discovery reply",
	146: "mobile router solicitation", 147: "mobile router advertisement",
	148: "certification path solicitation", 149: "certification path advertisement",
	151: "multicast router advertisement", 152: "multicast router solicitation",
	153: "multicast router termination",
}

var icmp6Unreach = map[uint8]string{
	0: "unreachable route", 1: "unreachable prohibited", 2: "beyond scope",
	3: "unreachable address", 4: "unreachable port",
}

var ndOptNames = map[uint8]string{
	1: "source link-address", 2: "destination link-address", 3: "prefix info",
	4: "redirected header", 5: "mtu", 7: "advertisement interval", 8: "homeagent information",
	14: "nonce", 24: "route info", 25: "rdnss", 31: "dnssl",
}

func (p *Printer) icmp6(b []byte, length int, info ipInfo) {
	p.proto = "icmp6"
	if length == 0 {
		p.s("ICMP6, length 0 (invalid)")
		return
	}
	if p.opts.Verbose > 0 && !info.frag && len(b) >= length {
		s := p.be16(b, 2)
		sum := checksum(pseudoSum(info.src, info.dst, protoICMPv6, length), b[:length])
		if sum != 0 {
			p.s("[bad icmp6 cksum 0x")
			p.hexw(uint64(s), 4)
			p.s(" -> 0x")
			p.hexw(uint64(shouldBe(s, sum)), 4)
			p.s("!] ")
		} else {
			p.s("[icmp6 sum ok] ")
		}
	}
	t := p.u8(b, 0)
	p.s("ICMP6, ")
	if n, ok := icmp6Types[t]; ok {
		p.s(n)
	} else {
		p.s("unknown icmp6 type (")
		p.u(uint64(t))
		p.c(')')
	}
	if p.opts.Verbose > 0 && (t == 133 || t == 134 || t == 135 || t == 136 || t == 137 || t == 145 || t == 147) {
		p.s(", length ")
		p.i(length)
	}
	oip := b[min(8, len(b)):]
	switch t {
	case 1:
		code := p.u8(b, 1)
		p.s(", ")
		if n, ok := icmp6Unreach[code]; ok {
			p.s(n)
		} else {
			p.s("unknown unreach code (")
			p.u(uint64(code))
			p.c(')')
		}
		switch code {
		case 0, 1, 3:
			p.need(oip, 40)
			p.c(' ')
			p.addr6(oip[24:])
		case 2:
			p.need(oip, 40)
			p.c(' ')
			p.addr6(oip[24:])
			p.s(", source address ")
			p.addr6(oip[8:])
		case 4:
			prot, ul := p.upperLayer6(oip)
			if ul == nil {
				panic(truncated{})
			}
			dport := p.be16(ul, 2)
			switch prot {
			case protoTCP:
				p.s(", ")
				p.addr6(oip[24:])
				p.s(" tcp port ")
				p.port("tcp", dport)
			case protoUDP:
				p.s(", ")
				p.addr6(oip[24:])
				p.s(" udp port ")
				p.port("udp", dport)
			default:
				p.s(", ")
				p.addr6(oip[24:])
				p.s(" protocol ")
				p.u(uint64(prot))
				p.s(" port ")
				p.u(uint64(dport))
				p.s(" unreachable")
			}
		default:
			if p.opts.Verbose <= 1 {
				p.unknownData(b[:min(len(b), length)], "\n\t")
				return
			}
		}
	case 2:
		p.s(", mtu ")
		p.u(uint64(p.be32(b, 4)))
	case 3:
		switch code := p.u8(b, 1); code {
		case 0:
			p.need(oip, 40)
			p.s(" for ")
			p.addr6(oip[24:])
		case 1:
			p.s(" (reassembly)")
		default:
			p.s(", unknown code (")
			p.u(uint64(code))
			p.c(')')
		}
	case 4:
		p.need(oip, 40)
		ptr := p.be32(b, 4)
		switch code := b[1]; code {
		case 0:
			p.s(", erroneous - octet ")
		case 1:
			p.s(", next header - octet ")
		case 2:
			p.s(", option - octet ")
		case 3:
			p.s(", incomplete header chain - octet ")
		default:
			p.s(", code-#")
			p.u(uint64(code))
			ptr = 1<<32 - 1
		}
		if ptr != 1<<32-1 {
			p.u(uint64(ptr))
		}
	case 128, 129:
		p.s(", id ")
		p.u(uint64(p.be16(b, 4)))
		p.s(", seq ")
		p.u(uint64(p.be16(b, 6)))
	case 130, 131, 132:
		if length == 24 || t != 130 {
			p.s(" max resp delay: ")
			p.u(uint64(p.be16(b, 4)))
			p.s(" addr: ")
			p.need(b, 24)
			p.addr6(b[8:])
		} else if length >= 28 {
			p.mldv2Query(b, length)
		} else {
			p.s(" unknown-version (len ")
			p.i(length)
			p.s(") ")
		}
	case 133:
		if p.opts.Verbose > 0 && !p.ndOptions(b, 8, length) {
			return
		}
	case 134:
		if p.opts.Verbose > 0 {
			p.need(b, 16)
			p.s("\n\thop limit ")
			p.u(uint64(b[4]))
			p.s(", Flags [")
			p.raFlags(b[5])
			p.s("], pref ")
			p.s([]string{"medium", "high", "rsv", "low"}[(b[5]>>3)&3])
			p.s(", router lifetime ")
			p.u(uint64(binary.BigEndian.Uint16(b[6:])))
			p.s("s, reachable time ")
			p.u(uint64(binary.BigEndian.Uint32(b[8:])))
			p.s("ms, retrans timer ")
			p.u(uint64(binary.BigEndian.Uint32(b[12:])))
			p.s("ms")
			if !p.ndOptions(b, 16, length) {
				return
			}
		}
	case 135:
		p.need(b, 24)
		p.s(", who has ")
		p.addr6(b[8:])
		if p.opts.Verbose > 0 && !p.ndOptions(b, 24, length) {
			return
		}
	case 136:
		p.need(b, 24)
		p.s(", tgt is ")
		p.addr6(b[8:])
		if p.opts.Verbose > 0 {
			f := binary.BigEndian.Uint32(b[4:])
			p.s(", Flags [")
			sep := ""
			for _, fl := range []struct {
				bit  uint32
				name string
			}{{0x80000000, "router"}, {0x40000000, "solicited"}, {0x20000000, "override"}} {
				if f&fl.bit != 0 {
					p.s(sep)
					p.s(fl.name)
					sep = ", "
				}
			}
			if sep == "" {
				p.s("none")
			}
			p.c(']')
			if !p.ndOptions(b, 24, length) {
				return
			}
		}
	case 143:
		if length < 8 {
			p.s(" [invalid len ")
			p.i(length)
			p.c(']')
			return
		}
		n := p.be16(b, 6)
		p.s(", ")
		p.u(uint64(n))
		p.s(" group record(s)")
		if p.opts.Verbose > 0 {
			p.mldv2Records(b, int(n), length)
		}
	case 141, 142:
	default:
		p.s(", length ")
		p.i(length)
		if p.opts.Verbose <= 1 {
			p.unknownData(b[:min(len(b), length)], "\n\t")
		}
		return
	}
	if p.opts.Verbose == 0 {
		p.s(", length ")
		p.i(length)
	}
}

func (p *Printer) raFlags(f byte) {
	sep := ""
	for _, fl := range []struct {
		bit  byte
		name string
	}{{0x80, "managed"}, {0x40, "other stateful"}, {0x20, "home agent"}, {0x10, "router pref"}, {0x08, "proxy"}} {
		if f&fl.bit != 0 {
			p.s(sep)
			p.s(fl.name)
			sep = ", "
		}
	}
	if sep == "" {
		p.s("none")
	}
}

func (p *Printer) mldv2Query(b []byte, length int) {
	mrc := int(p.be16(b, 4))
	mrt := mrc
	if mrc >= 32768 {
		mrt = ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3)
	}
	if p.opts.Verbose > 0 {
		p.s(" [max resp delay=")
		p.i(mrt)
		p.c(']')
	}
	p.need(b, 28)
	if binary.BigEndian.Uint64(b[8:]) == 0 && binary.BigEndian.Uint64(b[16:]) == 0 {
		// general query
	} else {
		p.s(" [gaddr ")
		p.addr6(b[8:])
	}
	nsrc := int(binary.BigEndian.Uint16(b[26:]))
	if p.opts.Verbose > 0 {
		if b[24]&0x08 != 0 {
			p.s(" sflag")
		}
		qrv := b[24] & 7
		if qrv != 0 {
			p.s(" robustness=")
			p.u(uint64(qrv))
		}
		p.s(" qqi=")
		qqic := int(b[25])
		if qqic >= 128 {
			qqic = ((qqic & 0x0f) | 0x10) << (((qqic & 0x70) >> 4) + 3)
		}
		p.i(qqic)
	}
	if nsrc > 0 {
		if p.opts.Verbose > 0 {
			p.s(" {")
			for i := 0; i < nsrc; i++ {
				p.need(b, 28+16*(i+1))
				p.c(' ')
				p.addr6(b[28+16*i:])
			}
			p.s(" }")
		} else {
			p.s(", ")
			p.i(nsrc)
			p.s(" source(s)")
		}
	}
	if !(binary.BigEndian.Uint64(b[8:]) == 0 && binary.BigEndian.Uint64(b[16:]) == 0) {
		p.c(']')
	}
	_ = length
}

var mldv2RecTypes = map[uint8]string{1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}

func (p *Printer) mldv2Records(b []byte, n, length int) {
	off := 8
	for i := 0; i < n; i++ {
		p.need(b, off+20)
		p.s(" [gaddr ")
		p.addr6(b[off+4:])
		rt := b[off]
		if name, ok := mldv2RecTypes[rt]; ok {
			p.c(' ')
			p.s(name)
		} else {
			p.s(" [invalid type ")
			p.u(uint64(rt))
			p.c(']')
		}
		nsrc := int(binary.BigEndian.Uint16(b[off+2:]))
		auxlen := int(b[off+1])
		if p.opts.Verbose == 1 {
			p.s(", ")
			p.i(nsrc)
			p.s(" source(s)")
		} else {
			p.s(" {")
			for j := 0; j < nsrc; j++ {
				p.need(b, off+20+16*(j+1))
				p.c(' ')
				p.addr6(b[off+20+16*j:])
			}
			p.s(" }")
		}
		off += 20 + 16*nsrc + 4*auxlen
		p.c(']')
	}
	_ = length
}

// ndOptions prints neighbour discovery options from off; false when the
// line ended early.
func (p *Printer) ndOptions(b []byte, off, length int) bool {
	end := min(length, len(b))
	cp := off
	for cp < end {
		p.need(b, cp+2)
		typ := b[cp]
		olen := int(b[cp+1])
		if olen == 0 || cp+olen*8 > end {
			panic(truncated{})
		}
		p.s("\n\t  ")
		if n, ok := ndOptNames[typ]; ok {
			p.s(n)
		} else {
			p.s("unknown")
		}
		p.s(" option (")
		p.u(uint64(typ))
		p.s("), length ")
		p.i(olen * 8)
		p.s(" (")
		p.i(olen)
		p.s("): ")
		data := b[cp+2 : cp+olen*8]
		switch typ {
		case 1, 2:
			for i, c := range data {
				if i > 0 {
					p.c(':')
				}
				p.hexw(uint64(c), 2)
			}
		case 5:
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint32(data[2:])))
		case 3:
			if len(data) < 30 {
				panic(truncated{})
			}
			p.addr6(data[14:])
			p.c('/')
			p.u(uint64(data[0]))
			p.s(", Flags [")
			f := data[1]
			sep := ""
			for _, fl := range []struct {
				bit  byte
				name string
			}{{0x80, "onlink"}, {0x40, "auto"}, {0x20, "router"}} {
				if f&fl.bit != 0 {
					p.s(sep)
					p.s(fl.name)
					sep = ", "
				}
			}
			if sep == "" {
				p.s("none")
			}
			p.s("], valid time ")
			p.lifetime(binary.BigEndian.Uint32(data[2:]))
			p.s(", pref. time ")
			p.lifetime(binary.BigEndian.Uint32(data[6:]))
		default:
			if p.opts.Verbose <= 1 {
				p.unknownData(data, "\n\t  ")
				return true
			}
		}
		if p.opts.Verbose > 1 {
			p.unknownData(data, "\n\t    ")
		}
		cp += olen * 8
	}
	return true
}

func (p *Printer) lifetime(v uint32) {
	if v == 0xffffffff {
		p.s("infinity")
		return
	}
	p.relTime(v)
}

// relTime is tcpdump's unsigned_relts_print: 1h2m3s.
func (p *Printer) relTime(v uint32) {
	if v == 0 {
		p.s("0s")
		return
	}
	units := []struct {
		n    uint32
		name string
	}{{31536000, "y"}, {604800, "w"}, {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}
	for _, u := range units {
		if v >= u.n {
			p.u(uint64(v / u.n))
			p.s(u.name)
			v %= u.n
		}
	}
}

// upperLayer6 finds the transport header inside the IPv6 packet quoted in an
// ICMPv6 error.
func (p *Printer) upperLayer6(b []byte) (uint8, []byte) {
	if len(b) < 40 {
		return 0, nil
	}
	nh := b[6]
	off := 40
	for {
		switch nh {
		case protoHopOpts, protoDstOpts, protoRouting:
			if len(b) < off+2 {
				return 0, nil
			}
			nh = b[off]
			off += (int(b[off+1]) + 1) << 3
		case protoFragment:
			if len(b) < off+4 {
				return 0, nil
			}
			if binary.BigEndian.Uint16(b[off+2:])&0xfff8 != 0 {
				return 0, nil
			}
			nh = b[off]
			off += 8
		case 51: // AH
			if len(b) < off+2 {
				return 0, nil
			}
			nh = b[off]
			off += (int(b[off+1]) + 2) << 2
		default:
			if len(b) < off+4 {
				return 0, nil
			}
			return nh, b[off:]
		}
	}
}

// unknownData is print_unknown_data: a hex and ASCII dump.
func (p *Printer) unknownData(b []byte, indent string) {
	p.hexASCII(indent, b, 0)
}

var igmpV3Types = map[uint8]string{1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}

func (p *Printer) igmp(b []byte, length int) {
	p.proto = "igmp"
	t := p.u8(b, 0)
	switch t {
	case 0x11:
		p.s("igmp query")
		if length >= 12 {
			p.s(" v3")
			p.need(b, 12)
			mrc := int(b[1])
			if mrc >= 128 {
				mrc = ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3)
			}
			if mrc != 100 {
				p.s(" [max resp time ")
				if mrc < 100 {
					p.c('0')
					p.c('.')
					p.i(mrc)
				} else {
					p.i(mrc / 10)
					p.c('.')
					p.i(mrc % 10)
				}
				p.s("s]")
			}
			if binary.BigEndian.Uint32(b[4:]) != 0 {
				p.s(" [gaddr ")
				p.ip4(b[4:])
				p.c(']')
			}
			if n := binary.BigEndian.Uint16(b[10:]); n > 0 {
				p.s(" [")
				p.u(uint64(n))
				p.s(" source(s)]")
			}
		} else {
			mrt := b[1]
			if mrt != 0 {
				p.s(" v2")
				if mrt != 100 {
					p.s(" [max resp time ")
					p.u(uint64(mrt))
					p.c(']')
				}
			} else {
				p.s(" v1")
			}
			if binary.BigEndian.Uint32(p.need4(b, 4)) != 0 {
				p.s(" [gaddr ")
				p.ip4(b[4:])
				p.c(']')
			}
			if length != 8 {
				p.s(" [len ")
				p.i(length)
				p.c(']')
			}
		}
	case 0x12, 0x16:
		if t == 0x12 {
			p.s("igmp v1 report ")
		} else {
			p.s("igmp v2 report ")
		}
		p.ip4(b[min(4, len(b)):])
	case 0x17:
		p.s("igmp leave ")
		p.ip4(b[min(4, len(b)):])
	case 0x22:
		p.s(" igmp v3 report")
		n := p.be16(b, 6)
		p.s(", ")
		p.u(uint64(n))
		p.s(" group record(s)")
	default:
		p.s("igmp-")
		p.hex(uint64(t))
	}
	// IGMP -v checksum.
	if p.opts.Verbose > 0 && len(b) >= length {
		if sum := checksum(0, b[:length]); sum != 0 {
			p.s(" bad igmp cksum ")
			p.hex(uint64(binary.BigEndian.Uint16(b[2:])))
			p.c('!')
		}
	}
}

func (p *Printer) need4(b []byte, off int) []byte {
	p.need(b, off+4)
	return b[off:]
}
