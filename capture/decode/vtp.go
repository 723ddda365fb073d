package decode

import "fmt"

var (
	vtpMessageTypes = map[uint8]string{1: "Summary advertisement", 2: "Subset advertisement", 3: "Advertisement request", 4: "Join message"}
	vtpHeaderFields = map[uint8]string{1: "Followers", 2: "Seq number", 3: "Rsvd", 4: "Rsvd"}
	vtpVLANTypes    = map[uint8]string{1: "Ethernet", 2: "FDDI", 3: "TrCRF", 4: "FDDI-net", 5: "TrBRF"}
	vtpVLANStatus   = map[uint8]string{0: "Operational", 1: "Suspended"}
	vtpVLANTLVs     = map[uint8]string{
		1: "Source-Routing Ring Number TLV", 2: "Source-Routing Bridge Number TLV", 3: "STP type TLV",
		4: "Parent VLAN TLV", 5: "Translationally bridged VLANs TLV", 6: "Pruning TLV", 7: "Bridge Type TLV",
		8: "Max ARP Hop Count TLV", 9: "Max STE Hop Count TLV", 10: "Backup CRF Mode TLV",
	}
	vtpSTPTypes = map[uint16]string{1: "SRT", 2: "SRB", 3: "Auto"}
)

// vtp prints Cisco's VLAN Trunking Protocol as tcpdump's vtp_print does:
// version and message type, and with -v the domain, revisions and the
// VLANs of subset advertisements.
func (p *Printer) vtp(b []byte, length int) {
	p.proto = "vtp"
	off := 0
	// Like tcpdump, a malformed message still needs all of its bytes
	// captured.
	invalid := func() {
		p.s(" (invalid)")
		p.need(b, length)
	}
	if length < 36 {
		invalid()
		return
	}
	p.need(b, 36)
	typ := b[1]
	p.s(fmt.Sprintf("VTPv%d, Message %s (0x%02x), length %d", b[0], tokStr(vtpMessageTypes, typ, "Unknown message type"), typ, length))
	if p.opts.Verbose < 1 {
		p.need(b, length)
		return
	}
	p.s("\n\tDomain name: ")
	mlen := int(b[3])
	if mlen < 1 || mlen > 32 {
		p.s(fmt.Sprintf(" [invalid MgmtD Len %d]", mlen))
		invalid()
		return
	}
	p.printzp(b[4:], mlen)
	p.s(fmt.Sprintf(", %s: %d", tokStr(vtpHeaderFields, typ, "Unknown"), b[2]))
	off = 36
	switch typ {
	case 1:
		p.need(b, off+8)
		p.s(fmt.Sprintf("\n\t  Config Rev %x, Updater ", p.be32(b, off)))
		p.ip4(b[off+4:])
		off += 8
		p.need(b, off+12)
		p.s(fmt.Sprintf(", Timestamp 0x%08x 0x%08x 0x%08x", p.be32(b, off), p.be32(b, off+4), p.be32(b, off+8)))
		off += 12
		p.need(b, off+16)
		p.s(fmt.Sprintf(", MD5 digest: %08x%08x%08x%08x", p.be32(b, off), p.be32(b, off+4), p.be32(b, off+8), p.be32(b, off+12)))
	case 2:
		p.need(b, off+4)
		p.s(fmt.Sprintf(", Config Rev %x", p.be32(b, off)))
		off += 4
		for off < length {
			p.need(b, off+1)
			l := int(b[off])
			if l == 0 {
				break
			}
			p.need(b, off+l)
			if l < 12 {
				invalid()
				return
			}
			status, vtype, nlen := b[off+1], b[off+2], int(b[off+3])
			p.s(fmt.Sprintf("\n\tVLAN info status %s, type %s, VLAN-id %d, MTU %d, SAID 0x%08x, Name ",
				tokStr(vtpVLANStatus, status, "Unknown"), tokStr(vtpVLANTypes, vtype, "Unknown"), p.be16(b, off+4), p.be16(b, off+6), p.be32(b, off+8)))
			l -= 12
			off += 12
			padded := 4 * ((nlen + 3) / 4)
			if l < padded {
				invalid()
				return
			}
			p.need(b, off+nlen)
			p.printzp(b[off:], nlen)
			l -= padded
			off += padded
			for l > 0 {
				if l < 2 {
					invalid()
					return
				}
				p.need(b, off+2)
				t, tl := b[off], int(b[off+1])
				p.s(fmt.Sprintf("\n\t\t%s (0x%04x) TLV", tokStr(vtpVLANTLVs, t, "Unknown"), t))
				if l < tl*2+2 {
					p.s(" (TLV goes past the end of the packet)")
					invalid()
					return
				}
				p.need(b, off+tl*2+2)
				if tl != 1 {
					p.s(fmt.Sprintf(" (invalid TLV length %d != 1)", tl))
					invalid()
					return
				}
				v := p.be16(b, off+2)
				switch t {
				case 9:
					p.s(fmt.Sprintf(", %d", v))
				case 6:
					p.s(fmt.Sprintf(", %s (%d)", map[bool]string{true: "Enabled", false: "Disabled"}[v == 1], v))
				case 3:
					p.s(fmt.Sprintf(", %s (%d)", tokStr(vtpSTPTypes, v, "Unknown"), v))
				case 7:
					p.s(fmt.Sprintf(", %s (%d)", map[bool]string{true: "SRB", false: "SRT"}[v == 1], v))
				case 10:
					p.s(fmt.Sprintf(", %s (%d)", map[bool]string{true: "Backup", false: "Not backup"}[v == 1], v))
				default:
					p.unknownData(b[off:], "\n\t\t  ", 2+tl*2)
				}
				l -= 2 + tl*2
				off += 2 + tl*2
			}
		}
	case 3:
		p.need(b, off+4)
		p.s(fmt.Sprintf("\n\tStart value: %d", p.be32(b, off)))
	}
}
