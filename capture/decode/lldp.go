package decode

import (
	"strconv"
)

var (
	lldpTLVNames = map[uint16]string{
		0: "End", 1: "Chassis ID", 2: "Port ID", 3: "Time to Live", 4: "Port Description",
		5: "System Name", 6: "System Description", 7: "System Capabilities",
		8: "Management Address", 127: "Organization specific",
	}
	lldpChassisSubtypes = map[uint8]string{
		1: "Chassis component", 2: "Interface alias", 3: "Port component", 4: "MAC address",
		5: "Network address", 6: "Interface name", 7: "Local",
	}
	lldpPortSubtypes = map[uint8]string{
		1: "Interface alias", 2: "Port component", 3: "MAC address", 4: "Network Address",
		5: "Interface Name", 6: "Agent circuit ID", 7: "Local",
	}
	lldpCaps = []bitTok{
		{1 << 0, "Other"}, {1 << 1, "Repeater"}, {1 << 2, "Bridge"}, {1 << 3, "WLAN AP"},
		{1 << 4, "Router"}, {1 << 5, "Telephone"}, {1 << 6, "Docsis"}, {1 << 7, "Station Only"},
	}
	lldpIntfNumbering = map[uint8]string{2: "Interface Index", 3: "System Port Number"}
)

// printzp is tcpdump's nd_printzp: at most n characters, up to a NUL,
// escaped as nd_printn does.
func (p *Printer) printzp(b []byte, n int) {
	for i := 0; i < n; i++ {
		c := p.u8(b, i)
		if c == 0 {
			return
		}
		p.safeChar(c)
	}
}

// lldp prints an LLDP frame (ethertype 0x88cc) as tcpdump's lldp_print
// does: the system name on one line, and with -v every TLV, including the
// IEEE 802.1, IEEE 802.3, TIA (LLDP-MED) and IANA organization-specific
// ones; -vv adds a hex dump of each TLV.
func (p *Printer) lldp(b []byte, length int) {
	p.proto = "lldp"
	p.s("LLDP, length ")
	p.i(length)
	v := p.opts.Verbose
	off, left := 0, length
	// lldp_print checks lengths itself ("goto trunc"), so a short TLV
	// ends the line without tcpdump's longjmp dump of the whole packet.
	for left >= 2 {
		p.tcheck(b, off+2)
		tlv := p.be16(b, off)
		typ, tlen := tlv>>9, int(tlv&0x1ff)
		left -= 2
		off += 2
		if v > 0 {
			p.s("\n\t")
			p.s(tokStr(lldpTLVNames, typ, "Unknown"))
			p.s(" TLV (")
			p.u(uint64(typ))
			p.s("), length ")
			p.i(tlen)
		}
		if typ == 0 || tlen == 0 {
			break
		}
		p.tcheck(b, off+tlen)
		if left < tlen {
			p.tcheck(nil, 1)
		}
		body := b[off : off+tlen : off+tlen]
		hexdump := false
		switch typ {
		case 1, 2:
			if v == 0 {
				break
			}
			if tlen < 2 {
				p.tcheck(nil, 1)
			}
			sub := body[0]
			names := lldpChassisSubtypes
			mac, netaddr := uint8(4), uint8(5)
			if typ == 2 {
				names, mac, netaddr = lldpPortSubtypes, 3, 4
			}
			p.s("\n\t  Subtype ")
			p.s(tokStr(names, sub, "Unknown"))
			p.s(" (")
			p.u(uint64(sub))
			p.s("): ")
			switch {
			case sub == mac:
				if tlen < 7 {
					p.tcheck(nil, 1)
				}
				p.mac(body[1:])
			case sub == netaddr:
				if !p.lldpNetAddr(body[1:], tlen-1) {
					p.tcheck(nil, 1)
				}
			case sub >= 1 && sub <= 7:
				p.printzp(body[1:], tlen-1)
			default:
				hexdump = true
			}
		case 3:
			if v == 0 {
				break
			}
			if tlen < 2 {
				p.tcheck(nil, 1)
			}
			p.s(": TTL ")
			p.u(uint64(p.be16(body, 0)))
			p.c('s')
		case 4:
			if v > 0 {
				p.s(": ")
				p.printzp(body, tlen)
			}
		case 5:
			// The system name shows without -v too, as in CDP.
			p.s(": ")
			p.printzp(body, tlen)
		case 6:
			if v > 0 {
				p.s("\n\t  ")
				p.printzp(body, tlen)
			}
		case 7:
			if v == 0 {
				break
			}
			if tlen < 4 {
				p.tcheck(nil, 1)
			}
			capa, ena := uint32(p.be16(body, 0)), uint32(p.be16(body, 2))
			p.s("\n\t  System  Capabilities [")
			p.s(bitTokStr(lldpCaps, capa, "none"))
			p.s("] (0x")
			p.hexw(uint64(capa), 4)
			p.s(")\n\t  Enabled Capabilities [")
			p.s(bitTokStr(lldpCaps, ena, "none"))
			p.s("] (0x")
			p.hexw(uint64(ena), 4)
			p.c(')')
		case 8:
			if v > 0 && !p.lldpMgmtAddr(body, tlen) {
				p.tcheck(nil, 1)
			}
		case 127:
			if v == 0 {
				break
			}
			if tlen < 3 {
				p.tcheck(nil, 1)
			}
			oui := uint32(body[0])<<16 | uint32(body[1])<<8 | uint32(body[2])
			p.s(": OUI ")
			p.s(tokStr(ouiNames, oui, "Unknown"))
			p.s(" (0x")
			p.hexw(uint64(oui), 6)
			p.c(')')
			switch oui {
			case 0x0080c2:
				hexdump = p.lldp8021(body, tlen)
			case 0x00120f:
				hexdump = p.lldp8023(body, tlen)
			case 0x00005e:
				hexdump = p.lldpIANA(body, tlen)
			case 0x0012bb:
				hexdump = p.lldpTIA(body, tlen)
			case 0x001b21:
				hexdump = p.lldpDCBX(body, tlen)
			default:
				hexdump = true
			}
		default:
			hexdump = true
		}
		if v > 1 || (v > 0 && hexdump) {
			p.unknownData(body, "\n\t  ", tlen)
		}
		left -= tlen
		off += tlen
	}
}

