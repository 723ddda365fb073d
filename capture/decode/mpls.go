package decode

// mplsLabelNames are the reserved labels (RFC 3032) tcpdump names with -v.
var mplsLabelNames = []string{
	"IPv4 explicit NULL", "router alert", "IPv6 explicit NULL", "implicit NULL",
	"rsvd", "rsvd", "rsvd", "rsvd", "rsvd", "rsvd", "rsvd", "rsvd", "rsvd", "rsvd", "rsvd", "rsvd",
}

// mpls prints an MPLS label stack (ethertypes 0x8847 and 0x8848) as
// tcpdump's mpls_print does, then guesses the payload: IPv4 or IPv6 from
// the explicit or implicit NULL label at the bottom, otherwise from the
// first payload byte. Payloads it cannot name are dumped in hex.
func (p *Printer) mpls(b []byte, length int) {
	p.proto = "mpls"
	p.s("MPLS")
	off, depth := 0, 0
	var entry uint32
	for {
		if length-off < 4 {
			p.s(" (invalid)")
			p.need(b, length)
			return
		}
		entry = p.be32(b, off)
		if depth > 0 && p.opts.Verbose > 0 {
			p.s("\n\t(label ")
		} else {
			p.s(" (label ")
		}
		label := entry >> 12
		p.u(uint64(label))
		depth++
		if p.opts.Verbose > 0 && int(label) < len(mplsLabelNames) {
			p.s(" (")
			p.s(mplsLabelNames[label])
			p.c(')')
		}
		p.s(", tc ")
		p.u(uint64(entry >> 9 & 7))
		if entry&0x100 != 0 {
			p.s(", [S]")
		}
		p.s(", ttl ")
		p.u(uint64(entry & 0xff))
		p.c(')')
		off += 4
		if entry&0x100 != 0 {
			break
		}
	}
	rest, rlen := b[off:], length-off
	v := 0
	switch entry >> 12 {
	case 0, 3:
		v = 4
	case 2:
		v = 6
	default:
		if rlen < 1 {
			return
		}
		switch first := p.u8(rest, 0); {
		case first >= 0x45 && first <= 0x4f:
			v = 4
		case first >= 0x60 && first <= 0x6f:
			v = 6
		}
	}
	if v == 0 {
		p.defaultPrintLen(rest, rlen)
		return
	}
	if p.opts.Verbose > 0 {
		p.s("\n\t")
	} else {
		p.c(' ')
	}
	if v == 4 {
		p.ip(rest, rlen)
	} else {
		p.ip6(rest, rlen)
	}
}

// defaultPrintLen is ND_DEFAULTPRINT(b, length): the hex dump of length
// bytes, or of what was captured of them followed by the truncation mark.
func (p *Printer) defaultPrintLen(b []byte, length int) {
	if p.opts.Hex > 0 || p.opts.ASCII > 0 || p.opts.Quiet {
		return
	}
	if length < 0 {
		length = 0
	}
	cut := len(b) < length
	p.hexASCII("\n\t", b[:min(len(b), length)], 0)
	if cut {
		// hex_and_ascii_print's longjmp: -A then shows the whole packet.
		panic(truncated{})
	}
}
