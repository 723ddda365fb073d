package decode

import "fmt"

var (
	slowProtoNames = map[uint8]string{1: "LACP", 2: "MARKER", 3: "OAM"}
	slowTLVNames   = map[uint16]string{
		0x100: "Terminator", 0x101: "Actor Information", 0x102: "Partner Information",
		0x103: "Collector Information", 0x200: "Terminator", 0x201: "Marker Information",
	}
	lacpStateFlags = []bitTok{
		{0x01, "Activity"}, {0x02, "Timeout"}, {0x04, "Aggregation"}, {0x08, "Synchronization"},
		{0x10, "Collecting"}, {0x20, "Distributing"}, {0x40, "Default"}, {0x80, "Expired"},
	}
	oamFlags = []bitTok{
		{0x01, "Link Fault"}, {0x02, "Dying Gasp"}, {0x04, "Critical Event"}, {0x08, "Local Evaluating"},
		{0x10, "Local Stable"}, {0x20, "Remote Evaluating"}, {0x40, "Remote Stable"},
	}
	oamCodes = map[uint8]string{
		0: "Information", 1: "Event Notification", 2: "Variable Request", 3: "Variable Response",
		4: "Loopback Control", 0xfe: "Vendor Private",
	}
	oamInfoTypes   = map[uint8]string{0: "End of TLV marker", 1: "Local", 2: "Remote", 0xfe: "Organization specific"}
	oamParser      = map[uint8]string{0: "forwarding", 1: "looping back", 2: "discarding", 3: "reserved"}
	oamMux         = map[uint8]string{0: "forwarding", 4: "discarding"}
	oamConfigFlags = []bitTok{
		{0x01, "Active"}, {0x02, "Unidirectional"}, {0x04, "Remote-Loopback"}, {0x08, "Link-Events"},
		{0x10, "Variable-Retrieval"},
	}
	oamLinkEvents = map[uint8]string{
		0: "End of TLV marker", 1: "Errored Symbol Period Event", 2: "Errored Frame Event",
		3: "Errored Frame Period Event", 4: "Errored Frame Seconds Summary Event", 0xfe: "Organization specific",
	}
	oamLoopbackCmds = map[uint8]string{1: "Enable OAM Remote Loopback", 2: "Disable OAM Remote Loopback"}
)

// slowTooShort is tcpdump's "packet is too short" ending.
func (p *Printer) slowTooShort() {
	p.s("\n\t\t packet is too short")
}

// slow prints the IEEE slow protocols (ethertype 0x8809) as tcpdump's
// slow_print does: LACP and Marker (802.3ad) with their TLVs and OAM
// (802.3ah) with its information, event and loopback PDUs; TLVs only
// with -v.
func (p *Printer) slow(b []byte, length int) {
	p.proto = "slow"
	if length < 1 {
		if p.opts.Verbose == 0 {
			p.s(" (packet is too short)")
		} else {
			p.slowTooShort()
		}
		return
	}
	sub := p.u8(b, 0)
	version := -1
	switch sub {
	case 1, 2:
		if length < 2 {
			if p.opts.Verbose == 0 {
				p.s(" (packet is too short)")
			} else {
				p.slowTooShort()
			}
			return
		}
		if v := p.u8(b, 1); v != 1 {
			p.s(fmt.Sprintf("%s version %d packet not supported", slowProtoNames[sub], v))
			return
		}
		version = 1
	case 3:
		version = 0
	}
	if n, ok := slowProtoNames[sub]; ok {
		p.s(n)
	} else {
		p.s(fmt.Sprintf("unknown (%d)", sub))
	}
	if version == 1 {
		p.s("v1")
	}
	p.s(", length ")
	p.i(length)
	if version < 0 {
		p.unknownData(b, "\n\t", length)
		return
	}
	if p.opts.Verbose == 0 {
		return
	}
	if sub == 3 {
		p.slowOAM(b[1:], length-1)
		return
	}
	p.slowLACP(b[2:], length-2, sub)
}

func (p *Printer) slowLACP(b []byte, left int, sub uint8) {
	off := 0
	for left > 0 {
		if left < 2 {
			p.slowTooShort()
			return
		}
		typ, tlen := p.u8(b, off), int(p.u8(b, off+1))
		p.s(fmt.Sprintf("\n\t%s TLV (0x%02x), length %d", tokStr(slowTLVNames, uint16(sub)<<8|uint16(typ), "Unknown"), typ, tlen))
		if typ == 0 {
			return
		}
		if tlen < 2 {
			p.s("\n\t    ERROR: illegal length - should be >= 2")
			return
		}
		if left < tlen {
			p.slowTooShort()
			return
		}
		p.need(b, off+tlen) // GET_ reads: a longjmp, after which -x dumps the whole packet
		v := b[off+2 : off+tlen]
		switch uint16(sub)<<8 | uint16(typ) {
		case 0x101, 0x102:
			if len(v) != 18 {
				p.s("\n\t    ERROR: illegal length - should be 20")
				break
			}
			p.s("\n\t  System ")
			p.mac(v[2:])
			p.s(fmt.Sprintf(", System Priority %d, Key %d, Port %d, Port Priority %d\n\t  State Flags [%s]",
				p.be16(v, 0), p.be16(v, 8), p.be16(v, 12), p.be16(v, 10), bitTokStr(lacpStateFlags, uint32(v[14]), "none")))
		case 0x103:
			if len(v) != 14 {
				p.s("\n\t    ERROR: illegal length - should be 16")
				break
			}
			p.s(fmt.Sprintf("\n\t  Max Delay %d", p.be16(v, 0)))
		case 0x201:
			if len(v) != 14 {
				p.s("\n\t    ERROR: illegal length - should be 16")
				break
			}
			p.s("\n\t  Request System ")
			p.mac(v[2:])
			p.s(fmt.Sprintf(", Request Port %d, Request Transaction ID 0x%08x", p.be16(v, 0), p.be32(v, 8)))
		default:
			if p.opts.Verbose <= 1 {
				p.unknownData(v, "\n\t  ", len(v))
			}
		}
		if p.opts.Verbose > 1 {
			p.unknownData(v, "\n\t  ", len(v))
		}
		off += tlen
		left -= tlen
	}
}

