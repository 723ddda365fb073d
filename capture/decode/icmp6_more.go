package decode

// ICMPv6 messages beyond neighbour discovery and MLD: redirects, node
// information (RFC 4620), Mobile IPv6 (RFC 6275) and router renumbering
// (RFC 2894).

import "encoding/binary"

// icmp6Redirect prints an RFC 4861 redirect: the destination, the better
// first hop and, with -v, the options.
func (p *Printer) icmp6Redirect(b []byte, length int) {
	p.need(b, 40)
	p.s(", ")
	p.addr6(b[24:])
	p.s(" to ")
	p.addr6(b[8:])
	if p.opts.Verbose > 0 && !p.ndOptions(b, 40, length) {
		p.tcheck(nil, 1)
	}
}

// icmp6NodeInfo is tcpdump's icmp6_nodeinfo_print for RFC 4620 node
// information queries (139) and replies (140). siz is what was captured,
// as tcpdump measures it; a message cut short prints " [|icmp6]" and the
// line goes on.
func (p *Printer) icmp6NodeInfo(b []byte, length int) {
	siz := len(b)
	v := p.opts.Verbose > 0
	if b[0] == 139 {
		if siz == 12 {
			// KAME's who-are-you.
			p.s(" who-are-you request")
			return
		}
		p.s(" node information query")
		if siz < 16 {
			p.s(" [|icmp6]")
			return
		}
		p.s(" (")
		qtype := binary.BigEndian.Uint16(b[4:])
		p.niQtype(qtype, b, false)
		if qtype == 0 || qtype == 1 {
			if siz != 16 && v {
				p.s(", invalid len")
			}
			p.c(')')
			return
		}
		if siz == 16 {
			p.s(", 03 draft)")
			return
		}
		switch b[1] {
		case 0:
			if siz < 32 {
				break
			}
			if siz != 32 {
				if v {
					p.s(", invalid subject len")
				}
				break
			}
			p.s(", subject=")
			p.addr6(b[16:])
		case 1:
			p.s(", subject=DNS name")
			p.niName(b, 16)
		case 2:
			if siz < 20 {
				break
			}
			if siz != 20 {
				if v {
					p.s(", invalid subject len")
				}
				break
			}
			p.s(", subject=")
			p.ip4(b[16:])
		default:
			p.s(", unknown subject")
		}
		p.c(')')
		return
	}
	if length > siz || siz < 16 {
		p.s(" [|icmp6]")
		return
	}
	p.s(" node information reply (")
	comma := false
	code := b[1]
	switch code {
	case 0:
		if v {
			p.s("success")
			comma = true
		}
	case 1, 2:
		if code == 1 {
			p.s("refused")
		} else {
			p.s("unknown")
		}
		comma = true
		if siz != 16 && v {
			p.s(", invalid length")
		}
	}
	if code != 0 {
		p.c(')')
		return
	}
	if comma {
		p.s(", ")
	}
	qtype := binary.BigEndian.Uint16(b[4:])
	flags := binary.BigEndian.Uint16(b[6:])
	switch qtype {
	case 0:
		p.s("noop")
		if siz != 16 && v {
			p.s(", invalid length")
		}
	case 1:
		p.niQtype(qtype, b, true)
	case 2:
		p.s("DNS name")
		p.need(b, 21)
		p.niName(b, 20)
		if flags&1 != 0 {
			p.s(" [TTL=")
			p.u(uint64(binary.BigEndian.Uint32(b[16:])))
			p.c(']')
		}
	case 3:
		p.s("node addresses")
		for i := 16; i+20 <= siz; i += 20 {
			// Each address follows its TTL.
			p.c(' ')
			p.addr6(b[i+4:])
			p.c('(')
			p.u(uint64(binary.BigEndian.Uint32(b[i:])))
			p.c(')')
		}
		p.niAddrFlags(flags, true)
	default:
		p.s("unknown")
	}
	p.c(')')
}

// niQtype names a query type and, for the supported-types and address
// queries, their flags.
func (p *Printer) niQtype(qtype uint16, b []byte, reply bool) {
	flags := binary.BigEndian.Uint16(b[6:])
	switch qtype {
	case 0:
		p.s("noop")
	case 1:
		p.s("supported qtypes")
		if flags != 0 {
			p.s(" [")
			if flags&1 != 0 {
				p.c('C')
			}
			p.c(']')
		}
	case 2:
		p.s("DNS name")
	case 3:
		p.s("node addresses")
		p.niAddrFlags(flags, reply)
	default:
		p.s("unknown")
	}
}

func (p *Printer) niAddrFlags(flags uint16, reply bool) {
	if flags == 0 {
		return
	}
	p.s(" [")
	for _, f := range []struct {
		bit  uint16
		name byte
	}{{0x40, 'a'}, {0x20, 'G'}, {0x10, 'S'}, {0x08, 'L'}, {0x04, 'C'}, {0x02, 'A'}} {
		if flags&f.bit != 0 {
			p.c(f.name)
		}
	}
	if reply && flags&1 != 0 {
		p.c('T')
	}
	p.c(']')
}

