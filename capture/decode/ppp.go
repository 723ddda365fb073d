package decode

// PPP as tcpdump's ppp_print prints it inside GRE version 1 (PPTP). Only
// the payloads netdiag decodes are printed this way (IP, IPv6, MPPE's
// compressed data); gre leaves the others as gre-proto-0x880b.

var pppNames = map[uint16]string{0x21: "IP", 0x2f: "VJNC IP", 0x57: "IP6", 0xfd: "Compressed"}

// pppParse reads the header: the pppd direction or the address and
// control bytes, then a one- or two-byte protocol. short is set when the
// length runs out (tcpdump's "goto trunc"), capShort when the capture
// does (its longjmp, after which -x dumps the whole packet).
func pppParse(b []byte, length int) (dir string, proto uint16, off int, short, capShort bool) {
	if length < 2 {
		return "", 0, 0, true, false
	}
	if len(b) < 2 {
		return "", 0, 0, false, true
	}
	switch uint16(b[0])<<8 | uint16(b[1]) {
	case 0x0003:
		dir, off = "In  ", 2
	case 0x0103:
		dir, off = "Out ", 2
	case 0xff03:
		off = 2
	}
	if length-off < 2 {
		return dir, 0, off, true, false
	}
	if len(b) < off+1 {
		return dir, 0, off, false, true
	}
	if b[off]%2 == 1 {
		return dir, uint16(b[off]), off + 1, false, false
	}
	if len(b) < off+2 {
		return dir, 0, off, false, true
	}
	return dir, uint16(b[off])<<8 | uint16(b[off+1]), off + 2, false, false
}

// pppDecodes reports whether ppp prints this frame as tcpdump does: a
// header cut short, or a protocol netdiag decodes.
func pppDecodes(b []byte, length int) bool {
	_, proto, _, short, capShort := pppParse(b, length)
	_, known := pppNames[proto]
	return short || capShort || known
}

func (p *Printer) ppp(b []byte, length int) {
	p.proto = "ppp"
	dir, proto, off, short, capShort := pppParse(b, length)
	if p.opts.LinkHeader {
		p.s(dir)
	}
	if capShort {
		panic(truncated{})
	}
	if short {
		p.s(" [|ppp]")
		return
	}
	if p.opts.LinkHeader {
		p.s(pppNames[proto])
		p.s(" (0x")
		p.hexw(uint64(proto), 4)
		p.s("), length ")
		p.i(length)
		p.s(": ")
	}
	rest, n := b[off:], length-off
	switch proto {
	case 0x21, 0x2f:
		p.ip(rest, n)
	case 0x57:
		p.ip6(rest, n)
	case 0xfd:
		p.s("compressed PPP data")
	}
}
