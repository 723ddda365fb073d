package decode

import (
	"encoding/binary"
)

var icmpTypes = map[uint8]string{
	0: "echo reply", 4: "source quench", 8: "echo request", 10: "router solicitation",
	13: "time stamp request", 14: "time stamp reply", 15: "information request",
	16: "information reply", 17: "address mask request",
}

var icmpUnreach = map[uint8]string{
	0: "net %s unreachable", 1: "host %s unreachable", 5: "%s unreachable - source route failed",
	6: "net %s unreachable - unknown", 7: "host %s unreachable - unknown",
	8: "%s unreachable - source host isolated", 9: "net %s unreachable - admin prohibited",
	10: "host %s unreachable - admin prohibited", 11: "net %s unreachable - tos prohibited",
	12: "host %s unreachable - tos prohibited", 13: "host %s unreachable - admin prohibited filter",
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
	t := p.u8(b, 0)
	code := p.u8(b, 1)
	inner := b[min(8, len(b)):]
	dst := func() []byte { p.need(inner, 20); return inner[16:] }
	// tcpdump formats the text into a buffer before printing "ICMP ", so a
	// truncation while building it prints only [|icmp].
	p.buffered(func() {
		p.s("ICMP ")
		switch t {
		case 0, 8:
			id, seq := p.be16(b, 4), p.be16(b, 6)
			if t == 8 {
				p.s("echo request")
			} else {
				p.s("echo reply")
			}
			p.s(", id ")
			p.u(uint64(id))
			p.s(", seq ")
			p.u(uint64(seq))
		case 3:
			switch code {
			case 2:
				d := dst()
				p.ip4(d)
				p.s(" protocol ")
				p.u(uint64(inner[9]))
				p.s(" unreachable")
			case 3:
				p.tcheck(inner, 10)
				hl := int(inner[0]&0xf) * 4
				dport := p.be16(inner, hl+2)
				proto := inner[9]
				p.ip4(dst())
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
				p.ip4(dst())
				p.s(" unreachable - need to frag")
				if mtu != 0 {
					p.s(" (mtu ")
					p.u(uint64(mtu))
					p.c(')')
				}
			default:
				if f, ok := icmpUnreach[code]; ok {
					p.fmtAddr(f, dst())
				} else {
					p.ip4(dst())
					p.s(" unreachable - #")
					p.u(uint64(code))
				}
			}
		case 5:
			d := dst()
			p.need(b, 8)
			switch code {
			case 0:
				p.s("redirect ")
				p.ip4(d)
				p.s(" to net ")
			case 1:
				p.s("redirect ")
				p.ip4(d)
				p.s(" to host ")
			case 2:
				p.s("redirect-tos ")
				p.ip4(d)
				p.s(" to net ")
			case 3:
				p.s("redirect-tos ")
				p.ip4(d)
				p.s(" to host ")
			default:
				p.s("redirect-#")
				p.u(uint64(code))
				p.c(' ')
				p.ip4(d)
				p.s(" to ")
			}
			p.ip4(b[4:])
		case 11:
			p.tcheck(inner, 20)
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
		case 18:
			m := p.be32(b, 8)
			p.s("address mask is 0x")
			p.hexw(uint64(m), 8)
		case 13:
			id, seq := p.be16(b, 4), p.be16(b, 6)
			p.s("time stamp query id ")
			p.u(uint64(id))
			p.s(" seq ")
			p.u(uint64(seq))
		case 14:
			p.tcheck(b, 20)
			p.s("time stamp reply id ")
			p.u(uint64(binary.BigEndian.Uint16(b[4:])))
			p.s(" seq ")
			p.u(uint64(binary.BigEndian.Uint16(b[6:])))
			for i, n := range []string{": org ", ", recv ", ", xmit "} {
				p.s(n)
				p.msTime(binary.BigEndian.Uint32(b[8+4*i:]))
			}
		case 9:
			p.routerAdvert(b)
		default:
			if n, ok := icmpTypes[t]; ok {
				p.s(n)
			} else {
				p.s("type-#")
				p.u(uint64(t))
			}
		}
	})
	p.s(", length ")
	p.i(plen)
	if p.opts.Verbose > 0 && !info.frag && len(b) >= plen {
		if sum := checksum(0, b[:plen]); sum != 0 {
			s := p.be16(b, 2) // a 2- or 3-byte message ends in [|icmp] here, as in tcpdump
			p.s(" (wrong icmp cksum ")
			p.hex(uint64(s))
			p.s(" (->")
			p.hex(uint64(shouldBe(s, sum)))
			p.s(")!)")
		}
	}
	if p.opts.Verbose > 0 && icmpErrType(t) {
		p.s("\n\t")
		ipLen := int(p.be16(inner, 2))
		quoted := inner[:min(len(inner), ipLen)]
		// tcpdump cuts the snapshot to the quoted length before it reads
		// that length again: under 4 bytes it ends in [|icmp].
		p.need(quoted, 4)
		p.sub(func() { p.ip(quoted, ipLen) })
		p.proto = "icmp"
	}
	if p.opts.Verbose > 0 && plen > 136 && (t == 3 || t == 11 || t == 12) {
		p.icmpExtensions(b, plen)
	}
}

