package decode

import (
	"bytes"
	"encoding/binary"
)

// tcpKey identifies a TCP conversation in both directions, as tcpdump's
// tcp_seq_hash does: addresses and ports in a canonical order.
type tcpKey struct {
	v6       bool
	src, dst [16]byte
	port     uint32
}

type tcpSeqState struct {
	seq, ack uint32
}

func (p *Printer) addrPort(info ipInfo, proto string, sport, dport uint16, own bool) {
	if own {
		p.addr(info, info.src)
		p.c('.')
		p.port(proto, sport)
		p.s(" > ")
		p.addr(info, info.dst)
		p.c('.')
		p.port(proto, dport)
		p.s(": ")
		return
	}
	p.port(proto, sport)
	p.s(" > ")
	p.port(proto, dport)
	p.s(": ")
}

func (p *Printer) addr(info ipInfo, a []byte) {
	if info.v6 {
		p.addr6(a)
	} else {
		p.ip4(a)
	}
}

func (p *Printer) addrs(info ipInfo) {
	p.addr(info, info.src)
	p.s(" > ")
	p.addr(info, info.dst)
}

const (
	thFIN = 0x01
	thSYN = 0x02
	thRST = 0x04
	thPSH = 0x08
	thACK = 0x10
	thURG = 0x20
	thECE = 0x40
	thCWR = 0x80
)

func (p *Printer) tcp(b []byte, length int, info ipInfo) {
	p.proto = "tcp"
	if len(b) < 4 {
		p.addrs(info)
		p.c(':')
		p.tcheck(nil, 1)
	}
	sport := binary.BigEndian.Uint16(b)
	dport := binary.BigEndian.Uint16(b[2:])
	p.addrPort(info, "tcp", sport, dport, info.nh == protoTCP)
	p.tcheck(b, 20)
	hlen := int(b[12]>>4) * 4
	if hlen < 20 {
		p.s(" tcp ")
		p.i(length - hlen)
		p.s(" [bad hdr length ")
		p.i(hlen)
		p.s(" - too short, < 20]")
		return
	}
	if p.opts.Quiet {
		p.s("tcp ")
		p.u(uint64(uint32(length - hlen))) // tcpdump's %u
		if hlen > length {
			p.tcpTooLong(hlen, length)
		}
		return
	}
	seq := binary.BigEndian.Uint32(b[4:])
	ack := binary.BigEndian.Uint32(b[8:])
	flags := b[13]
	win := binary.BigEndian.Uint16(b[14:])
	urp := binary.BigEndian.Uint16(b[18:])
	p.s("Flags [")
	if flags == 0 {
		p.s("none")
	}
	for _, f := range []struct {
		bit byte
		c   byte
	}{{thFIN, 'F'}, {thSYN, 'S'}, {thRST, 'R'}, {thPSH, 'P'}, {thACK, '.'}, {thURG, 'U'}, {thECE, 'E'}, {thCWR, 'W'}} {
		if flags&f.bit != 0 {
			p.c(f.c)
		}
	}
	p.c(']')
	var thseq, thack uint32
	rev := false
	if flags&thACK != 0 && !p.opts.AbsoluteSeq {
		k := tcpKey{v6: info.v6}
		n := 4
		if info.v6 {
			n = 16
		}
		if sport > dport {
			rev = true
		} else if sport == dport && bytes.Compare(info.src, info.dst) > 0 {
			rev = true
		}
		if rev {
			copy(k.src[:], info.dst[:n])
			copy(k.dst[:], info.src[:n])
			k.port = uint32(dport)<<16 | uint32(sport)
		} else {
			copy(k.src[:], info.src[:n])
			copy(k.dst[:], info.dst[:n])
			k.port = uint32(sport)<<16 | uint32(dport)
		}
		th, found := p.tcpSeq[k]
		if !found || flags&thSYN != 0 {
			if !found {
				th = &tcpSeqState{}
				p.tcpSeq[k] = th
			}
			if rev {
				th.ack, th.seq = seq, ack-1
			} else {
				th.seq, th.ack = seq, ack-1
			}
		} else if rev {
			seq -= th.ack
			ack -= th.seq
		} else {
			seq -= th.seq
			ack -= th.ack
		}
		thseq, thack = th.seq, th.ack
	}
	if hlen > length {
		p.tcpTooLong(hlen, length)
		return
	}
	if p.opts.Verbose > 0 && !info.frag && len(b) >= length {
		sum := checksum(pseudoSum(info.src, info.sumDst(), protoTCP, length), b[:length])
		tcpSum := binary.BigEndian.Uint16(b[16:])
		p.s(", cksum 0x")
		p.hexw(uint64(tcpSum), 4)
		if sum != 0 {
			p.s(" (incorrect -> 0x")
			p.hexw(uint64(shouldBe(tcpSum, sum)), 4)
			p.c(')')
		} else {
			p.s(" (correct)")
		}
	}
	length -= hlen
	if p.opts.Verbose > 1 || length > 0 || flags&(thSYN|thFIN|thRST) != 0 {
		p.s(", seq ")
		p.u(uint64(seq))
		if length > 0 {
			p.c(':')
			p.u(uint64(seq + uint32(length)))
		}
	}
	if flags&thACK != 0 {
		p.s(", ack ")
		p.u(uint64(ack))
	}
	p.s(", win ")
	p.u(uint64(win))
	if flags&thURG != 0 {
		p.s(", urg ")
		p.u(uint64(urp))
	}
	if hlen > 20 {
		// For md5 the option printer needs to know whether the payload was
		// captured.
		p.tcpPayloadCaptured = len(b) >= hlen+length
		// The options get all the captured bytes: tcpdump reads a last
		// option's length from the payload when the header ends first.
		if !p.tcpOptions(b[20:], hlen-20, flags, rev, thseq, thack) {
			return
		}
	}
	p.s(", length ")
	p.i(length)
	if length <= 0 {
		return
	}
	if len(b) < hlen {
		p.s(" [remaining caplen(")
		p.i(len(b))
		p.s(") < header length(")
		p.i(hlen)
		p.s(")]")
		panic(truncated{})
	}
	data := b[hlen:]
	if flags&thRST != 0 && p.opts.Verbose > 0 {
		p.rstData(data, length)
		return
	}
	// tcpdump's order: the first port that matches picks the printer.
	switch {
	case sport == 23 || dport == 23:
		p.telnet(data, length)
	case sport == 25 || dport == 25:
		p.txtproto(data, length, "smtp", "SMTP", nil, false)
	case sport == 43 || dport == 43:
		p.txtproto(data, length, "whois", "WHOIS", nil, false)
	case sport == 179 || dport == 179:
		p.bgp(data)
	case sport == 6379 || dport == 6379:
		p.resp(data, length)
	case sport == 22 || dport == 22:
		p.ssh(data, length)
	case sport == 21 || dport == 21:
		p.txtproto(data, length, "ftp", "FTP", nil, false)
	case sport == 80 || dport == 80 || sport == 8080 || dport == 8080:
		p.http(data, length)
	case sport == 554 || dport == 554 || sport == 8554 || dport == 8554:
		p.txtproto(data, length, "rtsp", "RTSP", rtspCmds, true)
	case sport == 53 || dport == 53:
		p.dns(data, length, true, false)
	case sport == 2049 || dport == 2049:
		p.nfsTCP(data, length, sport, dport, info)
	}
}

