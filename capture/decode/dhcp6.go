package decode

import "encoding/binary"

// DHCPv6 (RFC 8415, UDP ports 546 and 547) as tcpdump 4.99's dhcp6_print
// prints it: the message type, and with -v the transaction ID or relay
// addresses and the options, nested ones in their parent's parentheses.

var dhcp6MsgTypes = map[uint8]string{
	1: "solicit", 2: "advertise", 3: "request", 4: "confirm", 5: "renew", 6: "rebind",
	7: "reply", 8: "release", 9: "decline", 10: "reconfigure", 11: "inf-req",
	12: "relay-fwd", 13: "relay-reply", 14: "leasequery", 15: "leasequery-reply",
}

// dhcp6Opts are the option names of tcpdump 4.99.3 (later releases know
// more, such as Bootfile-URL, and decode user-class and DUID-UUID).
var dhcp6Opts = map[uint16]string{
	1: "client-ID", 2: "server-ID", 3: "IA_NA", 4: "IA_TA", 5: "IA_ADDR", 6: "option-request",
	7: "preference", 8: "elapsed-time", 9: "relay-message", 11: "authentication",
	12: "server-unicast", 13: "status-code", 14: "rapid-commit", 15: "user-class",
	16: "vendor-class", 17: "vendor-specific-info", 18: "interface-ID", 19: "reconfigure-message",
	20: "reconfigure-accept", 21: "SIP-servers-domain", 22: "SIP-servers-address",
	23: "DNS-server", 24: "DNS-search-list", 25: "IA_PD", 26: "IA_PD-prefix",
	27: "NIS-server", 28: "NIS+-server", 29: "NIS-domain-name", 30: "NIS+-domain-name",
	31: "SNTP-servers", 32: "lifetime", 33: "BCMCS-domain-name", 34: "BCMCS-server",
	36: "Geoconf-Civic", 37: "Remote-ID", 38: "Subscriber-ID", 39: "Client-FQDN",
	40: "PANA-agent", 41: "POSIX-timezone", 42: "POSIX-tz-database", 43: "Echo-request-option",
	44: "Lease-query", 45: "LQ-client-data", 46: "Clt-time", 47: "LQ-relay-data",
	48: "LQ-client-link", 56: "NTP-server", 64: "AFTR-Name", 112: "MUD-URL",
}

var dhcp6StatusCodes = []string{"Success", "UnspecFail", "NoAddrsAvail", "NoBinding",
	"NotOnLink", "UseMulticast", "NoPrefixAvail", "UnknownQueryType", "MalformedQuery",
	"NotConfigured", "NotAllowed"}

func (p *Printer) dhcp6OptName(t uint16) {
	if n, ok := dhcp6Opts[t]; ok {
		p.s(n)
		return
	}
	p.s("opt_")
	p.u(uint64(t))
}

// dhcp6 prints a DHCPv6 message. b holds the captured bytes (tcpdump's
// snapend); options are read only up to the message's length.
func (p *Printer) dhcp6(b []byte, length int) {
	p.proto = "dhcp6"
	p.s("dhcp6")
	ep := min(len(b), length)
	if len(b) < 4 {
		p.s(" [|dhcp6]")
		return
	}
	msg := b[0]
	name, ok := dhcp6MsgTypes[msg]
	if !ok {
		name = "msgtype-" + itoa10(int(msg))
	}
	p.c(' ')
	p.s(name)
	if p.opts.Verbose == 0 {
		return
	}
	p.s(" (")
	if msg != 12 && msg != 13 {
		p.s("xid=")
		p.hex(uint64(binary.BigEndian.Uint32(b) & 0xffffff))
		p.dhcp6Opts(b, 4, ep)
	} else {
		p.need(b, 18)
		p.s("linkaddr=")
		p.addr6(b[2:])
		p.need(b, 34)
		p.s(" peeraddr=")
		p.addr6(b[18:])
		p.dhcp6Opts(b, 34, ep)
	}
	p.c(')')
}

func itoa10(n int) string {
	return string(appendPad(nil, uint64(n), 1))
}