// icmpExtensions prints RFC 4884 multi-part extensions (MPLS labels from
// routers) when the checksum says they are there.
func (p *Printer) icmpExtensions(b []byte, plen int) {
	p.tcheck(b, 141)
	if b[5] == 0 && len(b) >= plen {
		if checksum(0, b[136:plen]) != 0 {
			return
		}
	}
	ver := b[136] >> 4
	p.s("\n\tICMP Multi-Part extension v")
	p.u(uint64(ver))
	if ver != 2 {
		p.s(" packet not supported")
		return
	}
	hlen := uint32(plen - 136)
	if len(b) >= plen {
		p.s(", checksum 0x")
		p.hexw(uint64(binary.BigEndian.Uint16(b[138:])), 4)
		p.s(" (")
		if checksum(0, b[136:plen]) != 0 {
			p.s("in")
		}
		p.s("correct), length ")
		p.u(uint64(hlen))
	}
	hlen -= 4
	off := 140
	for hlen > 4 {
		p.tcheck(b, off+4)
		tlen := uint32(binary.BigEndian.Uint16(b[off:]))
		class, ctype := b[off+2], b[off+3]
		off += 4
		p.s("\n\t  ")
		switch class {
		case 1:
			p.s("MPLS Stack Entry")
		case 2:
			p.s("Interface Identification")
		default:
			p.s("unknown")
		}
		p.s(" Object (")
		p.u(uint64(class))
		p.s("), Class-Type: ")
		p.u(uint64(ctype))
		p.s(", length ")
		p.u(uint64(tlen))
		hlen -= 4
		if class == 0 || tlen < 4 {
			return
		}
		tlen -= 4
		if class == 1 && ctype == 1 {
			l := p.be32(b, off)
			p.s("\n\t    label ")
			p.u(uint64(l >> 12))
			p.s(", tc ")
			p.u(uint64(l & 0x0e00 >> 9))
			if l&0x100 != 0 {
				p.s(", [S]")
			}
			p.s(", ttl ")
			p.u(uint64(l & 0xff))
		} else {
			p.unknownData(b[min(off, len(b)):], "\n\t    ", int(tlen))
		}
		if hlen < tlen {
			break
		}
		hlen -= tlen
		off += int(tlen)
	}
}

// msTime is icmp_tstamp_print: milliseconds since midnight as HH:MM:SS.mmm.
func (p *Printer) msTime(v uint32) {
	ms := v % 1000
	sec := v / 1000
	min := sec / 60
	sec -= min * 60
	hrs := min / 60
	min -= hrs * 60
	p.out = appendPad(p.out, uint64(hrs), 2)
	p.c(':')
	p.out = appendPad(p.out, uint64(min), 2)
	p.c(':')
	p.out = appendPad(p.out, uint64(sec), 2)
	p.c('.')
	p.out = appendPad(p.out, uint64(ms), 3)
}

func (p *Printer) routerAdvert(b []byte) {
	p.s("router advertisement")
	p.tcheck(b, 8)
	p.s(" lifetime ")
	lt := int(binary.BigEndian.Uint16(b[6:]))
	switch {
	case lt < 60:
		p.i(lt)
	case lt < 3600:
		p.i(lt / 60)
		p.c(':')
		p.out = appendPad(p.out, uint64(lt%60), 2)
	default:
		p.i(lt / 3600)
		p.c(':')
		p.out = appendPad(p.out, uint64(lt%3600/60), 2)
		p.c(':')
		p.out = appendPad(p.out, uint64(lt%60), 2)
	}
	num := int(b[4])
	p.c(' ')
	p.i(num)
	p.c(':')
	if size := b[5]; size != 2 {
		p.s(" [size ")
		p.u(uint64(size))
		p.c(']')
		return
	}
	for i := 0; i < num; i++ {
		p.tcheck(b, 8+8*(i+1))
		p.s(" {")
		p.ip4(b[8+8*i:])
		p.c(' ')
		p.u(uint64(binary.BigEndian.Uint32(b[12+8*i:])))
		p.c('}')
	}
}

