package decode

import (
	"encoding/binary"
)

// vxlan prints RFC 7348 VXLAN (UDP 4789) and the inner Ethernet frame on a
// second line, as tcpdump does.
func (p *Printer) vxlan(b []byte, length int) {
	p.proto = "vxlan"
	p.s("VXLAN")
	if length < 8 {
		p.s(" (invalid)")
		return
	}
	flags := p.u8(b, 0)
	p.s(", flags [")
	if flags&0x08 != 0 {
		p.c('I')
	} else {
		p.s("invalid")
	}
	p.s("] (0x")
	p.hexw(uint64(flags), 2)
	p.s("), ")
	vni := uint32(p.u8(b, 4))<<16 | uint32(p.u8(b, 5))<<8 | uint32(p.u8(b, 6))
	p.s("vni ")
	p.u(uint64(vni))
	p.c('\n')
	p.need(b, 8)
	p.innerEther(b[8:], length-8)
}

// otv prints Overlay Transport Virtualization, which tcpdump assumes on UDP
// 8472 (Linux's default VXLAN port before IANA's 4789).
func (p *Printer) otv(b []byte, length int) {
	p.proto = "otv"
	p.s("OTV, ")
	if length < 8 {
		p.s("[length ")
		p.i(length)
		p.s(" < 8] (invalid)")
		p.need(b, length)
		return
	}
	flags := p.u8(b, 0)
	p.s("flags [")
	if flags&0x08 != 0 {
		p.c('I')
	} else {
		p.c('.')
	}
	p.s("] (0x")
	p.hexw(uint64(flags), 2)
	p.s("), ")
	overlay := uint64(p.u8(b, 1))<<16 | uint64(p.u8(b, 2))<<8 | uint64(p.u8(b, 3))
	p.s("overlay ")
	p.u(overlay)
	p.s(", ")
	instance := uint64(p.u8(b, 4))<<16 | uint64(p.u8(b, 5))<<8 | uint64(p.u8(b, 6))
	p.s("instance ")
	p.u(instance)
	p.c('\n')
	p.need(b, 8)
	p.innerEther(b[8:], length-8)
}

func (p *Printer) geneve(b []byte, length int) {
	p.proto = "geneve"
	p.s("Geneve")
	if length < 8 {
		p.s(" [length ")
		p.i(length)
		p.s(" < 8] (invalid)")
		return
	}
	p.tcheck(b, 8)
	verOpt := b[0]
	if v := verOpt >> 6; v != 0 {
		p.s(" ERROR: unknown-version ")
		p.u(uint64(v))
		return
	}
	flags := b[1]
	prot := binary.BigEndian.Uint16(b[2:])
	vni := binary.BigEndian.Uint32(b[4:]) >> 8
	rsvd := b[7]
	length -= 8
	p.s(", Flags [")
	if flags == 0 {
		p.s("none")
	}
	for i, n := range []string{"O", "C", "R1", "R2", "R3", "R4", "R5", "R6"} {
		if flags&(0x80>>i) != 0 {
			p.s(n)
		}
	}
	p.s("], vni 0x")
	p.hex(uint64(vni))
	if rsvd != 0 {
		p.s(", rsvd 0x")
		p.hex(uint64(rsvd))
	}
	if p.opts.LinkHeader {
		p.s(", proto ")
		if n, ok := etherTypeNames[prot]; ok {
			p.s(n)
		} else {
			p.s("unknown")
		}
		p.s(" (0x")
		p.hexw(uint64(prot), 4)
		p.c(')')
	}
	optLen := int(verOpt&0x3f) * 4
	if length < optLen {
		p.s(" truncated-geneve - ")
		p.i(optLen - length)
		p.s(" bytes missing")
		return
	}
	p.tcheck(b, 8+optLen)
	if optLen > 0 {
		p.s(", options [")
		if p.opts.Verbose > 0 {
			p.geneveOpts(b[8 : 8+optLen])
		} else {
			p.i(optLen)
			p.s(" bytes")
		}
		p.c(']')
	}
	rest := b[8+optLen:]
	length -= optLen
	if p.opts.Verbose < 1 {
		p.s(": ")
	} else {
		p.s("\n\t")
	}
	if !p.etherType(prot, rest, length) {
		if prot == 0x6558 {
			p.innerEther(rest, length)
		} else {
			p.s("geneve-proto-0x")
			p.hex(uint64(prot))
		}
	}
}

func geneveClass(c uint16) string {
	switch c {
	case 0x0100:
		return "Linux"
	case 0x0101:
		return "Open vSwitch"
	case 0x0102:
		return "Open Virtual Networking (OVN)"
	case 0x0103:
		return "In-band Network Telemetry (INT)"
	case 0x0104:
		return "VMware"
	}
	if c <= 0xff {
		return "Standard"
	}
	if c >= 0xfff0 {
		return "Experimental"
	}
	return "Unknown"
}

