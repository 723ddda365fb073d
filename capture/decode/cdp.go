package decode

import (
	"bytes"
	"fmt"
	"strconv"
)

var (
	ciscoPIDs   = map[uint16]string{0x2000: "CDP", 0x2003: "VTP", 0x2004: "DTP", 0x0111: "UDLD", 0x010b: "PVST", 0x010c: "VLAN Bridge"}
	bridgedPIDs = map[uint16]string{
		1: "Ethernet + FCS", 7: "Ethernet w/o FCS", 2: "802.4 + FCS", 8: "802.4 w/o FCS",
		3: "Token Ring + FCS", 9: "Token Ring w/o FCS", 4: "FDDI + FCS", 10: "FDDI w/o FCS",
		5: "802.6 + FCS", 11: "802.6 w/o FCS", 14: "BPDU",
	}
	cdpCaps = []bitTok{
		{0x01, "Router"}, {0x02, "Transparent Bridge"}, {0x04, "Source Route Bridge"}, {0x08, "L2 Switch"},
		{0x10, "L3 capable"}, {0x20, "IGMP snooping"}, {0x40, "L1 capable"},
	}
)

// snapPID names a SNAP protocol ID the way tcpdump's
// oui_to_struct_tok does for the OUI.
func snapPID(oui uint32, et uint16) string {
	switch oui {
	case 0, 0xf8:
		return tokStr(etherTypeNames, et, "Unknown")
	case 0x00000c:
		return tokStr(ciscoPIDs, et, "Unknown")
	case 0x0080c2:
		return tokStr(bridgedPIDs, et, "Unknown")
	}
	return "Unknown"
}

// snap prints a SNAP header after LLC (tcpdump's snap_print) and the
// protocols netdiag knows behind it: ethertypes, Cisco's CDP and PVST,
// bridged Ethernet frames and BPDUs (RFC 2684). It reports false when the
// payload is not decoded (the caller dumps it); src and dst are the
// Ethernet addresses, nil for cooked captures.
func (p *Printer) snap(b []byte, length int, src, dst []byte) bool {
	p.proto = "snap"
	if len(b) < 5 || length < 5 {
		p.tcheck(nil, 1)
	}
	oui := uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
	et := uint16(b[3])<<8 | uint16(b[4])
	kind := "pid"
	if oui == 0 {
		kind = "ethertype"
	}
	if p.opts.LinkHeader {
		p.s(fmt.Sprintf("oui %s (0x%06x), %s %s (0x%04x), length %d: ", tokStr(ouiNames, oui, "Unknown"), oui, kind, snapPID(oui, et), et, length-5))
	}
	rest, rlen := b[5:], length-5
	switch {
	case oui == 0 || oui == 0xf8:
		if p.etherType(et, rest, rlen) {
			return true
		}
	case oui == 0x00000c && et == 0x2000:
		p.cdp(rest, rlen)
		return true
	case oui == 0x00000c && et == 0x2004:
		p.dtp(rest, rlen)
		return true
	case oui == 0x00000c && et == 0x0111:
		p.udld(rest, rlen)
		return true
	case oui == 0x00000c && et == 0x2003:
		p.vtp(rest, rlen)
		return true
	case oui == 0x00000c && (et == 0x010b || et == 0x010c), oui == 0x0080c2 && et == 14:
		p.stp(rest, rlen)
		return true
	case oui == 0x0080c2 && (et == 1 || et == 7):
		// A bridged Ethernet frame after two bytes of padding.
		p.tcheck(rest, 2)
		p.innerEther(rest[2:], rlen-2)
		return true
	}
	if !p.opts.LinkHeader {
		if src != nil && dst != nil {
			p.mac(src)
			p.s(" > ")
			p.mac(dst)
			p.c(' ')
		}
		if oui == 0 {
			p.s(fmt.Sprintf("SNAP, ethertype %s (0x%04x), length %d: ", snapPID(oui, et), et, rlen))
		} else {
			p.s(fmt.Sprintf("SNAP, oui %s (0x%06x), pid %s (0x%04x), length %d: ", tokStr(ouiNames, oui, "Unknown"), oui, snapPID(oui, et), et, rlen))
		}
	}
	return false
}

