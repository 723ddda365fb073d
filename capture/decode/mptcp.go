package decode

import "encoding/binary"

// mptcpNames are the MPTCP option subtypes (RFC 8684) by number; tcpdump
// 4.99 calls every higher subtype "unknown".
var mptcpNames = []string{"capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "unknown"}

// mptcp is tcpdump's mptcp_print for one whole, captured option: opt holds
// the bytes after kind and length, olen is the option's length field. false
// means "[bad opt]": a length the subtype does not allow.
func (p *Printer) mptcp(opt []byte, olen int, flags byte) bool {
	// tcpdump leaves its protocol name at "mptcp" for the rest of the
	// header: a later truncation says " [|mptcp]".
	p.proto = "mptcp"
	if olen < 3 {
		return false
	}
	// at reads a byte at an offset counted from the option's kind, as the
	// RFC's figures count them.
	at := func(off int) byte { return p.u8(opt, off-2) }
	at64 := func(off int) uint64 { p.need(opt, off+6); return binary.BigEndian.Uint64(opt[off-2:]) }
	at32 := func(off int) uint32 { p.need(opt, off+2); return binary.BigEndian.Uint32(opt[off-2:]) }
	sub := int(at(2) >> 4)
	sub = min(sub, len(mptcpNames)-1)
	p.c(' ')
	p.i(olen)
	p.c(' ')
	p.s(mptcpNames[sub])
	switch sub {
	case 0: // capable
		if !((olen == 12 || olen == 4) && flags&thSYN != 0) &&
			!((olen == 20 || olen == 22) && flags&(thSYN|thACK) == thACK) {
			return false
		}
		v := at(2) & 0xf
		if v > 1 {
			p.s(" Unknown Version (")
			p.u(uint64(v))
			p.c(')')
			return true
		}
		p.s(" v")
		p.u(uint64(v))
		if at(3)&0x80 != 0 {
			p.s(" csum")
		}
		if olen == 12 || olen >= 20 {
			p.s(" {0x")
			p.hex(at64(4))
			if olen >= 20 {
				p.s(",0x")
				p.hex(at64(12))
			}
			p.c('}')
		}
	case 1: // join
		if !(olen == 12 && flags&thSYN != 0) &&
			!(olen == 16 && flags&(thSYN|thACK) == thSYN|thACK) &&
			!(olen == 24 && flags&thACK != 0) {
			return false
		}
		if olen != 24 {
			if at(2)&1 != 0 {
				p.s(" backup")
			}
			p.s(" id ")
			p.u(uint64(at(3)))
		}
		switch olen {
		case 12:
			p.s(" token 0x")
			p.hex(uint64(at32(4)))
			p.s(" nonce 0x")
			p.hex(uint64(at32(8)))
		case 16:
			p.s(" hmac 0x")
			p.hex(at64(4))
			p.s(" nonce 0x")
			p.hex(uint64(at32(12)))
		case 24:
			p.s(" hmac 0x")
			for off := 4; off < 24; off++ {
				p.hexw(uint64(at(off)), 2)
			}
		}
	case 2:
		return p.mptcpDSS(opt, olen, flags)
	case 3: // add-addr
		switch olen {
		case 8, 10, 16, 18, 20, 22, 28, 30:
		default:
			return false
		}
		switch at(2) & 0xf {
		case 6:
			p.s(" v0-ip6")
		case 4:
			p.s(" v0-ip4")
		case 1:
			p.s(" v1-echo")
		case 0:
			p.s(" v1")
		default:
			p.s(" [bad version/echo]")
		}
		p.s(" id ")
		p.u(uint64(at(3)))
		var port, mac int // offsets, 0 when absent
		if olen < 20 {
			p.c(' ')
			p.ip4(opt[2:])
			switch olen {
			case 10:
				port = 8
			case 16:
				mac = 8
			case 18:
				port, mac = 8, 10
			}
		} else {
			p.c(' ')
			p.need(opt, 18)
			p.addr6(opt[2:])
			switch olen {
			case 22:
				port = 20
			case 28:
				mac = 20
			case 30:
				port, mac = 20, 22
			}
		}
		if port != 0 {
			p.c(':')
			p.u(uint64(at(port))<<8 | uint64(at(port+1)))
		}
		if mac != 0 {
			p.s(" hmac 0x")
			p.hex(at64(mac))
		}
	case 4: // rem-addr
		if olen < 4 {
			return false
		}
		p.s(" id")
		for off := 3; off < olen; off++ {
			p.c(' ')
			p.u(uint64(at(off)))
		}
	case 5: // prio
		if olen != 3 && olen != 4 {
			return false
		}
		if at(2)&1 != 0 {
			p.s(" backup")
		} else {
			p.s(" non-backup")
		}
		if olen == 4 {
			p.s(" id ")
			p.u(uint64(at(3)))
		}
	case 6: // fail
		if olen != 12 {
			return false
		}
		p.s(" seq ")
		p.u(at64(4))
	case 7: // fast-close
		if olen != 12 {
			return false
		}
		p.s(" key 0x")
		p.hex(at64(4))
	}
	return true
}

// mptcpDSS prints a Data Sequence Signal: which fields are present, and
// whether the DSN and data ACK are 4 or 8 bytes, is in its flags.
func (p *Printer) mptcpDSS(opt []byte, olen int, flags byte) bool {
	if olen < 4 || flags&thSYN != 0 {
		return false
	}
	f := p.u8(opt, 1)
	if f&0x10 != 0 {
		p.s(" fin")
	}
	rest := olen - 4
	b := opt[2:]
	num := func(wide bool) bool {
		n := 4
		if wide {
			n = 8
		}
		if rest < n {
			return false
		}
		p.need(b, n)
		if wide {
			p.u(binary.BigEndian.Uint64(b))
		} else {
			p.u(uint64(binary.BigEndian.Uint32(b)))
		}
		b, rest = b[n:], rest-n
		return true
	}
	if f&0x01 != 0 {
		p.s(" ack ")
		if !num(f&0x02 != 0) {
			return false
		}
	}
	if f&0x04 != 0 {
		p.s(" seq ")
		if !num(f&0x08 != 0) {
			return false
		}
		if rest < 4 {
			return false
		}
		p.s(" subseq ")
		num(false)
		if rest < 2 {
			return false
		}
		p.s(" len ")
		p.u(uint64(p.be16(b, 0)))
		b, rest = b[2:], rest-2
		if rest >= 2 {
			p.s(" csum 0x")
			p.hex(uint64(p.be16(b, 0)))
			rest -= 2
		}
	}
	return rest == 0
}
