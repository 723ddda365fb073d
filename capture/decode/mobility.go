package decode

import "encoding/binary"

var mobilityTypes = []string{"BRR", "HoTI", "CoTI", "HoT", "CoT", "BU", "BA", "BE"}

// mobilityMinLen is each message type's smallest header length.
var mobilityMinLen = []int{8, 16, 16, 24, 24, 12, 12, 24}

// mobility prints an RFC 6275 Mobility Header (IPv6 next header 135, or
// 62 for the old drafts) as tcpdump's mobility_print, which ends the
// packet: what may follow it is not printed.
func (p *Printer) mobility(b []byte) {
	p.proto = "mobility"
	if len(b) < 2 {
		// tcpdump's test of the length byte ends the line quietly; the
		// type byte is read as a GET, whose truncation dumps it all.
		p.s(" [|mobility]")
		return
	}
	mhlen := (int(b[1]) + 1) << 3
	p.need(b, 3)
	typ := int(b[2])
	if typ < len(mobilityMinLen) && mhlen < mobilityMinLen[typ] {
		p.s("(header length ")
		p.i(mhlen)
		p.s(" is too small for type ")
		p.i(typ)
		p.s(") [|mobility]")
		return
	}
	p.s("mobility: ")
	if typ < len(mobilityTypes) {
		p.s(mobilityTypes[typ])
	} else {
		p.s("type-#")
		p.i(typ)
	}
	v := p.opts.Verbose > 0
	// Fields are read as tcpdump's GET macros do: one not captured ends
	// the line through the truncation panic.
	// tcpdump tests some fields first (ND_TCHECK: the line ends quietly)
	// and reads others with GET (its truncation dumps the whole packet).
	ok := func(n int) bool {
		if len(b) < n {
			p.s(" [|mobility]")
			return false
		}
		return true
	}
	cookie := func(what string, at int) bool {
		p.need(b, at+8) // GET_BE_U_4: a longjmp
		p.c(' ')
		p.s(what)
		p.s("=")
		p.hexw(uint64(binary.BigEndian.Uint32(b[at:])), 8)
		p.c(':')
		p.hexw(uint64(binary.BigEndian.Uint32(b[at+4:])), 8)
		return true
	}
	hlen := 8
	switch typ {
	case 0:
	case 1, 2:
		side := "Home"
		if typ == 2 {
			side = "Care-of"
		}
		if v && !cookie(side+" Init Cookie", 8) {
			return
		}
		hlen = 16
	case 3, 4:
		p.need(b, 8)
		p.s(" nonce id=0x")
		p.hex(uint64(binary.BigEndian.Uint16(b[6:])))
		side := "Home"
		if typ == 4 {
			side = "Care-of"
		}
		if v && !cookie(side+" Init Cookie", 8) {
			return
		}
		if v && !cookie(side+" Keygen Token", 16) {
			return
		}
		hlen = 24
	case 5:
		p.need(b, 8)
		p.s(" seq#=")
		p.u(uint64(binary.BigEndian.Uint16(b[6:])))
		if !ok(10) {
			return
		}
		if f := b[8]; f&0xf0 != 0 {
			p.c(' ')
			for _, x := range []struct {
				bit  byte
				name byte
			}{{0x80, 'A'}, {0x40, 'H'}, {0x20, 'L'}, {0x10, 'K'}} {
				if f&x.bit != 0 {
					p.c(x.name)
				}
			}
		}
		p.need(b, 12)
		p.s(" lifetime=")
		p.u(uint64(binary.BigEndian.Uint16(b[10:])) << 2)
		hlen = 12
	case 6:
		p.need(b, 7)
		p.s(" status=")
		p.u(uint64(b[6]))
		p.need(b, 8)
		if b[7]&0x80 != 0 {
			p.s(" K")
		}
		p.need(b, 10)
		p.s(" seq#=")
		p.u(uint64(binary.BigEndian.Uint16(b[8:])))
		p.need(b, 12)
		p.s(" lifetime=")
		p.u(uint64(binary.BigEndian.Uint16(b[10:])) << 2)
		hlen = 12
	case 7:
		p.need(b, 7)
		p.s(" status=")
		p.u(uint64(b[6]))
		p.need(b, 24)
		p.s(" homeaddr ")
		p.addr6(b[8:])
		hlen = 24
	default:
		p.s(" len=")
		p.u(uint64(b[1]))
		return
	}
	if v && !p.mobilityOptions(b, hlen, mhlen) {
		p.s(" [|mobility]")
	}
}

// mobilityOptions is mobility_opt_print: the options from off to end.
func (p *Printer) mobilityOptions(b []byte, off, end int) bool {
	n := end - off
	for i := 0; i < n; {
		t := p.u8(b, off+i) // GET_U_1: a longjmp when not captured
		olen := 1
		if t != 0 {
			if i+1 >= n {
				return false
			}
			olen = int(p.u8(b, off+i+1)) + 2
		}
		if i+olen > n || len(b) < off+i+olen+1 {
			return false
		}
		o := b[off+i:]
		// tcpdump reads a field (GET) before printing its label, so a
		// field cut short ends the line without the label.
		switch t {
		case 0:
			p.s("(pad1)")
		case 1:
			p.s("(padn)")
		case 2:
			if n-i < 4 {
				p.s("(refresh: trunc)")
				return false
			}
			p.need(o, 4)
			p.s("(refresh: ")
			p.u(uint64(binary.BigEndian.Uint16(o[2:])) << 2)
			p.c(')')
		case 3:
			if n-i < 18 {
				p.s("(altcoa: trunc)")
				return false
			}
			p.need(o, 18)
			p.s("(alt-CoA: ")
			p.addr6(o[2:])
			p.c(')')
		case 4:
			if n-i < 6 {
				p.s("(ni: trunc)")
				return false
			}
			p.need(o, 6)
			p.s("(ni: ho=0x")
			p.hexw(uint64(binary.BigEndian.Uint16(o[2:])), 4)
			p.s(" co=0x")
			p.hexw(uint64(binary.BigEndian.Uint16(o[4:])), 4)
			p.c(')')
		case 5:
			if n-i < 12 {
				p.s("(auth: trunc)")
				return false
			}
			p.s("(auth)")
		default:
			p.s("(type-0x")
			p.hexw(uint64(t), 2)
			p.s(": len=")
			p.u(uint64(o[1]))
			p.c(')')
		}
		i += olen
	}
	return true
}
