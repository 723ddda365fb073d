package decode

// BOOTP and DHCPv4 (RFC 951, RFC 2131/2132) as tcpdump 4.99's bootp_print
// prints them: one summary, and with -v the fixed header and the options.

// dhcpTags are the option names tcpdump knows; the first byte says how the
// value prints: i addresses, l/L 32-bit numbers, s 16-bit numbers,
// b dotted bytes, a text, B booleans, p address pairs, $ special.
var dhcpTags = map[uint8]string{
	0: " PAD", 1: "iSubnet-Mask", 2: "LTime-Zone", 3: "iDefault-Gateway", 4: "iTime-Server",
	5: "iIEN-Name-Server", 6: "iDomain-Name-Server", 7: "iLOG", 8: "iCS", 9: "iLPR-Server",
	10: "iIM", 11: "iRL", 12: "aHostname", 13: "sBS", 255: " END",
	14: "aDP", 15: "aDomain-Name", 16: "iSS", 17: "aRP", 18: "aEP",
	19: "BIPF", 20: "BSRT", 21: "pPF", 22: "sRSZ", 23: "bTTL", 24: "lMTU-Timeout",
	25: "sMTU-Table", 26: "sMTU", 27: "BLSN", 28: "iBR", 29: "BMD", 30: "BMS",
	31: "BRouter-Discovery", 32: "iRSA", 33: "pStatic-Route", 34: "BUT", 35: "lAT",
	36: "BIE", 37: "bTT", 38: "lKI", 39: "BKG", 40: "aYD", 41: "iYS", 42: "iNTP",
	43: "bVendor-Option", 44: "iNetbios-Name-Server", 45: "iWDD", 46: "$Netbios-Node",
	47: "aNetbios-Scope", 48: "iXFS", 49: "iXDM", 64: "sN+D", 65: "iN+S", 68: "iMH",
	69: "iSMTP", 70: "iPOP3", 71: "iNNTP", 72: "iWWW", 73: "iFG", 74: "iIRC", 75: "iSTS",
	76: "iSTDA", 50: "iRequested-IP", 51: "lLease-Time", 52: "$OO", 66: "aTFTP", 67: "aBF",
	53: " DHCP-Message", 54: "iServer-ID", 55: "bParameter-Request", 56: "aMSG", 57: "sMSZ",
	58: "lRN", 59: "lRB", 60: "aVendor-Class", 61: "$Client-ID", 98: "aUAP",
	116: "BNOAUTO", 78: "bSLP-DA", 79: "bSLP-SCOPE", 117: "sNSSEARCH", 77: "$User-Class",
	118: "iSUBNET", 121: "$Classless-Static-Route", 249: "$Classless-Static-Route-Microsoft",
	150: "iTFTP-Server-Address", 80: "aSLP-NA", 81: "$FQDN", 82: "$Agent-Information",
	83: "bARMT", 88: "aTZSTR", 89: "bFQDNS", 90: "bAUTH", 91: "LLast-Transaction-Time",
	92: "iAssociated-IP", 93: "sARCH", 94: "bNDI", 97: "bGUID", 95: "aLDAP",
	100: "aPOSIX-TZ", 101: "aTZ-Name", 112: "iNI", 113: "aNITAG", 114: "aURL",
	161: "aMUD-URL",
}

func dhcpTag(t uint8) string {
	if n, ok := dhcpTags[t]; ok {
		return n
	}
	return "?Unknown"
}

var dhcpMsgTypes = map[uint8]string{
	1: "Discover", 2: "Offer", 3: "Request", 4: "Decline", 5: "ACK", 6: "NACK",
	7: "Release", 8: "Inform", 10: "LeaseQuery", 11: "LeaseUnassigned",
	12: "LeaseUnknown", 13: "LeaseActive",
}

var dhcpHWTypes = map[uint8]string{1: "ether", 6: "ieee802", 7: "arcnet", 0xf: "frelay", 0x17: "strip", 0x18: "ieee1394"}

var dhcpAgentSubopts = map[uint8]string{1: "Circuit-ID", 2: "Remote-ID", 6: "Subscriber-ID"}