var icmp6Types = map[uint8]string{
	1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
	4: "parameter problem", 128: "echo request", 129: "echo reply",
	130: "multicast listener query", 131: "multicast listener report",
	132: "multicast listener done", 133: "router solicitation", 134: "router advertisement",
	135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect",
	138: "router renumbering", 139: "who-are-you request", 140: "who-are-you reply",
	141: "inverse neighbor solicitation", 142: "inverse neighbor advertisement",
	143: "multicast listener report v2", 144: "ha discovery request", 145: "ha discovery reply",
	146: "mobile router solicitation", 147: "mobile router advertisement",
	155: "RPL", 200: "mtrace response", 201: "mtrace message",
}

var icmp6Unreach = map[uint8]string{
	0: "unreachable route", 1: " unreachable prohibited", 2: "beyond scope",
	3: "unreachable address", 4: "unreachable port",
}

var ndOptNames = map[uint8]string{
	1: "source link-address", 2: "destination link-address", 3: "prefix info",
	4: "redirected header", 5: "mtu", 7: "advertisement interval", 8: "homeagent information",
	24: "route info", 25: "rdnss", 31: "dnssl",
}

func (p *Printer) icmp6(b []byte, length int, info ipInfo) {
	p.proto = "icmp6"
	if length == 0 {
		p.s("ICMP6, length 0 (invalid)")
		return
	}
	if p.opts.Verbose > 0 && !info.frag && len(b) >= length {
		s := p.be16(b, 2)
		sum := checksum(pseudoSum(info.src, info.sumDst(), protoICMPv6, length), b[:length])
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
	code := p.u8(b, 1)
	oip := b[min(8, len(b)):]
	switch t {
	case 1:
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
				p.tcheck(nil, 1)
			}
			dport := binary.BigEndian.Uint16(ul[2:])
			p.need(oip, 40)
			p.s(", ")
			p.addr6(oip[24:])
			if prot == protoTCP {
				p.s(" tcp port ")
				p.port("tcp", dport)
			} else {
				p.s(" udp port ")
				p.port("udp", dport)
			}
		default:
			if p.opts.Verbose <= 1 {
				p.unknownData(b, "\n\t", length)
				return
			}
		}
	case 2:
		mtu := p.be32(b, 4)
		p.s(", mtu ")
		p.u(uint64(mtu))
	case 3:
		switch code {
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
		p.tcheck(oip, 40)
		ptr := p.be32(b, 4)
		switch code {
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
		}
		if code <= 3 {
			p.u(uint64(ptr))
		}
	case 128, 129:
		id := p.be16(b, 4)
		seq := p.be16(b, 6)
		p.s(", id ")
		p.u(uint64(id))
		p.s(", seq ")
		p.u(uint64(seq))
	case 130:
		switch {
		case length == 24:
			p.mld6(b)
		case length >= 28:
			p.s(" v2")
			p.mldv2Query(b, length)
		default:
			p.s(" unknown-version (len ")
			p.i(length)
			p.s(") ")
		}
	case 131, 132:
		p.mld6(b)
	case 133:
		if p.opts.Verbose > 0 && !p.ndOptions(b, 8, length) {
			p.tcheck(nil, 1)
		}
	case 134:
		if p.opts.Verbose > 0 {
			hop, flags := p.u8(b, 4), p.u8(b, 5)
			lt := p.be16(b, 6)
			reach, retrans := p.be32(b, 8), p.be32(b, 12)
			p.s("\n\thop limit ")
			p.u(uint64(hop))
			p.s(", Flags [")
			p.raFlags(flags)
			p.s("], pref ")
			p.s([]string{"medium", "high", "rsv", "low"}[(flags>>3)&3])
			p.s(", router lifetime ")
			p.u(uint64(lt))
			p.s("s, reachable time ")
			p.u(uint64(reach))
			p.s("ms, retrans timer ")
			p.u(uint64(retrans))
			p.s("ms")
			if !p.ndOptions(b, 16, length) {
				p.tcheck(nil, 1)
			}
		}
	case 135:
		p.need(b, 24)
		p.s(", who has ")
		p.addr6(b[8:])
		if p.opts.Verbose > 0 && !p.ndOptions(b, 24, length) {
			p.tcheck(nil, 1)
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
				p.tcheck(nil, 1)
			}
		}
	case 143:
		p.mldv2Report(b, length)
	case 137:
		p.icmp6Redirect(b, length)
	case 139, 140:
		p.icmp6NodeInfo(b, length)
	case 138:
		p.icmp6RouterRenum(b)
	case 144, 145, 146, 147:
		p.icmp6Mobile(t, b, length)
	case 141, 142:
	default:
		p.s(", length ")
		p.i(length)
		if p.opts.Verbose <= 1 {
			p.unknownData(b, "\n\t", length)
		}
		return
	}
	if p.opts.Verbose == 0 {
		p.s(", length ")
		p.i(length)
	}
}