func (p *Printer) geneveOpts(b []byte) {
	sep := ""
	for n := len(b); n > 0; {
		p.s(sep)
		sep = ", "
		class := p.be16(b, 0)
		typ := p.u8(b, 2)
		olen := 4 + int(p.u8(b, 3)&0x1f)*4
		p.s("class ")
		p.s(geneveClass(class))
		p.s(" (0x")
		p.hex(uint64(class))
		p.s(") type 0x")
		p.hex(uint64(typ))
		if typ&0x80 != 0 {
			p.s("(C)")
		}
		p.s(" len ")
		p.i(olen)
		if olen > n {
			p.s(" [bad length]")
			return
		}
		if p.opts.Verbose > 1 && olen > 4 {
			p.s(" data")
			for i := 4; i < olen; i += 4 {
				p.c(' ')
				p.hexw(uint64(p.be32(b, i)), 8)
			}
		}
		b = b[olen:]
		n -= olen
	}
}

// http is tcpdump's http_print for TCP ports 80 and 8080.
func (p *Printer) http(b []byte, length int) { p.txtproto(b, length, "http", "HTTP", httpCmds, true) }

// txtproto is tcpdump's txtproto_print for the text protocols (HTTP, RTSP,
// FTP, SMTP, whois): ": LABEL" always, then the first line, or every line
// with -v. With cmds, only a payload that starts with one of them or
// carries a 3-digit response code (as the second token with secondToken)
// is a request or response; without, every payload is.
func (p *Printer) txtproto(b []byte, length int, name, label string, cmds []string, secondToken bool) {
	p.proto = name
	p.s(": ")
	print := cmds == nil
	if cmds != nil {
		tok, idx := p.fetchToken(b, 0, length)
		if idx != 0 {
			for _, c := range cmds {
				if equalFoldASCII(tok, c) {
					print = true
					break
				}
			}
			if secondToken {
				tok, idx = p.fetchToken(b, idx, length)
			}
			if idx != 0 && len(tok) == 3 && isDigit(tok[0]) && isDigit(tok[1]) && isDigit(tok[2]) {
				print = true
			}
		}
	}
	p.s(label)
	if !print {
		return
	}
	if p.opts.Verbose > 0 {
		p.s(", length: ")
		p.i(length)
		for idx := 0; idx < length; {
			eol := p.txtLine("\n\t", b, idx, length)
			if eol == 0 {
				break
			}
			idx = eol
		}
		return
	}
	p.txtLine(": ", b, 0, length)
}

var rtspCmds = []string{"DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD", "REDIRECT", "SETUP", "SET_PARAMETER", "TEARDOWN"}

var httpCmds = []string{"GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT", "VERSION-CONTROL", "BASELINE-CONTROL"}

func equalFoldASCII(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 32
		}
		if 'a' <= y && y <= 'z' {
			y -= 32
		}
		if x != y {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isPrint(c byte) bool  { return c >= 0x20 && c < 0x7f }
func isSpaceC(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// fetchToken is tcpdump's fetch_token: the token at idx and the index of the
// next one, or 0.
func (p *Printer) fetchToken(b []byte, idx, length int) ([]byte, int) {
	start := idx
	for ; idx < length; idx++ {
		if idx >= len(b) {
			return nil, 0
		}
		c := b[idx]
		if c >= 0x80 {
			return nil, 0
		}
		if isSpaceC(c) {
			break
		}
		if !isPrint(c) {
			return nil, 0
		}
		if idx-start+2 > 128 {
			return nil, 0
		}
	}
	tok := b[start:idx]
	if len(tok) == 0 {
		return nil, 0
	}
	for ; idx < length; idx++ {
		if idx >= len(b) {
			break
		}
		c := b[idx]
		if c == '\r' || c == '\n' || !isPrint(c) || (c != ' ' && c != '\t') {
			break
		}
	}
	return tok, idx
}

// txtLine is print_txt_line: prefix and one text line, returning the index
// after its end, or 0 when the data is not a complete text line.
func (p *Printer) txtLine(prefix string, b []byte, idx, length int) int {
	start := idx
	for idx < length {
		c := p.u8(b, idx)
		switch {
		case c == '\n':
			p.s(prefix)
			p.out = append(p.out, b[start:idx]...)
			return idx + 1
		case c == '\r':
			if idx+1 >= length {
				return 0
			}
			if p.u8(b, idx+1) == '\n' {
				p.s(prefix)
				p.out = append(p.out, b[start:idx]...)
				return idx + 2
			}
			return 0
		case !isPrint(c) && c != '\t':
			return 0
		}
		idx++
	}
	p.s(prefix)
	p.out = append(p.out, b[start:idx]...)
	p.s(" [|")
	p.s(p.proto)
	p.c(']')
	return 0
}

// innerEther prints a tunnelled frame; the outer link header stays the one
// -x skips.
func (p *Printer) innerEther(b []byte, length int) {
	h := p.hdrlen
	defer func() { p.hdrlen = h }()
	p.ether(b, length)
}