func (p *Printer) slowOAM(b []byte, left int) {
	if left < 3 {
		p.slowTooShort()
		return
	}
	p.need(b, 3)
	code := b[2]
	codeName := tokStr(oamCodes, code, "")
	if codeName == "" {
		codeName = fmt.Sprintf("Unknown (%d)", code)
	}
	p.s(fmt.Sprintf("\n\tCode %s OAM PDU, Flags [%s]", codeName, bitTokStr(oamFlags, uint32(p.be16(b, 0)), "none")))
	off := 3
	left -= 3
	switch code {
	case 0, 1:
		if code == 1 {
			if left < 2 {
				p.slowTooShort()
				return
			}
			p.s(fmt.Sprintf("\n\t  Sequence Number %d", p.be16(b, off)))
			off += 2
			left -= 2
		}
		for left > 0 {
			if left < 2 {
				p.slowTooShort()
				return
			}
			if code == 0 {
				p.need(b, off+2)
			}
			typ, tlen := p.u8(b, off), int(p.u8(b, off+1))
			if code == 0 {
				p.s(fmt.Sprintf("\n\t  %s Information Type (%d), length %d", tokStr(oamInfoTypes, typ, "Reserved"), typ, tlen))
			} else {
				p.s(fmt.Sprintf("\n\t  %s Link Event Type (%d), length %d", tokStr(oamLinkEvents, typ, "Reserved"), typ, tlen))
			}
			if typ == 0 {
				return
			}
			if tlen < 2 {
				p.s("\n\t    ERROR: illegal length - should be >= 2")
				return
			}
			if left < tlen {
				p.slowTooShort()
				return
			}
			p.need(b, off+tlen) // a longjmp, as for LACP
			// Fields are read from the packet, even past a TLV too short for them.
			t := b[off:]
			hexdump := false
			switch {
			case code == 0 && (typ == 1 || typ == 2):
				if p.u8(t, 1) != 16 {
					p.s("\n\t    ERROR: illegal length - should be 16")
					hexdump = true
					break
				}
				p.s(fmt.Sprintf("\n\t    OAM-Version %d, Revision %d", p.u8(t, 2), p.be16(t, 3)))
				state := p.u8(t, 5)
				p.s(fmt.Sprintf("\n\t    State-Parser-Action %s, State-MUX-Action %s", tokStr(oamParser, state&3, "Reserved"), tokStr(oamMux, state&4, "Reserved")))
				cfg, pdu := p.u8(t, 6), p.be16(t, 7)
				p.s(fmt.Sprintf("\n\t    OAM-Config Flags [%s], OAM-PDU-Config max-PDU size %d", bitTokStr(oamConfigFlags, uint32(cfg), "none"), pdu&0x7ff))
				p.need(t, 16)
				oui := uint32(t[9])<<16 | uint32(t[10])<<8 | uint32(t[11])
				p.s(fmt.Sprintf("\n\t    OUI %s (0x%06x), Vendor-Private 0x%08x", tokStr(ouiNames, oui, "Unknown"), oui, p.be32(t, 12)))
			case code == 1 && typ >= 1 && typ <= 4:
				if p.u8(t, 1) != 40 {
					p.s("\n\t    ERROR: illegal length - should be 40")
					hexdump = true
					break
				}
				p.need(t, 40)
				be64 := func(o int) uint64 { return uint64(p.be32(t, o))<<32 | uint64(p.be32(t, o+4)) }
				p.s(fmt.Sprintf("\n\t    Timestamp %d ms, Errored Window %d\n\t    Errored Threshold %d\n\t    Errors %d\n\t    Error Running Total %d\n\t    Event Running Total %d",
					uint32(p.be16(t, 2))*100, be64(4), be64(12), be64(20), be64(28), p.be32(t, 36)))
			default:
				hexdump = true
			}
			if p.opts.Verbose > 1 || hexdump {
				p.unknownData(t, "\n\t  ", tlen)
			}
			off += tlen
			left -= tlen
		}
	case 4:
		if left < 1 {
			p.slowTooShort()
			return
		}
		cmd := p.u8(b, off)
		p.s(fmt.Sprintf("\n\t  Command %s (%d)", tokStr(oamLoopbackCmds, cmd, "Unknown"), cmd))
	default:
		if p.opts.Verbose <= 1 {
			p.unknownData(b[min(off, len(b)):], "\n\t  ", left)
		}
	}
}