// bootp prints a BOOTP/DHCP message (UDP ports 67 and 68).
func (p *Printer) bootp(b []byte, length int) {
	p.proto = "bootp"
	op := p.u8(b, 0)
	p.s("BOOTP/DHCP, ")
	switch op {
	case 1:
		p.s("Request")
	case 2:
		p.s("Reply")
	default:
		p.s("unknown (0x")
		p.hexw(uint64(op), 2)
		p.c(')')
	}
	htype, hlen := p.u8(b, 1), p.u8(b, 2)
	if htype == 1 && hlen == 6 && op == 1 {
		p.need(b, 34)
		p.s(" from ")
		p.mac(b[28:])
	}
	p.s(", length ")
	p.i(length)
	if p.opts.Verbose == 0 {
		return
	}
	p.tcheck(b, 10)
	if htype != 1 {
		p.s(", htype ")
		p.u(uint64(htype))
	}
	if htype != 1 || hlen != 6 {
		p.s(", hlen ")
		p.u(uint64(hlen))
	}
	if hops := p.u8(b, 3); hops != 0 {
		p.s(", hops ")
		p.u(uint64(hops))
	}
	if xid := p.be32(b, 4); xid != 0 {
		p.s(", xid 0x")
		p.hex(uint64(xid))
	}
	if secs := p.be16(b, 8); secs != 0 {
		p.s(", secs ")
		p.u(uint64(secs))
	}
	flags := p.be16(b, 10)
	p.s(", Flags [")
	if flags&0x8000 != 0 {
		p.s("Broadcast")
	} else {
		p.s("none")
	}
	p.c(']')
	if p.opts.Verbose > 1 {
		p.s(" (0x")
		p.hexw(uint64(flags), 4)
		p.c(')')
	}
	for _, f := range []struct {
		off  int
		name string
	}{{12, "Client-IP"}, {16, "Your-IP"}, {20, "Server-IP"}, {24, "Gateway-IP"}} {
		if p.be32(b, f.off) != 0 {
			p.s("\n\t  ")
			p.s(f.name)
			p.c(' ')
			p.ip4(b[f.off:])
		}
	}
	if htype == 1 && hlen == 6 {
		p.need(b, 34)
		p.s("\n\t  Client-Ethernet-Address ")
		p.mac(b[28:])
	}
	for _, f := range []struct {
		off, size int
		name      string
	}{{44, 64, "sname"}, {108, 128, "file"}} {
		if p.u8(b, f.off) == 0 {
			continue
		}
		p.s("\n\t  ")
		p.s(f.name)
		p.s(" \"")
		if !p.printztn(b[f.off:], f.size) {
			p.c('"')
			p.tcheck(nil, 1)
		}
		p.c('"')
	}
	p.tcheck(b, 240)
	vend := b[236:]
	switch {
	case vend[0] == 99 && vend[1] == 130 && vend[2] == 83 && vend[3] == 99:
		p.rfc1048(vend)
	case vend[0] == 'C' && vend[1] == 'M' && vend[2] == 'U' && vend[3] == 0:
		p.cmu(vend)
	default:
		if v := p.be32(vend, 0); v != 0 {
			p.s("\n\t  Vendor-#0x")
			p.hex(uint64(v))
		}
	}
}

// printztn is tcpdump's nd_printztn: the text up to a NUL within n bytes;
// false when there is no NUL inside n bytes or the captured data.
func (p *Printer) printztn(b []byte, n int) bool {
	for i := 0; ; i++ {
		if i >= n || i >= len(b) {
			return false
		}
		if b[i] == 0 {
			return true
		}
		p.safeChar(b[i])
	}
}

// printjn is tcpdump's nd_printjn: n bytes as text; running past the
// capture ends the line.
func (p *Printer) printjn(b []byte, n int) {
	for i := 0; i < n; i++ {
		p.safeChar(p.u8(b, i))
	}
}