// lldpNetAddr is lldp_network_addr_print; false means too short.
func (p *Printer) lldpNetAddr(b []byte, n int) bool {
	if n < 1 {
		return false
	}
	n--
	af := b[0]
	var need int
	switch af {
	case 1:
		need = 4
	case 2:
		need = 16
	case 6:
		need = 6
	}
	if n < need {
		return false
	}
	p.s("AFI ")
	p.s(tokStr(afNames, uint16(af), "Unknown"))
	p.s(" (")
	p.u(uint64(af))
	p.c(')')
	switch af {
	case 1:
		p.s(": ")
		p.ip4(b[1:])
	case 2:
		p.s(": ")
		p.addr6(b[1:])
	case 6:
		p.s(": ")
		p.mac(b[1:])
	default:
		p.s(", no AF printer !")
	}
	return true
}

// lldpMgmtAddr is lldp_mgmt_addr_tlv_print; false means too short.
func (p *Printer) lldpMgmtAddr(b []byte, n int) bool {
	if n < 1 {
		return false
	}
	alen := int(b[0])
	b, n = b[1:], n-1
	if n < alen {
		return false
	}
	// tcpdump formats the address into a buffer before printing the line.
	save := len(p.out)
	p.s("\n\t  Management Address length ")
	p.i(alen)
	p.s(", ")
	if !p.lldpNetAddr(b, alen) {
		p.out = p.out[:save]
		return false
	}
	b, n = b[alen:], n-alen
	if n < 5 {
		return false
	}
	p.s("\n\t  ")
	p.s(tokStr(lldpIntfNumbering, b[0], "Unknown"))
	p.s(" Interface Numbering (")
	p.u(uint64(b[0]))
	p.s("): ")
	p.u(uint64(p.be32(b, 1)))
	b, n = b[5:], n-5
	if n > 0 {
		olen := int(b[0])
		if n < 1+olen {
			return false
		}
		if olen > 0 {
			p.s("\n\t  OID length ")
			p.i(olen)
			p.printzp(b[1:], olen)
		}
	}
	return true
}

func (p *Printer) lldpSubtype(names map[uint8]string, sub uint8) {
	p.s("\n\t  ")
	p.s(tokStr(names, sub, "unknown"))
	p.s(" Subtype (")
	p.u(uint64(sub))
	p.c(')')
}

// padNum prints v left-justified in a field of w, as printf's %-wd.
func (p *Printer) padNum(v uint64, w int) {
	s := strconv.FormatUint(v, 10)
	p.s(s)
	for i := len(s); i < w; i++ {
		p.c(' ')
	}
}