// cdpTLV is how tcpdump 4.99 prints one CDP TLV type: its name, the
// value length it accepts (0: any) and whether it has a printer.
type cdpTLV struct {
	name             string
	minLen, maxLen   int
	printed, unnamed bool
}

var cdpTLVs = map[uint16]cdpTLV{
	0x00: {unnamed: true}, 0x01: {name: "Device-ID", printed: true}, 0x02: {name: "Address", printed: true},
	0x03: {name: "Port-ID", printed: true}, 0x04: {name: "Capability", minLen: 4, maxLen: 4, printed: true},
	0x05: {name: "Version String", printed: true}, 0x06: {name: "Platform", printed: true},
	0x07: {name: "Prefixes", printed: true}, 0x08: {name: "Protocol-Hello option"},
	0x09: {name: "VTP Management Domain", printed: true},
	0x0a: {name: "Native VLAN ID", minLen: 2, maxLen: 2, printed: true},
	0x0b: {name: "Duplex", minLen: 1, maxLen: 1, printed: true}, 0x0c: {unnamed: true}, 0x0d: {unnamed: true},
	0x0e: {name: "ATA-186 VoIP VLAN assignment", minLen: 3, maxLen: 3, printed: true},
	0x0f: {name: "ATA-186 VoIP VLAN request", minLen: 2, maxLen: 3, printed: true},
	0x10: {name: "power consumption", minLen: 1, maxLen: 3, printed: true},
	0x11: {name: "MTU", minLen: 4, maxLen: 4, printed: true},
	0x12: {name: "AVVID trust bitmap", minLen: 1, maxLen: 1, printed: true},
	0x13: {name: "AVVID untrusted ports CoS", minLen: 1, maxLen: 1, printed: true},
	0x14: {name: "System Name", printed: true}, 0x15: {name: "System Object ID (not decoded)"},
	0x16: {name: "Management Addresses", minLen: 4, printed: true},
	0x17: {name: "Physical Location", minLen: 1, printed: true},
}

// cdpString prints a quoted CDP string; running past the capture ends
// the line.
func (p *Printer) cdpString(b []byte, n int) {
	p.c('\'')
	for i := 0; i < n; i++ {
		p.safeChar(p.u8(b, i))
	}
	p.c('\'')
}

// cdp prints Cisco Discovery Protocol as tcpdump 4.99's cdp_print does:
// the device ID and a hex dump of the other TLVs, or with -v every TLV.
func (p *Printer) cdp(b []byte, length int) {
	p.proto = "cdp"
	v := p.opts.Verbose
	invalid := func(off, n int) {
		p.s(" (invalid)")
		p.need(b, off+n)
	}
	if length < 4 {
		p.s(fmt.Sprintf(" (packet length %d < 4)", length))
		invalid(0, length)
		return
	}
	version, ttl := p.u8(b, 0), p.u8(b, 1)
	p.s(fmt.Sprintf("CDPv%d, ttl: %ds", version, ttl))
	sum := p.be16(b, 2)
	if v > 0 {
		p.s(fmt.Sprintf(", checksum: 0x%04x (unverified), length %d", sum, length))
	}
	off, left := 4, length-4
	for left > 0 {
		if left < 4 {
			p.s(fmt.Sprintf(" (remaining packet length %d < 4)", left))
			invalid(off, left)
			return
		}
		typ, tlen := p.be16(b, off), int(p.be16(b, off+2))
		info, known := cdpTLVs[typ]
		tname := info.name
		if tname == "" {
			tname = "unknown field type"
		}
		if tlen < 4 {
			if v > 0 {
				p.s(fmt.Sprintf("\n\t%s (0x%02x), TLV length: %d byte%s (too short)", tname, typ, tlen, pluralSuffix(tlen)))
			} else {
				p.s(fmt.Sprintf(", %s TLV length %d too short", tname, tlen))
			}
			invalid(off, left)
			return
		}
		if tlen > left {
			p.s(fmt.Sprintf(" (TLV length %d > %d)", tlen, left))
			invalid(off, left)
			return
		}
		off += 4
		left -= 4
		tlen -= 4
		if v == 0 && typ == 1 {
			p.s(", Device-ID ")
		} else if v > 0 {
			p.s(fmt.Sprintf("\n\t%s (0x%02x), value length: %d byte%s: ", tname, typ, tlen, pluralSuffix(tlen)))
		}
		covered := false
		if known {
			if (info.minLen > 0 && tlen < info.minLen) || (info.maxLen > 0 && tlen > info.maxLen) {
				p.s(" (malformed TLV)")
			} else if v > 0 || typ == 1 {
				if info.printed {
					p.cdpValue(typ, b[min(off, len(b)):], tlen)
				} else {
					p.need(b, off+tlen)
				}
				covered = true
			}
		}
		if !covered {
			p.need(b, off+tlen)
			p.unknownData(b[off:], "\n\t  ", tlen)
		}
		off += tlen
		left -= tlen
	}
	if v == 0 {
		p.s(", length ")
		p.i(length)
	}
}