// rfc1048 prints the options after the magic cookie.
func (p *Printer) rfc1048(b []byte) {
	p.s("\n\t  Vendor-rfc1048 Extensions\n\t    Magic Cookie 0x")
	p.hexw(uint64(p.be32(b, 0)), 8)
	off := 4
	for off < len(b) {
		tag := b[off]
		off++
		if tag == 0 && p.opts.Verbose < 3 {
			continue
		}
		if tag == 255 && p.opts.Verbose < 3 {
			return
		}
		name := dhcpTag(tag)
		c := name[0]
		name = name[1:]
		n := 0
		if tag != 0 && tag != 255 {
			n = int(p.u8(b, off))
			off++
		}
		p.s("\n\t    ")
		p.s(name)
		p.s(" (")
		p.u(uint64(tag))
		p.s("), length ")
		p.i(n)
		if n > 0 {
			p.s(": ")
		}
		if tag == 0 && p.opts.Verbose > 2 {
			count := 1
			for off < len(b) && b[off] == 0 {
				off++
				count++
			}
			if count > 1 {
				p.s(", occurs ")
				p.i(count)
			}
		}
		p.tcheck(b, off+n)
		v := b[off : off+n]
		off += n
		if tag == 53 && n == 1 {
			if m, ok := dhcpMsgTypes[v[0]]; ok {
				p.s(m)
			} else {
				p.s("Unknown (")
				p.u(uint64(v[0]))
				p.c(')')
			}
			continue
		}
		if tag == 55 {
			for i, t := range v {
				if i%4 == 0 {
					p.s("\n\t      ")
				} else {
					p.s(", ")
				}
				p.s(dhcpTag(t)[1:])
				p.s(" (")
				p.u(uint64(t))
				p.c(')')
			}
			continue
		}
		if c == '?' {
			switch {
			case n&1 != 0:
				c = 'b'
			case n&2 != 0:
				c = 's'
			default:
				c = 'l'
			}
		}
		left := p.dhcpValue(tag, c, v)
		if left > 0 {
			p.s("\n\t  trailing data length ")
			p.i(left)
		}
	}
}

// dhcpValue prints one option's value and returns how many bytes it left
// unprinted.
func (p *Printer) dhcpValue(tag, c uint8, v []byte) int {
	n := len(v)
	i := 0
	sep := func(s string) {
		if i > 0 {
			p.s(s)
		}
	}
	switch c {
	case 'a':
		p.c('"')
		p.printn(v)
		p.c('"')
		return 0
	case 'i', 'l', 'L':
		for ; n-i >= 4; i += 4 {
			sep(",")
			switch c {
			case 'i':
				p.ip4(v[i:])
			case 'L':
				p.i(int(int32(p.be32(v, i))))
			default:
				p.u(uint64(p.be32(v, i)))
			}
		}
	case 'p':
		for ; n-i >= 8; i += 8 {
			sep(",")
			p.c('(')
			p.ip4(v[i:])
			p.c(':')
			p.ip4(v[i+4:])
			p.c(')')
		}
	case 's':
		for ; n-i >= 2; i += 2 {
			sep(",")
			p.u(uint64(p.be16(v, i)))
		}
	case 'B':
		for ; i < n; i++ {
			sep(",")
			switch v[i] {
			case 0:
				p.c('N')
			case 1:
				p.c('Y')
			default:
				p.u(uint64(v[i]))
				p.c('?')
			}
		}
	case '$':
		return p.dhcpSpecial(tag, v)
	default:
		for ; i < n; i++ {
			sep(".")
			p.u(uint64(v[i]))
		}
	}
	return n - i
}

