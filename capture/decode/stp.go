package decode

import (
	"fmt"
	"strconv"
)

var (
	stpProtoNames = map[uint8]string{0: "802.1d", 2: "802.1w", 3: "802.1s", 4: "802.1aq"}
	stpBPDUTypes  = map[uint8]string{0: "Config", 2: "Rapid STP", 0x80: "Topology Change"}
	stpFlags      = []bitTok{
		{0x01, "Topology change"}, {0x02, "Proposal"}, {0x10, "Learn"}, {0x20, "Forward"},
		{0x40, "Agreement"}, {0x80, "Topology change ACK"},
	}
	stpPortRoles = []string{"Unknown", "Alternate", "Root", "Designated"}
)

// stpBridgeID reads an 8-byte bridge identifier as tcpdump shows it:
// priority, then the MAC address.
func (p *Printer) stpBridgeID(b []byte, off int) string {
	p.need(b, off+8)
	x := b[off : off+8]
	return fmt.Sprintf("%02x%02x.%02x:%02x:%02x:%02x:%02x:%02x", x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
}

// stpTime is a BPDU timer in 1/256 s, printed as %.2f of a C float.
func (p *Printer) stpTime(b []byte, off int) string {
	return strconv.FormatFloat(float64(float32(p.be16(b, off))/256), 'f', 2, 64)
}

// stp prints a spanning tree BPDU (LLC SAP 0x42) as tcpdump's stp_print
// does: 802.1D configuration and topology change BPDUs, 802.1w RSTP,
// 802.1s MSTP with its MSTIs and 802.1aq SPB.
func (p *Printer) stp(b []byte, length int) {
	p.proto = "stp"
	if length < 4 {
		p.s(" (invalid)")
		return
	}
	if p.be16(b, 0) != 0 {
		p.s("unknown STP version, length ")
		p.i(length)
		return
	}
	version := p.u8(b, 2)
	p.s("STP ")
	if n, ok := stpProtoNames[version]; ok {
		p.s(n)
	} else {
		p.s(fmt.Sprintf("Unknown STP protocol (0x%02x)", version))
		return
	}
	typ := p.u8(b, 3)
	p.s(", ")
	if n, ok := stpBPDUTypes[typ]; ok {
		p.s(n)
	} else {
		p.s(fmt.Sprintf("Unknown BPDU Type (0x%02x)", typ))
	}
	switch typ {
	case 0:
		if length < 35 {
			p.s(" (invalid)")
			return
		}
		p.stpConfig(b, length, version)
	case 2:
		switch version {
		case 2:
			if length < 36 {
				p.s(" (invalid)")
				return
			}
			p.stpConfig(b, length, version)
		case 3, 4:
			if length < 102 || p.u8(b, 35) != 0 {
				p.s(" (invalid)")
				return
			}
			mstpLen := int(p.be16(b, 36)) + 2
			if length < 36+mstpLen {
				p.s(" (invalid)")
				return
			}
			p.stpMSTP(b, length)
			if version == 4 {
				spbLen := int(p.be16(b, 36+mstpLen)) + 2
				if length < 36+mstpLen+spbLen || spbLen < 87 {
					p.s(" (invalid)")
					return
				}
				p.stpSPB(b, 36+mstpLen)
			}
		}
	}
}

func (p *Printer) stpConfig(b []byte, length int, version uint8) {
	flags := p.u8(b, 4)
	p.s(", Flags [")
	p.s(bitTokStr(stpFlags, uint32(flags), "none"))
	p.c(']')
	bridge, port := p.stpBridgeID(b, 17), p.be16(b, 25)
	p.s(fmt.Sprintf(", bridge-id %s.%04x, length %d", bridge, port, length))
	if p.opts.Verbose == 0 {
		return
	}
	p.stpTimers(b)
	root, cost := p.stpBridgeID(b, 5), p.be32(b, 13)
	p.s(fmt.Sprintf("\n\troot-id %s, root-pathcost %d", root, cost))
	if version == 2 {
		p.s(", port-role ")
		p.s(stpPortRoles[flags>>2&3])
	}
}

func (p *Printer) stpTimers(b []byte) {
	age, maxAge, hello, fwd := p.stpTime(b, 27), p.stpTime(b, 29), p.stpTime(b, 31), p.stpTime(b, 33)
	p.s("\n\tmessage-age " + age + "s, max-age " + maxAge + "s, hello-time " + hello + "s, forwarding-delay " + fwd + "s")
}

func (p *Printer) stpMSTP(b []byte, length int) {
	flags := p.u8(b, 4)
	p.s(", CIST Flags [")
	p.s(bitTokStr(stpFlags, uint32(flags), "none"))
	p.s("], length ")
	p.i(length)
	if p.opts.Verbose == 0 {
		return
	}
	p.s("\n\tport-role ")
	p.s(stpPortRoles[flags>>2&3])
	p.s(", ")
	root, cost := p.stpBridgeID(b, 5), p.be32(b, 13)
	p.s(fmt.Sprintf("CIST root-id %s, CIST ext-pathcost %d", root, cost))
	regional := p.stpBridgeID(b, 17)
	p.s("\n\tCIST regional-root-id " + regional + ", ")
	port := p.be16(b, 25)
	p.s(fmt.Sprintf("CIST port-id %04x,", port))
	p.stpTimers(b)
	v3len := p.be16(b, 36)
	p.s(fmt.Sprintf("\n\tv3len %d, MCID Name ", v3len))
	p.printzp(b[min(39, len(b)):], 32)
	rev := p.be16(b, 71)
	d0, d1, d2, d3 := p.be32(b, 73), p.be32(b, 77), p.be32(b, 81), p.be32(b, 85)
	p.s(fmt.Sprintf(", rev %d,\n\t\tdigest %08x%08x%08x%08x, ", rev, d0, d1, d2, d3))
	p.s(fmt.Sprintf("CIST int-root-pathcost %d,", p.be32(b, 89)))
	p.s("\n\tCIST bridge-id " + p.stpBridgeID(b, 93) + ", ")
	p.s(fmt.Sprintf("CIST remaining-hops %d", p.u8(b, 101)))
	if v3len <= 64 {
		return
	}
	for n, off := int(v3len)-64, 102; n >= 16; n, off = n-16, off+16 {
		msti := p.be16(b, off+1) & 0xfff
		f := p.u8(b, off)
		p.s(fmt.Sprintf("\n\tMSTI %d, Flags [%s], port-role %s", msti, bitTokStr(stpFlags, uint32(f), "none"), stpPortRoles[f>>2&3]))
		root, cost := p.stpBridgeID(b, off+1), p.be32(b, off+9)
		p.s(fmt.Sprintf("\n\t\tMSTI regional-root-id %s, pathcost %d", root, cost))
		bp, pp, hops := p.u8(b, off+13), p.u8(b, off+14), p.u8(b, off+15)
		p.s(fmt.Sprintf("\n\t\tMSTI bridge-prio %d, port-prio %d, hops %d", bp>>4, pp>>4, hops))
	}
}

func (p *Printer) stpSPB(b []byte, off int) {
	if p.opts.Verbose == 0 {
		return
	}
	p.s(fmt.Sprintf("\n\tv4len %d, AUXMCID Name ", p.be16(b, off)))
	p.printzp(b[min(off+3, len(b)):], 32)
	rev := p.be16(b, off+35)
	d0, d1, d2, d3 := p.be32(b, off+37), p.be32(b, off+41), p.be32(b, off+45), p.be32(b, off+49)
	p.s(fmt.Sprintf(", Rev %d,\n\t\tdigest %08x%08x%08x%08x", rev, d0, d1, d2, d3))
	ag, format, con := p.u8(b, off+53), p.u8(b, off+55), p.u8(b, off+56)
	edge := p.be16(b, off+57)
	var dg [5]uint32
	for i := range dg {
		dg[i] = p.be32(b, off+67+4*i)
	}
	p.s(fmt.Sprintf("\n\tAgreement num %d, Discarded Agreement num %d, Agreement valid-flag %d,\n\tRestricted role-flag: %d, Format id %d cap %d, Convention id %d cap %d,\n\tEdge count %d, Agreement digest %08x%08x%08x%08x%08x",
		ag>>6, ag>>4&3, ag>>3&1, ag>>2&1, format>>4, format, con>>4, con, edge, dg[0], dg[1], dg[2], dg[3], dg[4]))
}