func (p *Printer) cdpValue(typ uint16, b []byte, n int) {
	switch typ {
	case 0x01, 0x03, 0x06, 0x09, 0x14:
		p.cdpString(b, n)
	case 0x02, 0x16:
		p.cdpAddr(b, n)
	case 0x04:
		c := p.be32(b, 0)
		p.s(fmt.Sprintf("(0x%08x): %s", c, bitTokStr(cdpCaps, c, "none")))
	case 0x05:
		p.s("\n\t  ")
		for i := 0; i < n; i++ {
			if c := p.u8(b, i); c == '\n' {
				p.s("\n\t  ")
			} else {
				p.safeChar(c)
			}
		}
	case 0x07:
		if n%5 != 0 {
			p.s(fmt.Sprintf(" [length %d is not a multiple of 5]", n))
			p.need(b, n)
			return
		}
		p.s(fmt.Sprintf(" IPv4 Prefixes (%d):", n/5))
		for i := 0; i < n; i += 5 {
			p.need(b, i+5)
			p.s(fmt.Sprintf(" %d.%d.%d.%d/%d", b[i], b[i+1], b[i+2], b[i+3], b[i+4]))
		}
	case 0x0a:
		p.u(uint64(p.be16(b, 0)))
	case 0x0b:
		if p.u8(b, 0) != 0 {
			p.s("full")
		} else {
			p.s("half")
		}
	case 0x0e, 0x0f:
		if n == 2 {
			p.s(fmt.Sprintf("unknown 0x%04x", p.be16(b, 0)))
		} else {
			app, vlan := p.u8(b, 0), p.be16(b, 1)
			p.s(fmt.Sprintf("app %d, vlan %d", app, vlan))
		}
	case 0x10:
		var val uint32
		switch n {
		case 1:
			val = uint32(p.u8(b, 0))
		case 2:
			val = uint32(p.be16(b, 0))
		case 3:
			p.need(b, 3)
			val = uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
		}
		p.s(strconv.FormatFloat(float64(val)/1000, 'f', 2, 64))
		p.c('W')
	case 0x11:
		p.s(fmt.Sprintf("%d bytes", p.be32(b, 0)))
	case 0x12, 0x13:
		p.s(fmt.Sprintf("0x%02x", p.u8(b, 0)))
	case 0x17:
		p.s(fmt.Sprintf("0x%02x", p.u8(b, 0)))
		if n > 1 {
			p.c('/')
			for i := 1; i < n; i++ {
				p.safeChar(p.u8(b, i))
			}
		}
	}
}

func pluralSuffix(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

var cdpIPv6Proto = []byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd}