func (p *Printer) tcpTooLong(hlen, length int) {
	p.s(" [bad hdr length ")
	p.i(hlen)
	p.s(" - too long, > ")
	p.i(length)
	p.c(']')
}

var tcpOptNames = map[uint8]string{
	0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 6: "echo", 7: "echoreply",
	8: "TS", 11: "cc", 12: "ccnew", 13: "", 19: "md5", 20: "scps", 28: "uto", 29: "tcp-ao",
	30: "mptcp", 34: "tfo", 254: "exp",
}

// tcpOptions prints ", options [...]"; false means tcpdump stopped the line
// (a truncation already printed).
func (p *Printer) tcpOptions(cp []byte, hlen int, flags byte, rev bool, thseq, thack uint32) bool {
	p.s(", options [")
	var ch byte
	bad := func() bool {
		p.s("[bad opt]")
		if ch != 0 {
			p.c(']')
		}
		return false
	}
	for hlen > 0 {
		if ch != 0 {
			p.c(ch)
		}
		opt := p.u8(cp, 0)
		cp = cp[1:]
		olen := 1
		if opt != 0 && opt != 1 {
			olen = int(p.u8(cp, 0))
			cp = cp[1:]
			if olen < 2 || olen > hlen {
				return bad()
			}
			hlen--
		}
		hlen--
		datalen := 0
		// lencheck is LENCHECK: past the option space is "bad", past the
		// captured bytes is a truncation that also closes the bracket.
		lencheck := func(l int) bool {
			if l > hlen {
				return false
			}
			if len(cp) < l {
				// An MPTCP option before renamed the protocol.
				p.s(" [|")
				p.s(p.proto)
				p.c(']')
				if ch != 0 {
					p.c('>')
				}
				panic(stopLine{})
			}
			return true
		}
		if n, ok := tcpOptNames[opt]; ok {
			p.s(n)
		} else {
			p.s("unknown-")
			p.u(uint64(opt))
		}
		switch opt {
		case 2:
			datalen = 2
			if !lencheck(2) {
				return bad()
			}
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint16(cp)))
		case 3:
			datalen = 1
			if !lencheck(1) {
				return bad()
			}
			p.c(' ')
			p.u(uint64(cp[0]))
		case 5:
			datalen = olen - 2
			if datalen%8 != 0 {
				p.s(" invalid sack")
			} else {
				p.c(' ')
				p.i(datalen / 8)
				p.c(' ')
				for i := 0; i < datalen; i += 8 {
					if !lencheck(i + 4) {
						return bad()
					}
					s := binary.BigEndian.Uint32(cp[i:])
					if !lencheck(i + 8) {
						return bad()
					}
					e := binary.BigEndian.Uint32(cp[i+4:])
					if rev {
						s -= thseq
						e -= thseq
					} else {
						s -= thack
						e -= thack
					}
					p.c('{')
					p.u(uint64(s))
					p.c(':')
					p.u(uint64(e))
					p.c('}')
				}
			}
		case 6, 7, 11, 12, 13:
			datalen = 4
			if !lencheck(4) {
				return bad()
			}
			p.c(' ')
			p.u(uint64(binary.BigEndian.Uint32(cp)))
		case 8:
			datalen = 8
			if !lencheck(8) {
				return bad()
			}
			p.s(" val ")
			p.u(uint64(binary.BigEndian.Uint32(cp)))
			p.s(" ecr ")
			p.u(uint64(binary.BigEndian.Uint32(cp[4:])))
		case 0, 1, 4:
		case 19:
			datalen = 16
			if !lencheck(16) {
				return bad()
			}
			p.c(' ')
			if !p.tcpPayloadCaptured {
				p.s("snaplen too short, ")
			} else {
				p.s("shared secret not supplied with -M, ")
			}
			p.s("can't check - ")
			for _, c := range cp[:16] {
				p.hexw(uint64(c), 2)
			}
		case 20:
			datalen = 2
			if !lencheck(2) {
				return bad()
			}
			p.s(" cap ")
			p.hexw(uint64(cp[0]), 2)
			p.s(" id ")
			p.u(uint64(cp[1]))
		case 29:
			datalen = olen - 2
			if datalen < 2 {
				p.s(" (invalid)")
				break
			}
			if !lencheck(1) {
				return bad()
			}
			p.s(" keyid ")
			p.u(uint64(cp[0]))
			if !lencheck(2) {
				return bad()
			}
			p.s(" rnextkeyid ")
			p.u(uint64(cp[1]))
			if datalen > 2 {
				p.s(" mac 0x")
				for i := 2; i < datalen; i++ {
					if !lencheck(i + 1) {
						return bad()
					}
					p.hexw(uint64(cp[i]), 2)
				}
			}
		case 34, 254:
			datalen = olen - 2
			if !lencheck(datalen) {
				return bad()
			}
			tfo := cp[:datalen]
			if opt == 34 {
				p.c(' ')
			} else {
				if datalen < 2 {
					return bad()
				}
				p.c('-')
				if magic := binary.BigEndian.Uint16(cp); magic != 0xf989 {
					p.hexw(uint64(magic), 4)
					break
				}
				p.s("tfo")
				tfo = cp[2:datalen]
			}
			switch {
			case len(tfo) == 0:
				p.s(" cookiereq")
			case len(tfo)%2 != 0 || len(tfo) < 4 || len(tfo) > 16:
				p.s(" (invalid)")
			default:
				p.s(" cookie ")
				for _, c := range tfo {
					p.hexw(uint64(c), 2)
				}
			}
		case 30:
			datalen = olen - 2
			if !lencheck(datalen) || !p.mptcp(cp[:datalen], olen, flags) {
				return bad()
			}
		case 28:
			datalen = 2
			if !lencheck(2) {
				return bad()
			}
			// A u_int in tcpdump: minutes times 60 exceed 16 bits.
			v := uint32(binary.BigEndian.Uint16(cp))
			p.s(" 0x")
			p.hex(uint64(v))
			if v&1 != 0 {
				v = (v >> 1) * 60
			} else {
				v >>= 1
			}
			p.c(' ')
			p.u(uint64(v))
		default:
			datalen = olen - 2
			if datalen > 0 {
				p.s(" 0x")
			}
			for i := 0; i < datalen; i++ {
				if !lencheck(i + 1) {
					return bad()
				}
				p.hexw(uint64(cp[i]), 2)
			}
		}
		// tcpdump advances its pointer past the capture; reads then fail.
		cp = cp[min(datalen, len(cp)):]
		hlen -= datalen
		datalen++
		if opt != 0 && opt != 1 {
			datalen++
		}
		if datalen != olen {
			p.s("[len ")
			p.i(olen)
			p.c(']')
		}
		ch = ','
		if opt == 0 {
			break
		}
	}
	p.c(']')
	return true
}

