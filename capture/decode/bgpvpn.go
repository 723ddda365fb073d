package decode

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// The BGP address families that Kubernetes nodes meet less often: NSAP,
// route target constraint (RFC 4684), multicast VPN (RFC 6514), MDT
// (RFC 6037) and L2VPN/VPLS (RFC 4761). tcpdump formats most of their NLRI
// into a buffer of bgpBufLen bytes before printing; longer texts are cut.

const bgpBufLen = 64 + 100 // MAXHOSTNAMELEN + 100

var l2vpnEncaps = map[uint8]string{
	0: "Reserved", 1: "Frame Relay", 2: "ATM AAL5 SDU VCC transport", 3: "ATM transparent cell transport",
	4: "Ethernet (VLAN) Tagged Mode", 5: "Ethernet Raw Mode", 6: "Cisco HDLC", 7: "PPP",
	8: "SONET/SDH Circuit Emulation Service over MPLS", 9: "ATM n-to-one VCC cell transport",
	10: "ATM n-to-one VPC cell transport", 11: "IP layer 2 transport", 15: "Frame Relay Port mode",
	17: "Structure-agnostic E1 over packet", 18: "Structure-agnostic T1 (DS1) over packet", 19: "VPLS",
	20: "Structure-agnostic T3 (DS3) over packet", 21: "Nx64kbit/s Basic Service using Structure-aware",
	25: "Frame Relay DLCI", 40: "Structure-agnostic E3 over packet",
	41: "Octet-aligned playload for Structure-agnostic DS1 circuits",
	42: "E1 Nx64kbit/s with CAS using Structure-aware",
	43: "DS1 (ESF) Nx64kbit/s with CAS using Structure-aware",
	44: "DS1 (SF) Nx64kbit/s with CAS using Structure-aware",
}

var bgpMVPNRouteTypes = map[uint8]string{
	1: "Intra-AS I-PMSI", 2: "Inter-AS I-PMSI", 3: "S-PMSI", 4: "Intra-AS Segment-Leaf",
	5: "Source-Active", 6: "Shared Tree Join", 7: "Source Tree Join",
}

// bgpCut is snprintf into tcpdump's NLRI buffer.
func bgpCut(s string) string {
	if len(s) > bgpBufLen-1 {
		return s[:bgpBufLen-1]
	}
	return s
}

// capture runs fn and returns what it printed instead of printing it.
func (p *Printer) capture(fn func()) string {
	save := len(p.out)
	defer func() {
		// A read past the capture drops the half-built text, as the C
		// code's longjmp out of snprintf's arguments does.
		if r := recover(); r != nil {
			p.out = p.out[:save]
			panic(r)
		}
	}()
	fn()
	s := string(p.out[save:])
	p.out = p.out[:save]
	return s
}

// isoNSAP is isonsap_string: hex octets, a dot after the first and then
// after every second one.
func isoNSAP(b []byte) string {
	if len(b) < 1 || len(b) > 20 {
		return "isonsap_string: illegal length"
	}
	var sb strings.Builder
	const digits = "0123456789abcdef"
	for i, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&0xf])
		if i&1 == 0 && i+1 < len(b) {
			sb.WriteByte('.')
		}
	}
	return sb.String()
}

// bgpNSAPNextHop prints an NSAP next hop of n bytes at b.
func (p *Printer) bgpNSAPNextHop(b []byte, n int, vpn bool) {
	if !vpn {
		p.need(b, n)
		p.s(isoNSAP(b[:n]))
		return
	}
	p.need(b, n)
	s := p.capture(func() { p.bgpRD(b) })
	s = "RD: " + s + ", " + isoNSAP(b[8:n])
	p.s(s)
	if binary.BigEndian.Uint32(p.needed(b, 12)[8:]) == 0x47000601 {
		p.s(" = ")
		p.need(b, 16)
		p.ip4(b[12:])
	} else if v := p.needed(b, 11); uint32(v[8])<<16|uint32(v[9])<<8|uint32(v[10]) == 0x350000 {
		p.s(" = ")
		p.need(b, 27)
		p.addr6(b[11:])
	}
}

// needed returns b after checking that n bytes are captured.
func (p *Printer) needed(b []byte, n int) []byte {
	p.need(b, n)
	return b
}

