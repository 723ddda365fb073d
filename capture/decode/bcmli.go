package decode

import "encoding/binary"

// bcmLI prints Broadcom's lawful-intercept shim, which tcpdump 4.99
// assumes for every UDP datagram from source port 49152 unless a printer
// earlier in its port list claims it. BFD sessions often use that source
// port, so their packets print this way in tcpdump too.
func (p *Printer) bcmLI(b []byte, length int) {
	p.proto = "bcm_li"
	if length < 4 {
		p.s(" (length ")
		p.i(length)
		p.s(" < 4) (invalid)")
		return
	}
	p.need(b, 4)
	shim := binary.BigEndian.Uint32(b)
	dir := map[uint32]string{1: "unused", 2: "egress", 3: "ingress"}[shim>>29&7]
	typ := shim >> 25 & 0xf
	typName := map[uint32]string{4: "undecided", 5: "ipv4", 6: "ipv6", 7: "ethernet"}[typ]
	sub := map[uint32]string{1: "single VLAN tag", 2: "double VLAN tag", 3: "untagged"}[shim>>22&7]
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	if p.opts.Verbose > 0 {
		p.s("\n    ")
	}
	p.s("BCM-LI-SHIM: direction ")
	p.s(unknown(dir))
	p.s(", pkt-type ")
	p.s(unknown(typName))
	p.s(", pkt-subtype ")
	p.s(unknown(sub))
	p.s(", li-id ")
	p.u(uint64(shim & 0x3fffff))
	length -= 4
	b = b[4:]
	if p.opts.Verbose == 0 {
		p.need(b, length)
		return
	}
	p.s("\n    ")
	switch typ {
	case 7:
		p.innerEther(b, length)
	case 5:
		p.ip(b, length)
	case 6:
		p.ip6(b, length)
	case 4:
		switch p.u8(b, 0) >> 4 {
		case 4:
			p.ip(b, length)
		case 6:
			p.ip6(b, length)
		default:
			p.s("unknown payload")
		}
	default:
		p.s(" (invalid)")
	}
}