// cdpAddr is cdp_print_addr: the address list of an Address or
// Management Addresses TLV of l bytes.
func (p *Printer) cdpAddr(b []byte, l int) {
	off := 0
	invalid := func(what string) {
		p.s(what)
		p.need(b, off+l)
	}
	if l < 4 {
		invalid(" (not enough space for num)")
		return
	}
	num := p.be32(b, 0)
	off += 4
	l -= 4
	for num != 0 {
		if l < 2 {
			invalid(" (not enough space for PT+PL)")
			return
		}
		pt, pl := p.u8(b, off), int(p.u8(b, off+1))
		off += 2
		l -= 2
		if l < pl+2 {
			invalid(" (not enough space for P+AL)")
			return
		}
		al := int(p.be16(b, off+pl))
		switch {
		case pt == 1 && pl == 1 && p.u8(b, off) == 0xcc && al == 4:
			off += pl + 2
			l -= pl + 2
			if l < al {
				invalid(" (not enough space for A)")
				return
			}
			p.need(b, off+4)
			p.s(fmt.Sprintf("IPv4 (%d) ", num))
			p.ip4(b[off:])
			off += al
			l -= al
		case pt == 2 && pl == 8 && p.cdpIsIPv6(b, off) && al == 16:
			off += pl + 2
			l -= pl + 2
			if l < al {
				invalid(" (not enough space for A)")
				return
			}
			p.need(b, off+16)
			p.s(fmt.Sprintf("IPv6 (%d) ", num))
			p.addr6(b[off:])
			off += al
			l -= al
		default:
			p.s(fmt.Sprintf("pt=0x%02x, pl=%d, pb=", pt, pl))
			for ; pl > 0; pl-- {
				p.s(fmt.Sprintf(" %02x", p.u8(b, off)))
				off++
				l--
			}
			p.s(fmt.Sprintf(", al=%d, a=", al))
			off += 2
			l -= 2
			if l < al {
				invalid(" (not enough space for A)")
				return
			}
			for ; al > 0; al-- {
				p.s(fmt.Sprintf(" %02x", p.u8(b, off)))
				off++
				l--
			}
		}
		num--
		if num != 0 {
			p.c(' ')
		}
	}
	if l > 0 {
		p.s(fmt.Sprintf(" (%d bytes of stray data)", l))
	}
}

// cdpIsIPv6 is the memcmp of the protocol field with the LLC/SNAP header
// of IPv6; tcpdump reads it without a bounds check, within the TLV.
func (p *Printer) cdpIsIPv6(b []byte, off int) bool {
	return len(b) >= off+8 && bytes.Equal(b[off:off+8], cdpIPv6Proto)
}

// snapLLC is llc_print's SNAP case: the LLC and SNAP header length,
// negative when the payload is left for a hex dump.
func (p *Printer) snapLLC(b []byte, length, hdrlen int, src, dst []byte) (n int) {
	// A printer that stopped at a short field has handled the packet.
	n = hdrlen + 5
	p.sub(func() {
		if !p.snap(b, length, src, dst) {
			n = -n
		}
	})
	return n
}

var dtpTLVNames = map[uint16]string{1: "Domain", 2: "Status", 3: "DTP type", 4: "Neighbor"}

