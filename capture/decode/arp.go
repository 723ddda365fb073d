package decode

import "encoding/binary"

var arpOps = map[uint16]string{
	1: "Request", 2: "Reply", 3: "Reverse Request", 4: "Reverse Reply",
	8: "Inverse Request", 9: "Inverse Reply", 10: "NACK Reply",
}

var arpHrd = map[uint16]string{
	1: "Ethernet", 6: "TokenRing", 7: "ArcNet", 15: "FrameRelay", 23: "Strip",
	24: "IEEE 1394", 19: "ATM", 32: "InfiniBand",
}

func (p *Printer) arp(b []byte, length int) {
	p.proto = "arp"
	p.need(b, 8)
	hrd := binary.BigEndian.Uint16(b)
	pro := binary.BigEndian.Uint16(b[2:])
	hln := int(b[4])
	pln := int(b[5])
	op := binary.BigEndian.Uint16(b[6:])
	sha := 8
	spa := sha + hln
	tha := spa + pln
	tpa := tha + hln
	p.need(b, tpa+pln)
	if !p.opts.LinkHeader {
		p.s("ARP, ")
	}
	if (pro != etherTypeIPv4 && pro != 0x1000) || pln != 4 || hln == 0 || p.opts.Verbose > 0 {
		if n, ok := arpHrd[hrd]; ok {
			p.s(n)
		} else {
			p.s("Unknown Hardware (")
			p.u(uint64(hrd))
			p.c(')')
		}
		p.s(" (len ")
		p.i(hln)
		p.s("), ")
		if n, ok := etherTypeNames[pro]; ok {
			p.s(n)
		} else {
			p.s("Unknown Protocol (0x")
			p.hexw(uint64(pro), 4)
			p.c(')')
		}
		p.s(" (len ")
		p.i(pln)
		p.c(')')
		if p.opts.Verbose == 0 {
			p.s(", length ")
			p.i(length)
			return
		}
		p.s(", ")
	}
	if n, ok := arpOps[op]; ok {
		p.s(n)
	} else {
		p.s("Unknown (")
		p.u(uint64(op))
		p.c(')')
	}
	p.c(' ')
	paddr := func(off int) {
		switch {
		case pro != etherTypeIPv4 && pro != 0x1000:
			p.s("<wrong proto type>")
		case pln != 4:
			p.s("<wrong len>")
		default:
			p.ip4(b[off:])
		}
	}
	haddr := func(off int) {
		switch hln {
		case 0:
			// tcpdump's linkaddr_string names an address of no bytes.
			p.s("<empty>")
			return
		case 6:
			p.mac(b[off:])
			return
		}
		for i := 0; i < hln; i++ {
			if i > 0 {
				p.c(':')
			}
			p.hexw(uint64(b[off+i]), 2)
		}
	}
	switch op {
	case 1:
		p.s("who-has ")
		paddr(tpa)
		nonzero := false
		for _, c := range b[tha : tha+hln] {
			if c != 0 {
				nonzero = true
			}
		}
		if nonzero {
			p.s(" (")
			haddr(tha)
			p.c(')')
		}
		p.s(" tell ")
		paddr(spa)
	case 2:
		paddr(spa)
		p.s(" is-at ")
		haddr(sha)
	case 3:
		p.s("who-is ")
		haddr(tha)
		p.s(" tell ")
		haddr(sha)
	case 4:
		haddr(tha)
		p.s(" at ")
		paddr(tpa)
	case 8:
		p.s("who-is ")
		haddr(tha)
		p.s(" tell ")
		haddr(sha)
	case 9:
		haddr(sha)
		p.s(" at ")
		paddr(spa)
	default:
		// ND_DEFAULTPRINT here ignores -x.
		p.hexASCII("\n\t", b, 0)
		return
	}
	p.s(", length ")
	p.i(length)
}