// dhcp6Opts prints the options in b[cp:ep]. An option running past ep
// prints " [|dhcp6]" and ends this list, as tcpdump's "goto trunc" does;
// the enclosing option or message still closes its parenthesis.
func (p *Printer) dhcp6Opts(b []byte, cp, ep int) {
	for cp < ep {
		if ep < cp+4 {
			p.s(" [|dhcp6]")
			return
		}
		optlen := int(binary.BigEndian.Uint16(b[cp+2:]))
		if ep < cp+4+optlen {
			p.s(" [|dhcp6]")
			return
		}
		typ := binary.BigEndian.Uint16(b[cp:])
		p.s(" (")
		p.dhcp6OptName(typ)
		tp := cp + 4
		v := b[tp : tp+optlen]
		bad := func() { p.s(" ?)") }
		switch typ {
		case 1, 2:
			if optlen < 2 {
				bad()
				break
			}
			switch dt := binary.BigEndian.Uint16(v); dt {
			case 1:
				if optlen < 8 {
					bad()
					break
				}
				p.s(" hwaddr/time type ")
				p.u(uint64(binary.BigEndian.Uint16(v[2:])))
				p.s(" time ")
				p.u(uint64(binary.BigEndian.Uint32(v[4:])))
				p.c(' ')
				p.hexBytes(v[8:])
				p.c(')')
			case 2:
				// tcpdump 4.99 prints 8 bytes after the type as "vid".
				if optlen < 10 {
					bad()
					break
				}
				p.s(" vid ")
				p.hexBytes(v[2:10])
				p.c(')')
			case 3:
				if optlen < 4 {
					bad()
					break
				}
				p.s(" hwaddr type ")
				p.u(uint64(binary.BigEndian.Uint16(v[2:])))
				p.c(' ')
				p.hexBytes(v[4:])
				p.c(')')
			default:
				p.s(" type ")
				p.u(uint64(dt))
				p.c(')')
			}
		case 5:
			if optlen < 24 {
				bad()
				break
			}
			p.c(' ')
			p.addr6(v)
			p.s(" pltime:")
			p.u(uint64(binary.BigEndian.Uint32(v[16:])))
			p.s(" vltime:")
			p.u(uint64(binary.BigEndian.Uint32(v[20:])))
			if optlen > 24 {
				p.dhcp6Opts(b, tp+24, tp+optlen)
			}
			p.c(')')
		case 6, 43:
			if optlen%2 != 0 {
				bad()
				break
			}
			for i := 0; i < optlen; i += 2 {
				p.c(' ')
				p.dhcp6OptName(binary.BigEndian.Uint16(v[i:]))
			}
			p.c(')')
		case 7:
			if optlen != 1 {
				bad()
				break
			}
			p.c(' ')
			p.u(uint64(v[0]))
			p.c(')')
		case 8:
			if optlen != 2 {
				bad()
				break
			}
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint16(v)))
			p.c(')')
		case 9:
			p.s(" (")
			inner := b[tp:min(tp+optlen, len(b))]
			p.dhcp6(inner, optlen)
			p.c(')')
		case 11:
			p.dhcp6Auth(v)
		case 14, 20:
			p.c(')')
		case 18, 38:
			p.c(' ')
			p.hexBytes(v[:min(optlen, 10)])
			p.s("...)")
		case 19:
			if optlen != 1 {
				bad()
				break
			}
			switch v[0] {
			case 5:
				p.s(" for renew)")
			case 11:
				p.s(" for inf-req)")
			default:
				p.s(" for ???(")
				p.hexw(uint64(v[0]), 2)
				p.s("))")
			}
		case 22, 23, 31, 27, 28, 34, 40, 48:
			if optlen%16 != 0 {
				bad()
				break
			}
			for i := 0; i < optlen; i += 16 {
				p.c(' ')
				p.addr6(v[i:])
			}
			p.c(')')
		case 21, 24:
			// Names are read up to the capture's end, not the option's,
			// and pointers count from the option's end, as tcpdump's
			// fqdn_print does.
			t := tp
			for t < tp+optlen {
				p.c(' ')
				if t = p.fqdnAt(b, t, tp+optlen); t < 0 {
					p.s(" [|dhcp6]")
					return
				}
			}
			p.c(')')
		case 13:
			if optlen < 2 {
				bad()
				break
			}
			p.c(' ')
			switch code := binary.BigEndian.Uint16(v); {
			case code > 255:
				p.s("INVALID code")
			case int(code) < len(dhcp6StatusCodes):
				p.s(dhcp6StatusCodes[code])
			default:
				p.s("code")
				p.u(uint64(code))
			}
			p.c(')')
		case 3, 25:
			if optlen < 12 {
				bad()
				break
			}
			p.s(" IAID:")
			p.u(uint64(binary.BigEndian.Uint32(v)))
			p.s(" T1:")
			p.u(uint64(binary.BigEndian.Uint32(v[4:])))
			p.s(" T2:")
			p.u(uint64(binary.BigEndian.Uint32(v[8:])))
			if optlen > 12 {
				p.dhcp6Opts(b, tp+12, tp+optlen)
			}
			p.c(')')
		case 4:
			if optlen < 4 {
				bad()
				break
			}
			p.s(" IAID:")
			p.u(uint64(binary.BigEndian.Uint32(v)))
			if optlen > 4 {
				p.dhcp6Opts(b, tp+4, tp+optlen)
			}
			p.c(')')
		case 26:
			if optlen < 25 {
				bad()
				break
			}
			p.c(' ')
			p.addr6(v[9:])
			p.c('/')
			p.u(uint64(v[8]))
			p.s(" pltime:")
			p.u(uint64(binary.BigEndian.Uint32(v)))
			p.s(" vltime:")
			p.u(uint64(binary.BigEndian.Uint32(v[4:])))
			if optlen > 25 {
				p.dhcp6Opts(b, tp+25, tp+optlen)
			}
			p.c(')')
		case 32, 46:
			if optlen != 4 {
				bad()
				break
			}
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint32(v)))
			p.c(')')
		case 37:
			if optlen < 4 {
				bad()
				break
			}
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint32(v)))
			p.c(' ')
			p.hexBytes(v[4:min(optlen, 14)])
			p.s("...)")
		case 44:
			if optlen < 17 {
				bad()
				break
			}
			switch v[0] {
			case 1:
				p.s(" by-address")
			case 2:
				p.s(" by-clientID")
			default:
				p.s(" type_")
				p.u(uint64(v[0]))
			}
			p.c(' ')
			p.addr6(v[1:])
			if optlen > 17 {
				p.dhcp6Opts(b, tp+17, tp+optlen)
			}
			p.c(')')
		case 45:
			if optlen > 0 {
				p.dhcp6Opts(b, tp, tp+optlen)
			}
			p.c(')')
		case 47:
			if optlen < 16 {
				bad()
				break
			}
			p.c(' ')
			p.addr6(v)
			p.c(' ')
			p.hexBytes(v[16:min(optlen, 26)])
			p.s("...)")
		case 56:
			if optlen < 4 {
				bad()
				break
			}
			end := tp + optlen
			for t := tp; t < end-4; {
				code := p.be16(b, t)
				sl := int(p.be16(b, t+2))
				t += 4
				if t+sl > end {
					p.s(" [|dhcp6]")
					return
				}
				p.s(" subopt:")
				p.u(uint64(code))
				switch code {
				case 1, 2:
					if sl != 16 {
						p.s(" ?")
						break
					}
					p.c(' ')
					p.addr6(b[t:])
				case 3:
					p.c(' ')
					if p.fqdnAt(b, t, t+sl) < 0 {
						p.s(" [|dhcp6]")
						return
					}
				default:
					p.s(" ?")
				}
				t += sl
			}
			p.c(')')
		case 64:
			if optlen < 3 {
				bad()
				break
			}
			p.c(' ')
			t, remain := tp, optlen
			for remain > 0 && p.u8(b, t) != 0 {
				l := int(b[t])
				t++
				if l >= remain-1 {
					p.s(" ?")
					break
				}
				p.printjnp(b[t:], l)
				t += l
				remain -= l + 1
				if p.u8(b, t) != 0 {
					p.c('.')
				}
			}
			p.c(')')
		case 41, 42, 112:
			if optlen < 5 {
				bad()
				break
			}
			p.c(' ')
			p.printjnp(v, optlen)
			p.c(')')
		default:
			p.c(')')
		}
		cp += 4 + optlen
	}
}