// bgpNLRIMore is bgp_nlri_print for the families in this file; ok is false
// for the families bgp.go handles.
func (p *Printer) bgpNLRIMore(af uint16, safi uint8, b []byte) (n int, ok bool) {
	line := func(s string) { p.s("\n\t      "); p.s(s) }
	illegal := func() { p.s("\n\t    (illegal prefix length)") }
	switch {
	case af == 3 && safi <= 3, af == 3 && safi >= 128:
		vpn := safi >= 128
		plen := int(p.u8(b, 0))
		if vpn {
			if plen < 88 {
				illegal()
				return -1, true
			}
			plen -= 88
		}
		if plen > 152 {
			illegal()
			return -1, true
		}
		// tcpdump copies a plain NSAP prefix from 4 bytes in, not 1.
		from := 4
		if vpn {
			from = 12
		}
		nb := (plen + 7) / 8
		p.need(b, from+nb)
		a := make([]byte, nb)
		copy(a, b[from:])
		if plen%8 != 0 {
			a[nb-1] &= byte(int(0xff00) >> (plen % 8))
		}
		s := isoNSAP(a) + "/" + strconv.Itoa(plen)
		if vpn {
			rd := p.capture(func() { p.bgpRD(b[4:]) })
			lbl := p.capture(func() { p.bgpLabel(b) })
			line("RD: " + rd + ", " + s + lbl)
			return 12 + nb, true
		}
		line(s)
		return 1 + nb, true
	case af == 1 && safi == 132:
		return p.bgpRTInfo(b), true
	case af == 1 && safi == 5:
		s, n := p.bgpMVPN(b)
		if n == -2 {
			return -2, true
		}
		line(bgpCut(s))
		return n, true
	case af == 1 && safi == 66:
		if p.u8(b, 0) != 128 {
			illegal()
			return -1, true
		}
		if !avail(b, 1, 8) {
			return -2, true
		}
		s := p.capture(func() {
			p.s("RD: ")
			p.bgpRD(b[1:])
			p.s(", VPN IP Address: ")
			p.ip4(b[9:])
			p.s(", MC Group Address: ")
			p.ip4(b[13:])
		})
		line(s)
		return 17, true
	case af == 196 || af == 25:
		s, n := p.bgpL2VPN(b)
		if n == -2 {
			return -2, true
		}
		line(s)
		return n, true
	}
	return 0, false
}

// bgpRTInfo is decode_rt_routing_info (RFC 4684): origin AS and a route
// target prefix.
func (p *Printer) bgpRTInfo(b []byte) int {
	plen := int(p.u8(b, 0))
	if plen == 0 {
		p.s("\n\t      default route target")
		return 1
	}
	if plen < 32 {
		p.s("\n\t      (illegal prefix length)")
		return -1
	}
	as := p.be32(b, 1)
	plen -= 32
	if plen > 64 {
		p.s("\n\t      (illegal prefix length)")
		return -1
	}
	n := (plen + 7) / 8
	p.need(b, 5+n)
	var rt [8]byte
	copy(rt[:], b[5:5+n])
	if plen%8 != 0 {
		rt[n-1] &= byte(int(0xff00) >> (plen % 8))
	}
	p.s("\n\t      origin AS: ")
	p.u(uint64(as))
	p.s(", ")
	p.s(bgpRTPrefix(rt, plen))
	return 5 + n
}