var lldp8021Subtypes = map[uint8]string{
	1: "Port VLAN Id", 2: "Port and Protocol VLAN ID", 3: "VLAN name", 4: "Protocol Identity",
	8: "Congestion Notification", 9: "ETS Configuration", 10: "ETS Recommendation",
	11: "Priority Flow Control Configuration", 12: "Application Priority", 13: "EVB", 14: "CDCP",
}

var lldpEVBModes = map[uint8]string{
	0: "Not Supported", 1: "EVB Bridge", 2: "EVB Staion", 3: "Reserved for future Standardization",
}

func (p *Printer) lldpBits8(title string, v uint8) {
	p.s(title)
	p.s("\n\t     Priority : 0  1  2  3  4  5  6  7\n\t     Value    : ")
	for i := 0; i < 8; i++ {
		p.padNum(uint64(v>>i&1), 2)
		p.c(' ')
	}
}

func (p *Printer) lldpETSTables(b []byte) {
	p.s("\n\t    Priority Assignment Table\n\t     Priority : 0   1   2   3   4   5   6   7\n\t     Value    : ")
	for i := 0; i < 8; i++ {
		if i > 0 {
			p.c(' ')
		}
		c := b[5+i/2]
		if i%2 == 0 {
			c >>= 4
		}
		p.padNum(uint64(c&0xf), 3)
	}
	p.s("\n\t    TC Bandwidth Table\n\t     TC%   : 0   1   2   3   4   5   6   7\n\t     Value : ")
	for i := 0; i < 8; i++ {
		if i > 0 {
			p.c(' ')
		}
		p.padNum(uint64(b[9+i]), 3)
	}
	p.s("\n\t    TSA Assignment Table\n\t     Traffic Class: 0   1   2   3   4   5   6   7\n\t     Value        : ")
	for i := 0; i < 8; i++ {
		if i > 0 {
			p.c(' ')
		}
		p.padNum(uint64(b[17+i]), 3)
	}
}