// niName prints a name from cp on: an old draft's length-prefixed string
// when the length byte says so, otherwise DNS labels (dnsname_print).
func (p *Printer) niName(b []byte, cp int) {
	ep := len(b)
	if cp < ep && int(b[cp]) == ep-cp-1 {
		if p.opts.Verbose > 0 {
			p.s(", 03 draft")
		}
		p.s(", \"")
		for _, c := range b[cp+1:] {
			p.safeChar(c)
		}
		p.c('"')
		return
	}
	p.s(", \"")
	for cp < ep {
		n := int(b[cp])
		cp++
		if n == 0 {
			switch {
			case cp == ep:
				p.c('.')
			case cp+1 == ep && b[cp] == 0:
			default:
				p.s("???")
			}
			break
		}
		if n > ep-cp {
			p.s("???")
			break
		}
		for ; n > 0 && cp < ep; n-- {
			p.safeChar(b[cp])
			cp++
		}
		if cp+1 < ep && b[cp] != 0 {
			p.c('.')
		}
	}
	p.c('"')
}

// icmp6Mobile prints the Mobile IPv6 home agent discovery (144, 145) and
// mobile prefix (146, 147) messages of RFC 6275.
func (p *Printer) icmp6Mobile(t uint8, b []byte, length int) {
	v := p.opts.Verbose > 0
	if (t == 145 || t == 147) && !v {
		return
	}
	id := p.be16(b, 4)
	p.s(", id 0x")
	p.hexw(uint64(id), 4)
	switch t {
	case 145:
		for off := 8; off < length; off += 16 {
			p.need(b, off+16)
			p.s(", ")
			p.addr6(b[off:])
		}
	case 147:
		p.need(b, 8) // tcpdump reads the 16-bit word holding the flags
		f := b[6]
		if f&0xc0 != 0 {
			p.c(' ')
		}
		if f&0x80 != 0 {
			p.c('M')
		}
		if f&0x40 != 0 {
			p.c('O')
		}
		if !p.ndOptions(b, 8, length) {
			p.tcheck(nil, 1)
		}
	}
}

// icmp6RouterRenum is tcpdump's icmp6_rrenum_print (RFC 2894): a command
// with its match and use prefixes, a result or a sequence number reset.
// A part that is not captured prints " [|icmp6]" and the line goes on.
func (p *Printer) icmp6RouterRenum(b []byte) {
	v := p.opts.Verbose
	if len(b) < 16 {
		p.s(" [|icmp6]")
		return
	}
	code := b[1]
	switch code {
	case 0:
		p.s(", command")
	case 1:
		p.s(", result")
	case 255:
		p.s(", sequence number reset")
	default:
		p.s(", code-#")
		p.u(uint64(code))
	}
	p.s(", seq=")
	p.u(uint64(binary.BigEndian.Uint32(b[4:])))
	if v > 0 {
		p.c('[')
		if f := b[9]; f != 0 {
			for _, x := range []struct {
				bit  byte
				name byte
			}{{0x80, 'T'}, {0x40, 'R'}, {0x20, 'A'}, {0x10, 'S'}, {0x08, 'P'}} {
				if f&x.bit != 0 {
					p.c(x.name)
				}
			}
			p.c(',')
		}
		p.s("seg=")
		p.u(uint64(b[8]))
		p.s(",maxdelay=")
		p.u(uint64(binary.BigEndian.Uint16(b[10:])))
		if r := binary.BigEndian.Uint32(b[12:]); r != 0 {
			p.s("rsvd=0x")
			p.hex(uint64(r))
		}
		p.c(']')
	}
	if code != 0 {
		return
	}
	sep := func() {
		if v > 1 {
			p.s("\n\t")
		} else {
			p.c(' ')
		}
	}
	m := b[16:]
	if len(m) < 24 {
		p.s(" [|icmp6]")
		return
	}
	sep()
	p.s("match(")
	switch m[0] {
	case 1:
		p.s("add")
	case 2:
		p.s("change")
	case 3:
		p.s("setglobal")
	default:
		p.c('#')
		p.u(uint64(m[0]))
	}
	if v > 0 {
		p.s(",ord=")
		p.u(uint64(m[2]))
		p.s(",min=")
		p.u(uint64(m[4]))
		p.s(",max=")
		p.u(uint64(m[5]))
	}
	p.c(',')
	p.addr6(m[8:])
	p.c('/')
	p.u(uint64(m[3]))
	p.c(')')
	n := int(m[1]) - 3
	if n%4 != 0 {
		p.s(" [|icmp6]")
		return
	}
	for i, u := 0, m[24:]; i < n/4; i, u = i+1, u[min(32, len(u)):] {
		if len(u) < 32 {
			p.s(" [|icmp6]")
			return
		}
		sep()
		p.s("use(")
		if f := binary.BigEndian.Uint32(u[12:]); f != 0 {
			if f&0x80000000 != 0 {
				p.c('V')
			}
			if f&0x40000000 != 0 {
				p.c('P')
			}
			p.c(',')
		}
		if v > 0 {
			p.s("mask=0x")
			p.hex(uint64(u[2]))
			p.s(",raflags=0x")
			p.hex(uint64(u[3]))
			p.c(',')
			for j, name := range []string{"vltime=", "pltime="} {
				p.s(name)
				if t := binary.BigEndian.Uint32(u[4+4*j:]); t == 0xffffffff {
					p.s("infty")
				} else {
					p.u(uint64(t))
				}
				p.c(',')
			}
		}
		p.addr6(u[16:])
		p.c('/')
		p.u(uint64(u[0]))
		p.c('/')
		p.u(uint64(u[1]))
		p.c(')')
	}
}
