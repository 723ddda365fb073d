package decode

import (
	"fmt"
)

var lldpDCBXSubtypes = map[uint8]string{
	1: "DCB Capability Exchange Protocol Rev 1", 2: "DCB Capability Exchange Protocol Rev 1.01",
}

// lldpDCBXHead prints the versions and info block every DCBX feature TLV
// starts with.
func (p *Printer) lldpDCBXHead(b []byte) {
	p.s("\n\t      Oper_Version: ")
	p.u(uint64(b[0]))
	p.s("\n\t      Max_Version: ")
	p.u(uint64(b[1]))
	t := b[2]
	p.s(fmt.Sprintf("\n\t      Info block(0x%02X): Enable bit: %d, Willing bit: %d, Error Bit: %d", t, t>>7&1, t>>6&1, t>>5&1))
	p.s("\n\t      SubType: ")
	p.u(uint64(b[3]))
}

// lldpDCBX is lldp_private_dcbx_print (DCBX 1.01 TLVs inside the
// organization-specific TLV); true asks for a hex dump.
func (p *Printer) lldpDCBX(b []byte, n int) bool {
	if n < 4 {
		return false
	}
	sub := b[3]
	p.lldpSubtype(lldpDCBXSubtypes, sub)
	if sub == 1 {
		return true
	}
	hexdump := false
	off, left := 4, n-4
	for left >= 2 {
		tlv := p.be16(b, off)
		typ, tlen := tlv>>9, int(tlv&0x1ff)
		hexdump = false
		left -= 2
		off += 2
		if typ == 0 || tlen == 0 || left < tlen {
			return hexdump
		}
		t := b[off : off+tlen]
		switch typ {
		case 1:
			if tlen < 10 {
				return hexdump
			}
			p.s("\n\t    Control - Protocol Control (type 0x1, length ")
			p.i(tlen)
			p.s(")\n\t      Oper_Version: ")
			p.u(uint64(t[0]))
			p.s("\n\t      Max_Version: ")
			p.u(uint64(t[1]))
			p.s("\n\t      Sequence Number: ")
			p.u(uint64(p.be32(t, 2)))
			p.s("\n\t      Acknowledgement Number: ")
			p.u(uint64(p.be32(t, 6)))
		case 2:
			if tlen < 17 {
				return hexdump
			}
			p.s("\n\t    Feature - Priority Group (type 0x2, length ")
			p.i(tlen)
			p.c(')')
			p.lldpDCBXHead(t)
			p.s("\n\t      Priority Allocation")
			pg := p.be32(t, 4)
			for i := 0; i < 8; i++ {
				p.s(fmt.Sprintf("\n\t          PgId_%d: %d", i, pg>>(28-4*i)&0xf))
			}
			p.s("\n\t      Priority Group Allocation")
			for i := 0; i < 8; i++ {
				p.s(fmt.Sprintf("\n\t          Pg percentage[%d]: %d", i, t[8+i]))
			}
			p.s("\n\t      NumTCsSupported: ")
			p.u(uint64(t[16]))
		case 3:
			if tlen < 6 {
				return hexdump
			}
			p.s("\n\t    Feature - Priority Flow Control (type 0x3, length ")
			p.i(tlen)
			p.c(')')
			p.lldpDCBXHead(t)
			p.s(fmt.Sprintf("\n\t      PFC Config (0x%02X)", t[4]))
			for i := 0; i < 8; i++ {
				state := "Disabled"
				if t[4]&(1<<i) != 0 {
					state = "Enabled"
				}
				p.s(fmt.Sprintf("\n\t          Priority Bit %d: %s", i, state))
			}
			p.s("\n\t      NumTCPFCSupported: ")
			p.u(uint64(t[5]))
		case 4:
			if tlen < 4 {
				return hexdump
			}
			p.s("\n\t    Feature - Application (type 0x4, length ")
			p.i(tlen)
			p.c(')')
			p.lldpDCBXHead(t)
			// tcpdump keeps the remaining length in a byte.
			rem := uint8(tlen - 4)
			m := 4
			for rem >= 6 {
				u := uint32(t[m+2])<<16 | uint32(t[m+3])<<8 | uint32(t[m+4])
				kind := "L2 EtherType"
				if u>>22 != 0 {
					kind = "Socket Number"
				}
				p.s(fmt.Sprintf("\n\t      Application Value\n\t          Application Protocol ID: 0x%04x", p.be16(t, m)))
				p.s(fmt.Sprintf("\n\t          SF (0x%x) Application Protocol ID is %s", u>>22, kind))
				p.s(fmt.Sprintf("\n\t          OUI: 0x%06x\n\t          User Priority Map: 0x%02x", u&0x3fffff, t[m+5]))
				rem -= 6
				m += 6
			}
		default:
			hexdump = true
		}
		if p.opts.Verbose > 1 || (p.opts.Verbose > 0 && hexdump) {
			p.unknownData(t, "\n\t    ", tlen)
		}
		left -= tlen
		off += tlen
	}
	return hexdump
}
