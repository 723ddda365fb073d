package decode

// vrrp prints VRRP (IP protocol 112) as tcpdump's vrrp_print does: version
// 2 (RFC 3768) with its authentication type and interval in seconds,
// version 3 (RFC 5798) with the interval in centiseconds; -v adds the
// checksum verdict, the virtual addresses and a simple password.
func (p *Printer) vrrp(b []byte, length int, info ipInfo) {
	p.proto = "vrrp"
	p.s("VRRP")
	first := p.u8(b, 0)
	version, typ := first>>4, first&0xf
	p.c('v')
	p.u(uint64(version))
	if typ == 1 {
		p.s(", Advertisement")
	} else {
		p.s(", unknown type (")
		p.u(uint64(typ))
		p.c(')')
	}
	if info.ttl != 255 {
		p.s(", (ttl ")
		p.u(uint64(info.ttl))
		p.c(')')
	}
	if version < 2 || version > 3 || typ != 1 {
		return
	}
	vrid, prio := p.u8(b, 1), p.u8(b, 2)
	p.s(", vrid ")
	p.u(uint64(vrid))
	p.s(", prio ")
	p.u(uint64(prio))
	var auth uint8
	if version == 2 {
		auth = p.u8(b, 4)
		p.s(", authtype ")
		switch auth {
		case 0:
			p.s("none")
		case 1:
			p.s("simple")
		case 2:
			p.s("ah")
		default:
			p.c('#')
			p.u(uint64(auth))
		}
		intvl := p.u8(b, 5)
		p.s(", intvl ")
		p.u(uint64(intvl))
		p.s("s, length ")
	} else {
		intvl := p.be16(b, 4) & 0xfff
		p.s(", intvl ")
		p.u(uint64(intvl))
		p.s("cs, length ")
	}
	p.i(length)
	if p.opts.Verbose == 0 {
		return
	}
	naddrs := int(p.u8(b, 3))
	if length >= 0 && len(b) >= length {
		var sum uint16
		if version == 2 {
			sum = checksum(0, b[:length])
		} else {
			sum = checksum(pseudoSum(info.src, info.dst, 112, length), b[:length])
		}
		if sum != 0 {
			p.s(", (bad vrrp cksum ")
			p.hex(uint64(p.be16(b, 6)))
			p.c(')')
		}
	}
	p.s(", addrs")
	if naddrs > 1 {
		p.c('(')
		p.i(naddrs)
		p.c(')')
	}
	p.c(':')
	sep := byte(' ')
	off := 8
	for i := 0; i < naddrs; i++ {
		if info.v6 {
			p.need(b, off+16)
			p.c(sep)
			p.addr6(b[off:])
			off += 16
		} else {
			p.need(b, off+4)
			p.c(sep)
			p.ip4(b[off:])
			off += 4
		}
		sep = ','
	}
	if version == 2 && auth == 1 {
		p.s(" auth \"")
		for i := 0; i < 8; i++ {
			c := p.u8(b, off+i)
			if c == 0 {
				break
			}
			p.safeChar(c)
		}
		p.c('"')
	}
}