// lldp8021 is lldp_private_8021_print; true asks for a hex dump.
func (p *Printer) lldp8021(b []byte, n int) bool {
	if n < 4 {
		return false
	}
	sub := b[3]
	p.lldpSubtype(lldp8021Subtypes, sub)
	switch sub {
	case 1:
		if n < 6 {
			return false
		}
		p.s("\n\t    port vlan id (PVID): ")
		p.u(uint64(p.be16(b, 4)))
	case 2:
		if n < 7 {
			return false
		}
		p.s("\n\t    port and protocol vlan id (PPVID): ")
		p.u(uint64(p.be16(b, 5)))
		p.s(", flags [")
		p.s(bitTokStr([]bitTok{{1 << 1, "supported"}, {1 << 2, "enabled"}}, uint32(b[4]), "none"))
		p.s("] (0x")
		p.hexw(uint64(b[4]), 2)
		p.c(')')
	case 3:
		if n < 6 {
			return false
		}
		p.s("\n\t    vlan id (VID): ")
		p.u(uint64(p.be16(b, 4)))
		if n < 7 {
			return false
		}
		l := int(b[6])
		if n < 7+l {
			return false
		}
		p.s("\n\t    vlan name: ")
		p.printzp(b[7:], l)
	case 4:
		if n < 5 {
			return false
		}
		l := int(b[4])
		if n < 5+l {
			return false
		}
		p.s("\n\t    protocol identity: ")
		p.printzp(b[5:], l)
	case 8:
		if n < 6 {
			return false
		}
		p.lldpBits8("\n\t    Pre-Priority CNPV Indicator", b[4])
		p.lldpBits8("\n\t    Pre-Priority Ready Indicator", b[5])
	case 9:
		if n < 25 {
			return false
		}
		t := b[4]
		p.s("\n\t    Willing:")
		p.u(uint64(t >> 7))
		p.s(", CBS:")
		p.u(uint64(t >> 6 & 2))
		p.s(", RES:")
		p.u(uint64(t >> 3 & 7))
		p.s(", Max TCs:")
		p.u(uint64(t & 7))
		p.lldpETSTables(b)
	case 10:
		if n < 25 {
			return false
		}
		p.s("\n\t    RES: ")
		p.u(uint64(b[4]))
		p.lldpETSTables(b)
	case 11:
		if n < 6 {
			return false
		}
		t := b[4]
		p.s("\n\t    Willing: ")
		p.u(uint64(t >> 7))
		p.s(", MBC: ")
		p.u(uint64(t >> 6 & 1))
		p.s(", RES: ")
		p.u(uint64(t >> 4 & 3))
		p.s(", PFC cap:")
		p.u(uint64(t & 0xf))
		p.c(' ')
		p.lldpBits8("\n\t    PFC Enable", b[5])
	case 12:
		if n < 5 {
			return false
		}
		p.s("\n\t    RES: ")
		p.u(uint64(b[4]))
		if n <= 5 {
			return false
		}
		l := n - 5
		if l%3 != 0 {
			return false
		}
		p.s("\n\t    Application Priority Table")
		for i := 0; i < l; i += 3 {
			t := b[i+5]
			p.s("\n\t      Priority: ")
			p.u(uint64(t >> 5))
			p.s(", RES: ")
			p.u(uint64(t >> 3 & 3))
			p.s(", Sel: ")
			p.u(uint64(t & 7))
			p.s(", Protocol ID: ")
			p.u(uint64(p.be16(b, i+6)))
		}
	case 13:
		if n < 9 {
			return false
		}
		t := b[4]
		p.s("\n\t    EVB Bridge Status\n\t      RES: ")
		p.u(uint64(t >> 3))
		p.s(", BGID: ")
		p.u(uint64(t >> 2 & 1))
		p.s(", RRCAP: ")
		p.u(uint64(t >> 1 & 1))
		p.s(", RRCTR: ")
		p.u(uint64(t & 1))
		t = b[5]
		p.s("\n\t    EVB Station Status\n\t      RES: ")
		p.u(uint64(t >> 4))
		p.s(", SGID: ")
		p.u(uint64(t >> 3 & 1))
		p.s(", RRREQ: ")
		p.u(uint64(t >> 2 & 1))
		p.s(",RRSTAT: ")
		p.u(uint64(t & 3))
		t = b[6]
		p.s("\n\t    R: ")
		p.u(uint64(t >> 5))
		p.s(", RTE: ")
		p.u(uint64(t & 0x1f))
		t = b[7]
		p.s(", EVB Mode: ")
		p.s(tokStr(lldpEVBModes, t>>6, "unknown"))
		p.s(" [")
		p.u(uint64(t >> 6))
		p.s("]\n\t    ROL: ")
		p.u(uint64(t >> 5 & 1))
		p.s(", RWD: ")
		p.u(uint64(t & 0x1f))
		t = b[8]
		p.s(", RES: ")
		p.u(uint64(t >> 6))
		p.s(", ROL: ")
		p.u(uint64(t >> 5 & 1))
		p.s(", RKA: ")
		p.u(uint64(t & 0x1f))
	case 14:
		if n < 8 {
			return false
		}
		t := b[4]
		p.s("\n\t    Role: ")
		p.u(uint64(t >> 7))
		p.s(", RES: ")
		p.u(uint64(t >> 4 & 7))
		p.s(", Scomp: ")
		p.u(uint64(t >> 3 & 1))
		p.s(" ChnCap: ")
		p.u(uint64(p.be16(b, 6) & 0xfff))
		l := n - 8
		if l%3 != 0 {
			return false
		}
		for i := 0; i < l; i += 3 {
			v := uint32(b[i+8])<<16 | uint32(b[i+9])<<8 | uint32(b[i+10])
			p.s("\n\t    SCID: ")
			p.u(uint64(v >> 12))
			p.s(", SVID: ")
			p.u(uint64(v & 0xfff))
		}
	default:
		return true
	}
	return false
}