// mld6 is tcpdump's mld6_print (no separator before "max resp delay").
func (p *Printer) mld6(b []byte) {
	if len(b) < 24 {
		return
	}
	p.s("max resp delay: ")
	p.u(uint64(binary.BigEndian.Uint16(b[4:])))
	p.s(" addr: ")
	p.addr6(b[8:])
}

func (p *Printer) raFlags(f byte) {
	sep := ""
	for _, fl := range []struct {
		bit  byte
		name string
	}{{0x80, "managed"}, {0x40, "other stateful"}, {0x20, "home agent"}, {0x02, "ipv6 only"}} {
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
	if length < 28 {
		p.s(" [invalid len ")
		p.i(length)
		p.c(']')
		return
	}
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
	p.need(b, 24)
	p.s(" [gaddr ")
	p.addr6(b[8:])
	if p.opts.Verbose > 0 {
		f := p.u8(b, 24)
		if f&0x08 != 0 {
			p.s(" sflag")
		}
		if f&7 != 0 {
			p.s(" robustness=")
			p.u(uint64(f & 7))
		}
		qqi := int(p.u8(b, 25))
		if qqi >= 128 {
			qqi = ((qqi & 0x0f) | 0x10) << (((qqi & 0x70) >> 4) + 3)
		}
		p.s(" qqi=")
		p.i(qqi)
	}
	if nsrc := int(p.be16(b, 26)); nsrc > 0 {
		if length < 28+nsrc*16 {
			p.s(" [invalid number of sources]")
		} else if p.opts.Verbose > 1 {
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
	p.c(']')
}

var mldv2RecTypes = map[uint8]string{1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}

func (p *Printer) mldv2Report(b []byte, length int) {
	if length < 8 {
		p.s(" [invalid len ")
		p.i(length)
		p.c(']')
		return
	}
	n := int(p.be16(b, 6))
	p.s(", ")
	p.i(n)
	p.s(" group record(s)")
	if p.opts.Verbose == 0 {
		return
	}
	g := 8
	for i := 0; i < n; i++ {
		if length < g+20 {
			p.s(" [invalid number of groups]")
			return
		}
		p.need(b, g+20)
		p.s(" [gaddr ")
		p.addr6(b[g+4:])
		if name, ok := mldv2RecTypes[b[g]]; ok {
			p.c(' ')
			p.s(name)
		} else {
			p.s("  [v2-report-#")
			p.u(uint64(b[g]))
			p.c(']')
		}
		nsrc := int(binary.BigEndian.Uint16(b[g+2:]))
		if length < g+20+nsrc*16 {
			p.s(" [invalid number of sources ")
			p.i(nsrc)
			p.c(']')
			return
		}
		if p.opts.Verbose == 1 {
			p.s(", ")
			p.i(nsrc)
			p.s(" source(s)")
		} else {
			p.s(" {")
			for j := 0; j < nsrc; j++ {
				p.need(b, g+20+16*(j+1))
				p.c(' ')
				p.addr6(b[g+20+16*j:])
			}
			p.s(" }")
		}
		g += 20 + nsrc*16
		p.c(']')
	}
}

// ndOptions is icmp6_opt_print from off; false means tcpdump's "goto trunc".
func (p *Printer) ndOptions(b []byte, off, length int) bool {
	cp := off
	resid := length - off
	for cp < len(b) {
		if cp+2 > len(b) {
			return false
		}
		if resid <= 0 {
			return true
		}
		typ := b[cp]
		olen := int(b[cp+1])
		if olen == 0 || cp+olen*8 > len(b) {
			return false
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
		opt := b[cp : cp+olen*8]
		switch typ {
		case 1, 2:
			for i, c := range opt[2:] {
				if i > 0 {
					p.c(':')
				}
				p.hexw(uint64(c), 2)
			}
		case 3:
			p.need(opt, 32)
			p.addr6(opt[16:])
			p.c('/')
			p.u(uint64(opt[2]))
			if olen != 4 {
				p.s("badlen")
			}
			p.s(", Flags [")
			f := opt[3]
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
			p.lifetime(binary.BigEndian.Uint32(opt[4:]))
			p.s(", pref. time ")
			p.lifetime(binary.BigEndian.Uint32(opt[8:]))
		case 4:
			p.unknownData(b[off:], "\n\t    ", olen*8)
		case 5:
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint32(opt[4:])))
			if olen != 1 {
				p.s("bad option length")
			}
		case 25:
			p.s(" lifetime ")
			p.u(uint64(binary.BigEndian.Uint32(opt[4:])))
			p.s("s,")
			for i := 0; i < (olen-1)/2; i++ {
				p.s(" addr: ")
				p.addr6(opt[8+16*i:])
			}
		case 7:
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint32(opt[4:])))
			p.s("ms")
		case 8:
			p.s(" preference ")
			p.u(uint64(binary.BigEndian.Uint16(opt[4:])))
			p.s(", lifetime ")
			p.u(uint64(binary.BigEndian.Uint16(opt[6:])))
		case 24: // RFC 4191 route information
			var prefix [16]byte
			switch olen {
			case 1:
			case 2, 3:
				copy(prefix[:], opt[8:olen*8])
			default:
				// tcpdump knows no prefix longer than 16 bytes.
				return false
			}
			p.c(' ')
			p.addr6(prefix[:])
			p.c('/')
			p.u(uint64(opt[2]))
			p.s(", pref=")
			p.s([]string{"medium", "high", "rsv", "low"}[opt[3]>>3&3])
			p.s(", lifetime=")
			p.lifetime(binary.BigEndian.Uint32(opt[4:]))
		case 31: // DNSSL: a lifetime, then domain names to the option's end
			p.s(" lifetime ")
			p.u(uint64(binary.BigEndian.Uint32(opt[4:])))
			p.s("s, domain(s):")
			for d := cp + 8; d < cp+olen*8 && b[d] != 0; {
				p.c(' ')
				if d = p.fqdn(b, d); d < 0 {
					return false
				}
			}
		default:
			if p.opts.Verbose <= 1 {
				p.unknownData(opt[2:], "\n\t  ", olen*8-2)
				return true
			}
		}
		if p.opts.Verbose > 1 {
			p.unknownData(opt[2:], "\n\t    ", olen*8-2)
		}
		cp += olen * 8
		resid -= olen * 8
	}
	return true
}

