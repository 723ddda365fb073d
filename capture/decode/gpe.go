package decode

// vxlanGPE prints VXLAN Generic Protocol Extension (UDP 4790,
// draft-ietf-nvo3-vxlan-gpe) as tcpdump's vxlan_gpe_print: flags, VNI and
// the payload its next protocol names.
func (p *Printer) vxlanGPE(b []byte, length int) {
	p.proto = "vxlan_gpe"
	p.s("VXLAN-GPE, ")
	if length < 8 {
		p.s(" (len ")
		p.i(length)
		p.s(" < 8) (invalid)")
		return
	}
	flags := p.u8(b, 0)
	p.s("flags [")
	if flags&0x0f == 0 {
		p.s("none")
	}
	for _, f := range []struct {
		bit  byte
		name byte
	}{{0x08, 'I'}, {0x04, 'P'}, {0x02, 'B'}, {0x01, 'O'}} {
		if flags&f.bit != 0 {
			p.c(f.name)
		}
	}
	p.s("], ")
	next := p.u8(b, 3)
	vni := uint64(p.u8(b, 4))<<16 | uint64(p.u8(b, 5))<<8 | uint64(p.u8(b, 6))
	p.need(b, 8)
	p.s("vni ")
	p.u(vni)
	if p.opts.Verbose > 0 {
		p.s("\n    ")
	} else {
		p.s(": ")
	}
	rest, n := b[8:], length-8
	switch next {
	case 1:
		p.ip(rest, n)
	case 2:
		p.ip6(rest, n)
	case 3:
		p.innerEther(rest, n)
	case 4:
		p.nsh(rest, n)
	default:
		p.s("ERROR: unknown-next-protocol (invalid)")
	}
}