// printjnp is tcpdump's nd_printjnp: up to n bytes of text, ending at a
// NUL.
func (p *Printer) printjnp(b []byte, n int) {
	for i := 0; i < n; i++ {
		c := p.u8(b, i)
		if c == 0 {
			return
		}
		p.safeChar(c)
	}
}

func (p *Printer) hexBytes(b []byte) {
	for _, c := range b {
		p.hexw(uint64(c), 2)
	}
}

func (p *Printer) dhcp6Auth(v []byte) {
	optlen := len(v)
	if optlen < 11 {
		p.s(" ?)")
		return
	}
	proto := v[0]
	switch proto {
	case 2:
		p.s(" proto: delayed")
	case 3:
		p.s(" proto: reconfigure")
	default:
		p.s(" proto: ")
		p.u(uint64(proto))
	}
	if v[1] == 1 {
		p.s(", alg: HMAC-MD5")
	} else {
		p.s(", alg: ")
		p.u(uint64(v[1]))
	}
	if v[2] == 0 {
		p.s(", RDM: mono")
	} else {
		p.s(", RDM: ")
		p.u(uint64(v[2]))
	}
	p.s(", RD:")
	for i := 0; i < 4; i++ {
		p.c(' ')
		p.hexw(uint64(binary.BigEndian.Uint16(v[3+2*i:])), 4)
	}
	info := v[11:]
	switch proto {
	case 2:
		if len(info) == 0 {
			break
		}
		if len(info) < 20 {
			p.s(" ??")
			break
		}
		realm := len(info) - 20
		if realm > 0 {
			p.s(", realm: ")
		}
		p.hexBytes(info[:realm])
		p.s(", key ID: ")
		p.hexw(uint64(binary.BigEndian.Uint32(info[realm:])), 8)
		p.s(", HMAC-MD5:")
		for i := 0; i < 4; i++ {
			p.c(' ')
			p.hexw(uint64(binary.BigEndian.Uint32(info[realm+4+4*i:])), 8)
		}
	case 3:
		if len(info) != 17 {
			p.s(" ??")
			break
		}
		switch info[0] {
		case 1:
			p.s(" reconfig-key")
		case 2:
			p.s(" type: HMAC-MD5")
		default:
			p.s(" type: ??")
		}
		p.s(" value:")
		for i := 0; i < 4; i++ {
			p.c(' ')
			p.hexw(uint64(binary.BigEndian.Uint32(info[1+4*i:])), 8)
		}
	default:
		p.s(" ??")
	}
	p.c(')')
}
