package decode

// macsecFlags are the SecTAG TCI bits in the order tcpdump prints them,
// without separators.
var macsecFlags = []bitTok{{0x08, "E"}, {0x04, "C"}, {0x40, "S"}, {0x10, "B"}, {0x20, "I"}}

// macsec handles an 802.1AE SecTAG (ethertype 0x88e5) inside the Ethernet
// header as tcpdump's macsec_print does. An encrypted or changed payload
// is dumped in hex after the SecTAG fields, and ok is false; otherwise the
// ICV is cut off, the payload limited to the short length, and ok is true
// with the next ethertype. frame is the whole frame, b what follows the
// 0x88e5. hdrlen is the link header length for -x.
func (p *Printer) macsec(frame, b []byte, length, origLength, hdrlen int) (rest []byte, rlen, rhdrlen int, t uint16, ok bool) {
	if p.opts.LinkHeader {
		p.etherTypeShort(0x88e5)
		p.s(", length ")
		p.i(origLength)
		p.s(": ")
	}
	p.proto = "macsec"
	caplen := len(b)
	bad := func(what string) ([]byte, int, int, uint16, bool) {
		p.s(what)
		return nil, 0, hdrlen + caplen, 0, false
	}
	if caplen < 6 || length < 6 {
		return bad(" [|macsec]")
	}
	tci := b[0]
	tagLen := 6
	if tci&0x20 != 0 {
		tagLen = 14
		if caplen < 14 || length < 14 {
			return bad(" [|macsec]")
		}
	}
	if b[1]&^0x3f != 0 || tci&0x80 != 0 {
		return bad(" (invalid)")
	}
	sl := int(b[1] & 0x3f)
	header := func() {
		p.s("an ")
		p.u(uint64(tci & 3))
		p.s(", pn ")
		p.u(uint64(p.be32(b, 2)))
		p.s(", flags ")
		var flags []byte
		for _, f := range macsecFlags {
			if uint32(tci)&f.bit != 0 {
				flags = append(flags, f.name...)
			}
		}
		if flags == nil {
			p.s("none")
		} else {
			p.s(string(flags))
		}
		if sl != 0 {
			p.s(", sl ")
			p.i(sl)
		}
		if tci&0x20 != 0 {
			p.s(", sci ")
			p.hexw(uint64(p.be32(b, 6))<<32|uint64(p.be32(b, 10)), 16)
		}
		p.s(", ")
	}
	if p.opts.LinkHeader {
		header()
	}
	data, dlen := b[tagLen:], length-tagLen
	if tci&0x0c != 0 {
		if !p.opts.LinkHeader {
			p.mac(frame[6:])
			p.s(" > ")
			p.mac(frame[0:])
			p.s(" 802.1AE MACsec, ")
			header()
		}
		p.defaultPrint(data)
		return nil, 0, hdrlen + tagLen, 0, false
	}
	// Not encrypted: the integrity check value ends the frame.
	const icvLen = 16
	if dlen < icvLen || len(data) < icvLen {
		return bad(" [|macsec]")
	}
	dlen -= icvLen
	data = data[:len(data)-icvLen]
	if sl != 0 {
		if sl > dlen || sl > len(data) {
			return bad(" [|macsec]")
		}
		dlen, data = sl, data[:sl]
	}
	p.proto = "ether"
	t = p.be16(data, 0)
	p.hdrlen = hdrlen + tagLen + 2
	return data[2:], dlen - 2, hdrlen + tagLen + 2, t, true
}