func (p *Printer) lifetime(v uint32) {
	if v == 0xffffffff {
		p.s("infinity")
		return
	}
	p.u(uint64(v))
	p.c('s')
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

// upperLayer6 is get_upperlayer: the TCP or UDP header inside the IPv6
// packet quoted by an ICMPv6 error, or nil.
func (p *Printer) upperLayer6(b []byte) (uint8, []byte) {
	if len(b) < 7 {
		return 0, nil
	}
	nh := b[6]
	off, hlen := 0, 40
	for off < len(b) {
		off += hlen
		switch nh {
		case protoUDP, protoTCP:
			if off+4 > len(b) {
				return 0, nil
			}
			return nh, b[off:]
		case protoHopOpts, protoDstOpts, protoRouting:
			if off+2 > len(b) {
				return 0, nil
			}
			nh = b[off]
			hlen = (int(b[off+1]) + 1) << 3
		case protoFragment:
			if off+4 > len(b) || binary.BigEndian.Uint16(b[off+2:])&0xfff8 != 0 {
				return 0, nil
			}
			nh = b[off]
			hlen = 8
		case 51:
			if off+2 > len(b) {
				return 0, nil
			}
			nh = b[off]
			hlen = (int(b[off+1]) + 2) << 2
		default:
			return 0, nil
		}
	}
	return 0, nil
}

// unknownData is print_unknown_data: a hex dump of up to n captured bytes.
func (p *Printer) unknownData(b []byte, indent string, n int) {
	p.hexOnly(indent, b[:min(n, len(b))])
}

var igmpV3Types = map[uint8]string{1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}

func (p *Printer) igmp(b []byte, length int) {
	p.proto = "igmp"
	if p.opts.Quiet {
		p.s("igmp")
		return
	}
	switch t := p.u8(b, 0); t {
	case 0x11:
		p.s("igmp query")
		if length >= 12 {
			p.igmpV3Query(b, length)
			break
		}
		if mrt := p.u8(b, 1); mrt != 0 {
			p.s(" v2")
			if mrt != 100 {
				p.s(" [max resp time ")
				p.u(uint64(mrt))
				p.c(']')
			}
		} else {
			p.s(" v1")
		}
		if p.be32(b, 4) != 0 {
			p.s(" [gaddr ")
			p.ip4(b[4:])
			p.c(']')
		}
		if length != 8 {
			p.s(" [len ")
			p.i(length)
			p.c(']')
		}
	case 0x12:
		p.need(b, 8)
		p.s("igmp v1 report ")
		p.ip4(b[4:])
		if length != 8 {
			p.s(" [len ")
			p.i(length)
			p.c(']')
		}
	case 0x16:
		p.need(b, 8)
		p.s("igmp v2 report ")
		p.ip4(b[4:])
	case 0x22:
		p.s("igmp v3 report")
		p.igmpV3Report(b, length)
	case 0x17:
		p.need(b, 8)
		p.s("igmp leave ")
		p.ip4(b[4:])
	default:
		p.s("igmp-")
		p.u(uint64(t))
	}
	if p.opts.Verbose > 0 && length >= 4 && len(b) >= length {
		if sum := checksum(0, b[:length]); sum != 0 {
			p.s(" bad igmp cksum ")
			p.hex(uint64(binary.BigEndian.Uint16(b[2:])))
			p.c('!')
		}
	}
}

func (p *Printer) igmpV3Report(b []byte, length int) {
	if length < 16 || length&3 != 0 {
		p.s(" [invalid len ")
		p.i(length)
		p.c(']')
		return
	}
	n := int(p.be16(b, 6))
	p.s(", ")
	p.i(n)
	p.s(" group record(s)")
	if p.opts.Verbose == 0 {
		return
	}
	g := 8
	for i := 0; i < n; i++ {
		if length < g+8 {
			p.s(" [invalid number of groups]")
			return
		}
		p.need(b, g+8)
		p.s(" [gaddr ")
		p.ip4(b[g+4:])
		p.c(' ')
		if name, ok := igmpV3Types[b[g]]; ok {
			p.s(name)
		} else {
			p.s(" [v3-report-#")
			p.u(uint64(b[g]))
			p.c(']')
		}
		nsrc := int(binary.BigEndian.Uint16(b[g+2:]))
		if length < g+8+nsrc*4 {
			p.s(" [invalid number of sources ")
			p.i(nsrc)
			p.c(']')
			return
		}
		if p.opts.Verbose == 1 {
			p.s(", ")
			p.i(nsrc)
			p.s(" source(s)")
		} else {
			p.s(" {")
			for j := 0; j < nsrc; j++ {
				p.need(b, g+8+4*(j+1))
				p.c(' ')
				p.ip4(b[g+8+4*j:])
			}
			p.s(" }")
		}
		g += 8 + nsrc*4
		p.c(']')
	}
}

func (p *Printer) igmpV3Query(b []byte, length int) {
	p.s(" v3")
	if length < 12 || length&3 != 0 {
		p.s(" [invalid len ")
		p.i(length)
		p.c(']')
		return
	}
	mrc := int(p.u8(b, 1))
	mrt := mrc
	if mrc >= 128 {
		mrt = ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3)
	}
	if mrc != 100 {
		p.s(" [max resp time ")
		if mrt < 600 {
			p.i(mrt / 10)
			p.c('.')
			p.i(mrt % 10)
			p.c('s')
		} else {
			p.relTime(uint32(mrt / 10))
		}
		p.c(']')
	}
	if p.be32(b, 4) == 0 {
		return
	}
	p.s(" [gaddr ")
	p.ip4(b[4:])
	if nsrc := int(p.be16(b, 10)); nsrc > 0 {
		if length < 12+nsrc*4 {
			p.s(" [invalid number of sources]")
		} else if p.opts.Verbose > 1 {
			p.s(" {")
			for i := 0; i < nsrc; i++ {
				p.need(b, 12+4*(i+1))
				p.c(' ')
				p.ip4(b[12+4*i:])
			}
			p.s(" }")
		} else {
			p.s(", ")
			p.i(nsrc)
			p.s(" source(s)")
		}
	}
	p.c(']')
}

func (p *Printer) need4(b []byte, off int) []byte {
	p.need(b, off+4)
	return b[off:]
}