func bgpRTPrefix(rt [8]byte, plen int) string {
	if plen == 0 {
		return "route-target: 0:0/0"
	}
	var hex strings.Builder
	n := (plen + 7) / 8
	const digits = "0123456789abcdef"
	for i := 0; i < n; i++ {
		hex.WriteByte(digits[rt[i]>>4])
		hex.WriteByte(digits[rt[i]&0xf])
		if i%2 == 1 && i < n-1 {
			hex.WriteByte(' ')
		}
	}
	h, pl := hex.String(), strconv.Itoa(plen)
	if plen < 16 {
		return "route-target: partial-type: (" + h + "/" + pl + ")"
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	switch t := binary.BigEndian.Uint16(rt[:]); t {
	case 0x0002:
		return "route-target: " + u(uint64(binary.BigEndian.Uint16(rt[2:]))) + ":" + u(uint64(binary.BigEndian.Uint32(rt[4:]))) + "/" + pl + " (" + h + ")"
	case 0x0102:
		return "route-target: " + u(uint64(rt[2])) + "." + u(uint64(rt[3])) + "." + u(uint64(rt[4])) + "." + u(uint64(rt[5])) + ":" + u(uint64(binary.BigEndian.Uint16(rt[6:]))) + "/" + pl + " (" + h + ")"
	case 0x0202:
		return "route-target: " + u(uint64(binary.BigEndian.Uint32(rt[2:]))) + ":" + u(uint64(binary.BigEndian.Uint16(rt[6:]))) + "/" + pl + " (" + h + ")"
	default:
		x := strconv.FormatUint(uint64(t), 16)
		return "route target: unknown-type(" + strings.Repeat("0", 4-len(x)) + x + ") (" + h + "/" + pl + ")"
	}
}

// bgpVPNIP is bgp_vpn_ip_print: an address whose length is given in bits.
func (p *Printer) bgpVPNIP(b []byte, bits uint32) string {
	switch bits {
	case 32:
		return p.capture(func() { p.ip4(b) })
	case 128:
		return p.capture(func() { p.addr6(b) })
	}
	return "bogus address length " + strconv.FormatUint(uint64(bits), 10)
}

// bgpSG is bgp_vpn_sg_print: a multicast source and group; it returns the
// bytes the lengths claim, whatever was captured.
func (p *Printer) bgpSG(b []byte, sb *strings.Builder) int {
	total := 0
	off := 0
	for _, what := range []string{", Source ", ", Group "} {
		l := p.u8(b, off)
		off++
		if !avail(b, off, int(l>>3)) {
			return total
		}
		total += int(l>>3) + 1
		if l != 0 {
			sb.WriteString(what)
			sb.WriteString(p.bgpVPNIP(b[off:], uint32(l)))
			off += int(l >> 3)
		}
	}
	return total
}

// bgpMVPN is decode_multicast_vpn (RFC 6514).
func (p *Printer) bgpMVPN(b []byte) (string, int) {
	rt := p.u8(b, 0)
	rl := p.u8(b, 1)
	var sb strings.Builder
	sb.WriteString("Route-Type: " + tokStr(bgpMVPNRouteTypes, rt, "Unknown") + " (" + strconv.Itoa(int(rt)) + "), length: " + strconv.Itoa(int(rl)))
	c := b[2:]
	rd := func() string { return p.capture(func() { p.bgpRD(c) }) }
	switch rt {
	case 1:
		if !avail(c, 0, 8) || rl < 8 {
			return "", -2
		}
		sb.WriteString(", RD: " + rd() + ", Originator " + p.bgpVPNIP(c[8:], uint32(rl-8)<<3))
	case 2, 6, 7:
		if !avail(c, 0, 12) {
			return "", -2
		}
		sb.WriteString(", RD: " + rd() + ", Source-AS " + strconv.FormatUint(uint64(binary.BigEndian.Uint32(c[8:])), 10))
		if rt != 2 {
			p.bgpSG(c[12:], &sb)
		}
	case 3:
		if !avail(c, 0, 8) {
			return "", -2
		}
		sb.WriteString(", RD: " + rd())
		sg := p.bgpSG(c[8:], &sb)
		al := uint32(rl) - uint32(sg)
		if !avail(c, 8, int(al)) {
			return "", -2
		}
		sb.WriteString(", Originator " + p.bgpVPNIP(c[8:], al<<3))
	case 5:
		if !avail(c, 0, 8) {
			return "", -2
		}
		sb.WriteString(", RD: " + rd())
		p.bgpSG(c[8:], &sb)
	}
	return sb.String(), int(rl) + 2
}

// bgpL2VPN is decode_labeled_vpn_l2 (RFC 4761 and the older format).
func (p *Printer) bgpL2VPN(b []byte) (string, int) {
	plen := int(p.be16(b, 0))
	c := b[2:]
	var sb strings.Builder
	switch {
	case plen == 12:
		if !avail(c, 0, 12) {
			return "", -2
		}
		sb.WriteString("RD: " + p.capture(func() { p.bgpRD(c) }) + ", BGPNH: " + p.capture(func() { p.ip4(c[8:]) }))
		return bgpCut(sb.String()), plen + 2
	case plen > 17:
	default:
		return "", -2
	}
	if !avail(c, 0, 15) {
		return "", -2
	}
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	sb.WriteString("RD: " + p.capture(func() { p.bgpRD(c) }) + ", CE-ID: " + u(uint32(binary.BigEndian.Uint16(c[8:]))) +
		", Label-Block Offset: " + u(uint32(binary.BigEndian.Uint16(c[10:]))) +
		", Label Base " + u((uint32(c[12])<<16|uint32(c[13])<<8|uint32(c[14]))>>4))
	off := 15
	tlen := plen - 15
	// The buffer fills up: tcpdump stops writing, and stops advancing
	// over circuit status bytes.
	full := func() bool { return sb.Len() >= bgpBufLen }
	for tlen != 0 {
		if tlen < 3 {
			sb.WriteString("\n\t\tran past the end")
			return bgpCut(sb.String()), plen + 2
		}
		t := p.u8(c, off)
		l := int(p.be16(c, off+1))
		tl := (l + 7) / 8
		off += 3
		if t == 1 {
			sb.WriteString("\n\t\tcircuit status vector (" + strconv.Itoa(int(t)) + ") length: " + strconv.Itoa(l) + ": 0x")
			for ; tl != 0; tl, tlen = tl-1, tlen-1 {
				if tlen < 1 {
					sb.WriteString(" (ran past the end)")
					return bgpCut(sb.String()), plen + 2
				}
				if !avail(c, off, 1) {
					return "", -2
				}
				if !full() {
					x := strconv.FormatUint(uint64(c[off]), 16)
					if len(x) < 2 {
						x = "0" + x
					}
					sb.WriteString(x)
					off++
				}
			}
			continue
		}
		sb.WriteString("\n\t\tunknown TLV #" + strconv.Itoa(int(t)) + ", length: " + strconv.Itoa(l))
		if tlen < tl {
			sb.WriteString(" (ran past the end)")
			return bgpCut(sb.String()), plen + 2
		}
		tlen -= tl
	}
	return bgpCut(sb.String()), plen + 2
}