// dtp prints Cisco's Dynamic Trunking Protocol as tcpdump's dtp_print
// does: the version, and with -v the domain, status, type and neighbor.
func (p *Printer) dtp(b []byte, length int) {
	p.proto = "dtp"
	off := 0
	invalid := func() {
		p.s(" (invalid)")
		p.need(b, off+length)
	}
	if length < 1 {
		p.s("[zero packet length]")
		invalid()
		return
	}
	p.s(fmt.Sprintf("DTPv%d, length %d", p.u8(b, 0), length))
	if p.opts.Verbose < 1 {
		return
	}
	off, length = 1, length-1
	for length > 0 {
		if length < 4 {
			p.s(fmt.Sprintf("[%d bytes remaining]", length))
			invalid()
			return
		}
		typ, l := p.be16(b, off), int(p.be16(b, off+2))
		if typ == 0 {
			return
		}
		p.s(fmt.Sprintf("\n\t%s (0x%04x) TLV, length %d", tokStr(dtpTLVNames, typ, "Unknown"), typ, l))
		if l < 4 || l > length {
			p.s(fmt.Sprintf("[invalid TLV length %d]", l))
			invalid()
			return
		}
		switch typ {
		case 1:
			p.s(", ")
			p.printzp(b[off+4:], l-4)
		case 2, 3:
			if l != 5 {
				invalid()
				return
			}
			p.s(fmt.Sprintf(", 0x%x", p.u8(b, off+4)))
		case 4:
			if l != 10 {
				invalid()
				return
			}
			p.need(b, off+10)
			p.s(", ")
			p.mac(b[off+4:])
		default:
			p.need(b, off+l)
		}
		off += l
		length -= l
	}
}

var (
	udldTLVNames = map[uint16]string{
		1: "Device-ID TLV", 2: "Port-ID TLV", 3: "Echo TLV", 4: "Message Interval TLV",
		5: "Timeout Interval TLV", 6: "Device Name TLV", 7: "Sequence Number TLV",
	}
	udldCodes = map[uint8]string{0: "Reserved", 1: "Probe message", 2: "Echo message", 3: "Flush message"}
	udldFlags = []bitTok{
		{1 << 0, "RT"}, {1 << 1, "RSY"}, {1 << 2, "MBZ-2"}, {1 << 3, "MBZ-3"}, {1 << 4, "MBZ-4"},
		{1 << 5, "MBZ-5"}, {1 << 6, "MBZ-6"}, {1 << 7, "MBZ-7"},
	}
)

// udld prints Cisco's UniDirectional Link Detection (RFC 5171) as
// tcpdump's udld_print does: version, opcode and flags, and with -v the
// TLVs.
func (p *Printer) udld(b []byte, length int) {
	p.proto = "udld"
	off := 0
	invalid := func() {
		p.s(" (invalid)")
		p.need(b, off+length)
	}
	if length < 4 {
		invalid()
		return
	}
	first := p.u8(b, 0)
	flags := p.u8(b, 1)
	off, length = 2, length-2
	p.s(fmt.Sprintf("UDLDv%d, Code %s (%x), Flags [%s] (0x%02x), length %d",
		first>>5, tokStr(udldCodes, first&0x1f, "Reserved"), first&0x1f, bitTokStr(udldFlags, uint32(flags), "none"), flags, length+2))
	if p.opts.Verbose < 1 {
		p.need(b, off+length)
		return
	}
	p.s(fmt.Sprintf("\n\tChecksum 0x%04x (unverified)", p.be16(b, off)))
	off, length = off+2, length-2
	for length > 0 {
		if length < 4 {
			invalid()
			return
		}
		typ, l := p.be16(b, off), int(p.be16(b, off+2))
		off, length = off+4, length-4
		p.s(fmt.Sprintf("\n\t%s (0x%04x) TLV, length %d", tokStr(udldTLVNames, typ, "Unknown"), typ, l))
		if l <= 4 {
			invalid()
			return
		}
		l -= 4
		if length < l {
			invalid()
			return
		}
		switch typ {
		case 1, 2, 6:
			p.s(", ")
			p.printzp(b[off:], l)
		case 3:
			p.s(", ")
			for i := 0; i < l; i++ {
				p.safeChar(p.u8(b, off+i))
			}
		case 4, 5:
			if l != 1 {
				invalid()
				return
			}
			p.s(fmt.Sprintf(", %ds", p.u8(b, off)))
		case 7:
			if l != 4 {
				invalid()
				return
			}
			p.s(fmt.Sprintf(", %d", p.be32(b, off)))
		default:
			p.need(b, off+l)
		}
		off, length = off+l, length-l
	}
}
