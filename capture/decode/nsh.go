package decode

var nshNextProtos = map[uint8]string{1: "IPv4", 2: "IPv6", 3: "Ethernet", 4: "NSH", 5: "MPLS", 0xfe: "Experiment 1", 0xff: "Experiment 2"}

// nsh prints an RFC 8300 Network Service Header as tcpdump's nsh_print:
// base and service path headers, the context headers with -vvv, then the
// payload its next protocol names.
func (p *Printer) nsh(b []byte, length int) {
	p.proto = "nsh"
	if length < 8 {
		p.s(" (packet length ")
		p.i(length)
		p.s(" < 8) (invalid)")
		return
	}
	base := p.be32(b, 0)
	ver := base >> 30
	words := int(base >> 16 & 0x3f)
	md := base >> 8 & 0xf
	next := uint8(base)
	p.s("NSH, ")
	v := p.opts.Verbose
	if v > 1 {
		p.s("ver ")
		p.u(uint64(ver))
		p.s(", ")
	}
	if ver != 0 {
		return
	}
	p.s("flags [")
	if base>>28&3&2 != 0 {
		p.c('O')
	} else {
		p.s("none")
	}
	p.s("], ")
	if v > 2 {
		p.s("TTL ")
		p.u(uint64(base >> 22 & 0x3f))
		p.s(", length ")
		p.i(words)
		p.s(", md type ")
		switch md {
		case 0:
			p.s("reserved")
		case 1, 2:
			p.u(uint64(md))
		case 0xf:
			p.s("experimental")
		default:
			p.s("unknown (0x")
			p.hexw(uint64(md), 2)
			p.c(')')
		}
		p.s(", ")
	}
	if v > 1 {
		p.s("next-protocol ")
		if n, ok := nshNextProtos[next]; ok {
			p.s(n)
		} else {
			p.s("unknown (0x")
			p.hexw(uint64(next), 2)
			p.c(')')
		}
		p.s(", ")
	}
	if length < words*4 {
		p.s(" (too many headers for packet length ")
		p.i(length)
		p.s(") (invalid)")
		return
	}
	spi := uint64(p.u8(b, 4))<<16 | uint64(p.u8(b, 5))<<8 | uint64(p.u8(b, 6))
	p.s("service-path-id 0x")
	p.hexw(spi, 6)
	p.s(", ")
	si := p.u8(b, 7)
	p.s("service-index 0x")
	p.hex(uint64(si))
	if words < 2 {
		p.s(" (less than two headers) (invalid)")
		return
	}
	off, past := 8, false
	if v > 2 {
		switch md {
		case 1:
			if words != 6 {
				p.s(" (invalid length for the MD type) (invalid)")
				return
			}
			for n := 0; n < 4; n++ {
				ctx := p.be32(b, off)
				p.s("\n        Context[")
				p.out = appendPad(p.out, uint64(n), 2)
				p.s("]: 0x")
				p.hexw(uint64(ctx), 8)
				off += 4
			}
			past = true
		case 2:
			for n := 0; n < words-2; {
				class := p.be16(b, off)
				typ := p.u8(b, off+2)
				tlen := int(p.u8(b, off+3) & 0x7f)
				off += 4
				padded := (tlen + 3) &^ 3
				p.s("\n        TLV Class ")
				p.u(uint64(class))
				p.s(", Type ")
				p.u(uint64(typ))
				p.s(", Len ")
				p.i(tlen)
				n++
				if words-2 < n+padded/4 {
					p.s(" (length too big) (invalid)")
					return
				}
				if tlen != 0 {
					p.s("\n            Value: ")
					sep := "0x"
					for i := 0; i < tlen; i++ {
						c := p.u8(b, off)
						p.s(sep)
						p.hexw(uint64(c), 2)
						off++
						sep = ":"
					}
					p.need(b, off+padded-tlen)
					off += padded - tlen
					n += padded / 4
				}
			}
			past = true
		}
	}
	if !past {
		p.need(b, off+(words-2)*4)
		off += (words - 2) * 4
	}
	if v > 0 {
		p.s("\n    ")
	} else {
		p.s(": ")
	}
	rest, n := b[off:], length-words*4
	switch next {
	case 1:
		p.ip(rest, n)
	case 2:
		p.ip6(rest, n)
	case 3:
		p.innerEther(rest, n)
	default:
		p.s("ERROR: unknown-next-protocol")
	}
}