func (p *Printer) dhcpSpecial(tag uint8, v []byte) int {
	n := len(v)
	switch tag {
	case 46, 52:
		if n < 1 {
			p.s("[ERROR: length < 1 bytes]")
			return 0
		}
		names := map[uint8]string{1: "b-node", 2: "p-node", 4: "m-node", 8: "h-node"}
		if tag == 52 {
			names = map[uint8]string{1: "file", 2: "sname", 3: "file+sname"}
		}
		// tok2str with no format prints "#N" for an unknown value.
		if s, ok := names[v[0]]; ok {
			p.s(s)
		} else {
			p.s("#")
			p.u(uint64(v[0]))
		}
		return n - 1
	case 81:
		if n < 3 {
			p.s("[ERROR: length < 3 bytes]")
			return 0
		}
		if v[0]&0xf0 != 0 {
			p.s("[ERROR: MBZ nibble 0x")
			p.hex(uint64(v[0] >> 4))
			p.s(" != 0] ")
		}
		if v[0]&0x0f != 0 {
			p.c('[')
			for _, f := range []struct {
				bit  byte
				name byte
			}{{1, 'S'}, {2, 'O'}, {4, 'E'}, {8, 'N'}} {
				if v[0]&f.bit != 0 {
					p.c(f.name)
				}
			}
			p.s("] ")
		}
		if v[1] != 0 || v[2] != 0 {
			p.u(uint64(v[1]))
			p.c('/')
			p.u(uint64(v[2]))
			p.c(' ')
		}
		p.c('"')
		p.printn(v[3:])
		p.c('"')
		return 0
	case 61:
		if n < 1 {
			p.s("[ERROR: length < 1 bytes]")
			return 0
		}
		if v[0] == 0 {
			p.c('"')
			p.printn(v[1:])
			p.c('"')
			return 0
		}
		if s, ok := dhcpHWTypes[v[0]]; ok {
			p.s(s)
		} else {
			p.s("hardware-type ")
			p.u(uint64(v[0]))
			p.c(',')
		}
		p.c(' ')
		for i, c := range v[1:] {
			if i > 0 {
				p.c(':')
			}
			p.hexw(uint64(c), 2)
		}
		return 0
	case 82:
		i := 0
		for n-i >= 2 {
			sub, sl := v[i], int(v[i+1])
			i += 2
			p.s("\n\t      ")
			if s, ok := dhcpAgentSubopts[sub]; ok {
				p.s(s)
			} else {
				p.s("Unknown")
			}
			p.s(" SubOption ")
			p.u(uint64(sub))
			p.s(", length ")
			p.i(sl)
			if sl > n-i {
				p.s(": length goes past end of option")
				return 0
			}
			p.s(": ")
			switch sub {
			case 1, 2, 6:
				p.printn(v[i : i+sl])
			default:
				p.unknownData(v[i:], "\n\t\t", sl)
			}
			i += sl
		}
		return n - i
	case 121, 249:
		if n < 5 {
			p.s("[ERROR: length < 5 bytes]")
			return 0
		}
		i := 0
		for i < n {
			if i > 0 {
				p.c(',')
			}
			width := int(v[i])
			i++
			if width > 32 {
				p.s("[ERROR: Mask width (")
				p.i(width)
				p.s(") > 32]")
				return 0
			}
			sig := (width + 7) / 8
			if n-i < sig+4 {
				p.s("[ERROR: Remaining length (")
				p.i(n - i)
				p.s(") < ")
				p.i(sig + 4)
				p.s(" bytes]")
				return 0
			}
			p.c('(')
			if width == 0 {
				p.s("default")
			} else {
				for k := 0; k < sig; k++ {
					if k > 0 {
						p.c('.')
					}
					p.u(uint64(v[i+k]))
				}
				for k := sig; k < 4; k++ {
					p.s(".0")
				}
				p.c('/')
				p.i(width)
			}
			i += sig
			p.c(':')
			p.ip4(v[i:])
			p.c(')')
			i += 4
		}
		return 0
	case 77:
		if n < 2 {
			p.s("[ERROR: length < 2 bytes]")
			return 0
		}
		i, num := 0, 1
		for i < n {
			sl := int(v[i])
			i++
			p.s("\n\t      instance#")
			p.i(num)
			p.s(": ")
			if sl == 0 {
				p.s("[ERROR: suboption length must be non-zero]")
				return 0
			}
			if n-i < sl {
				p.s("[ERROR: invalid option]")
				return 0
			}
			p.c('"')
			p.printn(v[i : i+sl])
			p.s("\", length ")
			p.i(sl)
			num++
			i += sl
		}
		return 0
	}
	p.s("[unknown special tag ")
	p.u(uint64(tag))
	p.s(", size ")
	p.i(n)
	p.c(']')
	return 0
}

// cmu prints the CMU vendor area (magic "CMU\0").
func (p *Printer) cmu(b []byte) {
	p.s(" vend-cmu")
	p.tcheck(b, 8)
	flags := b[4]
	if flags&^1 != 0 {
		p.s(" F:0x")
		p.hex(uint64(flags))
	}
	sm := "SM*"
	if flags&1 != 0 {
		sm = "SM"
	}
	for _, f := range []struct {
		off  int
		name string
	}{{12, "DG"}, {8, sm}, {16, "NS1"}, {20, "NS2"}, {24, "IEN1"}, {28, "IEN2"}, {32, "TS1"}, {36, "TS2"}} {
		p.tcheck(b, f.off+4)
		if p.be32(b, f.off) != 0 {
			p.c(' ')
			p.s(f.name)
			p.c(':')
			p.ip4(b[f.off:])
		}
	}
}