var (
	lldp8023Subtypes = map[uint8]string{
		1: "MAC/PHY configuration/status", 2: "Power via MDI", 3: "Link aggregation", 4: "Max frame size",
	}
	lldpMAUTypes = map[uint16]string{
		0: "Unknown", 1: "AUI", 2: "10BASE_5", 3: "FOIRL", 4: "10BASE2", 5: "10BASET duplex mode unknown",
		6: "10BASEFP", 7: "10BASEFB", 8: "10BASEFL duplex mode unknown", 9: "10BROAD36",
		10: "10BASET hdx", 11: "10BASET fdx", 12: "10BASEFL hdx", 13: "10BASEFL fdx", 14: "100BASET4",
		15: "100BASETX hdx", 16: "100BASETX fdx", 17: "100BASEFX hdx", 18: "100BASEFX fdx",
		19: "100BASET2 hdx", 20: "100BASET2 fdx", 21: "1000BASEX hdx", 22: "1000BASEX fdx",
		23: "1000BASELX hdx", 24: "1000BASELX fdx", 25: "1000BASESX hdx", 26: "1000BASESX fdx",
		27: "1000BASECX hdx", 28: "1000BASECX fdx", 29: "1000BASET hdx", 30: "1000BASET fdx",
		31: "10GBASEX", 32: "10GBASELX4", 33: "10GBASER", 34: "10GBASEER", 35: "10GBASELR",
		36: "10GBASESR", 37: "10GBASEW", 38: "10GBASEEW", 39: "10GBASELW", 40: "10GBASESW",
	}
	lldpPMDCaps = []bitTok{
		{1 << 14, "10BASE-T hdx"}, {1 << 13, "10BASE-T fdx"}, {1 << 12, "100BASE-T4"},
		{1 << 11, "100BASE-TX hdx"}, {1 << 10, "100BASE-TX fdx"}, {1 << 9, "100BASE-T2 hdx"},
		{1 << 8, "100BASE-T2 fdx"}, {1 << 7, "Pause for fdx links"}, {1 << 6, "Asym PAUSE for fdx"},
		{1 << 5, "Sym PAUSE for fdx"}, {1 << 4, "Asym and Sym PAUSE for fdx"},
		{1 << 3, "1000BASE-{X LX SX CX} hdx"}, {1 << 2, "1000BASE-{X LX SX CX} fdx"},
		{1 << 1, "1000BASE-T hdx"}, {1 << 0, "1000BASE-T fdx"},
	}
	lldpMDI        = []bitTok{{1 << 0, "PSE"}, {1 << 1, "supported"}, {1 << 2, "enabled"}, {1 << 3, "can be controlled"}}
	lldpPowerPairs = map[uint8]string{1: "signal", 2: "spare"}
	lldpPowerClass = map[uint8]string{1: "class0", 2: "class1", 3: "class2", 4: "class3", 5: "class4"}
	lldpEnabled    = []bitTok{{1 << 0, "supported"}, {1 << 1, "enabled"}}
)

// lldp8023 is lldp_private_8023_print; true asks for a hex dump.
func (p *Printer) lldp8023(b []byte, n int) bool {
	if n < 4 {
		return false
	}
	sub := b[3]
	p.lldpSubtype(lldp8023Subtypes, sub)
	switch sub {
	case 1:
		if n < 9 {
			return false
		}
		pmd, mau := p.be16(b, 5), p.be16(b, 7)
		p.s("\n\t    autonegotiation [")
		p.s(bitTokStr(lldpEnabled, uint32(b[4]), "none"))
		p.s("] (0x")
		p.hexw(uint64(b[4]), 2)
		p.s(")\n\t    PMD autoneg capability [")
		p.s(bitTokStr(lldpPMDCaps, uint32(pmd), "unknown"))
		p.s("] (0x")
		p.hexw(uint64(pmd), 4)
		p.s(")\n\t    MAU type ")
		p.s(tokStr(lldpMAUTypes, mau, "unknown"))
		p.s(" (0x")
		p.hexw(uint64(mau), 4)
		p.c(')')
	case 2:
		if n < 7 {
			return false
		}
		p.s("\n\t    MDI power support [")
		p.s(bitTokStr(lldpMDI, uint32(b[4]), "none"))
		p.s("], power pair ")
		p.s(tokStr(lldpPowerPairs, b[5], "unknown"))
		p.s(", power class ")
		p.s(tokStr(lldpPowerClass, b[6], "unknown"))
	case 3:
		if n < 9 {
			return false
		}
		p.s("\n\t    aggregation status [")
		p.s(bitTokStr(lldpEnabled, uint32(b[4]), "none"))
		p.s("], aggregation port ID ")
		p.u(uint64(p.be32(b, 5)))
	case 4:
		if n < 6 {
			return false
		}
		p.s("\n\t    MTU size ")
		p.u(uint64(p.be16(b, 4)))
	default:
		return true
	}
	return false
}

// lldpIANA is lldp_private_iana_print (the MUD URL); true asks for a hex
// dump.
func (p *Printer) lldpIANA(b []byte, n int) bool {
	if n < 8 {
		return false
	}
	sub := b[3]
	p.lldpSubtype(map[uint8]string{1: "MUD-URL"}, sub)
	if sub != 1 {
		return true
	}
	p.s("\n\t  MUD-URL=")
	p.printn(b[4:n])
	return false
}