func (p *Printer) rstData(b []byte, length int) {
	if len(b) >= length {
		p.s(" [RST")
	} else {
		p.s(" [!RST")
	}
	if length > 30 {
		length = 30
		p.c('+')
	}
	p.c(' ')
	p.printn(b[:min(length, len(b))])
	p.c(']')
}

// printn is tcpdump's nd_printn: printable ASCII as is, others escaped.
func (p *Printer) printn(b []byte) {
	for _, c := range b {
		p.safeChar(c)
	}
}

func (p *Printer) safeChar(c byte) {
	if c&0x80 != 0 {
		p.s("M-")
		c &= 0x7f
	}
	if c < 0x20 || c == 0x7f {
		p.c('^')
		p.c(c ^ 0x40)
		return
	}
	p.c(c)
}

func (p *Printer) udp(b []byte, length int, info ipInfo) {
	p.proto = "udp"
	own := info.nh == protoUDP
	if len(b) < 4 {
		if own {
			p.addrs(info)
			p.s(": ")
		}
		p.tcheck(nil, 1)
	}
	sport := binary.BigEndian.Uint16(b)
	dport := binary.BigEndian.Uint16(b[2:])
	if length < 8 {
		p.addrPort(info, "udp", sport, dport, own)
		p.s("truncated-udp ")
		p.i(length)
		return
	}
	if len(b) < 6 {
		p.addrPort(info, "udp", sport, dport, own)
		p.tcheck(nil, 1)
	}
	ulen := int(binary.BigEndian.Uint16(b[4:]))
	if ulen == 0 && length > 65535 {
		ulen = length
	}
	if ulen < 8 {
		p.addrPort(info, "udp", sport, dport, own)
		p.s("truncated-udplength ")
		p.i(ulen)
		return
	}
	ulen -= 8
	length -= 8
	if ulen < length {
		length = ulen
	}
	if len(b) < 8 {
		p.addrPort(info, "udp", sport, dport, own)
		p.tcheck(nil, 1)
	}
	p.addrPort(info, "udp", sport, dport, own)
	data := b[8:]
	if !p.opts.Quiet && p.nfsUDP(data, length, sport, dport, info) {
		return
	}
	if p.opts.Verbose > 0 && !info.frag {
		udpSum := binary.BigEndian.Uint16(b[6:])
		check := func() {
			sum := checksum(pseudoSum(info.src, info.sumDst(), protoUDP, length+8), b[:length+8])
			if sum != 0 {
				p.s("[bad udp cksum 0x")
				p.hexw(uint64(udpSum), 4)
				p.s(" -> 0x")
				p.hexw(uint64(shouldBe(udpSum, sum)), 4)
				p.s("!] ")
			} else {
				p.s("[udp sum ok] ")
			}
		}
		if !info.v6 && p.opts.Verbose > 1 {
			if udpSum == 0 {
				p.s("[no cksum] ")
			} else if len(data) >= length {
				check()
			}
		} else if info.v6 && len(data) >= length {
			check()
		}
	}
	switch {
	case p.opts.Quiet:
		p.udpLength(ulen, length, info)
	case sport == 53 || dport == 53:
		p.dns(data, length, false, false)
	case sport == 5353 || dport == 5353:
		p.dns(data, length, false, true)
	case sport == 69 || dport == 69:
		p.tftp(data, length)
	case sport == 67 || dport == 67 || sport == 68 || dport == 68:
		p.bootp(data, length)
	case sport == 500 || dport == 500:
		p.isakmp(data, length, info)
	case sport == 4500 || dport == 4500:
		p.ipsecNATT(data, length, info)
	case sport == 7500 || dport == 7500 || sport == 8500 || dport == 8500:
		p.isakmp(data, length, info)
	case sport == 161 || dport == 161 || sport == 162 || dport == 162:
		p.snmp(data, length)
	case sport == 123 || dport == 123:
		p.ntp(data, length)
	case sport == 546 || dport == 546 || sport == 547 || dport == 547:
		p.dhcp6(data, length)
	case sport == 49152:
		p.bcmLI(data, length)
	case bfdPort(dport):
		p.bfd(data, length, dport)
	case sport == 514 || dport == 514:
		p.syslog(data, length)
	case sport == 8472 || dport == 8472:
		p.otv(data, length)
	case sport == 4789 || dport == 4789:
		p.vxlan(data, length)
	case sport == 6081 || dport == 6081:
		p.geneve(data, length)
	case sport == 4790 || dport == 4790:
		p.vxlanGPE(data, length)
	case sport == 6635 || dport == 6635: // MPLS in UDP (RFC 7510)
		p.mpls(data, length)
	default:
		p.udpLength(ulen, length, info)
	}
}

func (p *Printer) udpLength(ulen, length int, info ipInfo) {
	if ulen > length && !info.frag {
		p.s("UDP, bad length ")
		p.i(ulen)
		p.s(" > ")
		p.i(length)
	} else {
		p.s("UDP, length ")
		p.i(ulen)
	}
}
