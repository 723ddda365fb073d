package decode

import (
	"encoding/binary"
	"fmt"
	"net"
	"runtime"
	"strings"

	"github.com/netdiag/netdiag/capture/pcapio"
)

const (
	etherTypeIPv4  = 0x0800
	etherTypeARP   = 0x0806
	etherTypeRARP  = 0x8035
	etherTypeIPv6  = 0x86dd
	etherType8021Q = 0x8100
	etherTypeQinQ  = 0x88a8
	etherType9100  = 0x9100
)

var etherTypeNames = map[uint16]string{
	0x0200: "PUP", 0x0800: "IPv4", 0x0806: "ARP", 0x8035: "Reverse ARP", 0x0600: "NS",
	0x0500: "Sprite", 0x1000: "Trail", 0x6001: "MOP DL", 0x6002: "MOP RC", 0x6003: "DN",
	0x6004: "LAT", 0x6007: "SCA", 0x6558: "TEB", 0x8038: "Lanbridge", 0x803c: "DEC DNS",
	0x803e: "DEC DTS", 0x805b: "VEXP", 0x805c: "VPROD", 0x809b: "Appletalk",
	0x80f3: "Appletalk ARP", 0x8100: "802.1Q", 0x8137: "IPX", 0x86dd: "IPv6", 0x880b: "PPP",
	0x8808: "MPCP", 0x8809: "Slow Protocols", 0x8847: "MPLS unicast", 0x8848: "MPLS multicast",
	0x8863: "PPPoE D", 0x8864: "PPPoE S", 0x888e: "EAPOL", 0x8899: "Realtek protocols",
	0x88a8: "802.1Q-QinQ", 0x886f: "MS NLB heartbeat", 0x8870: "Jumbo", 0x894f: "NSH",
	0x9000: "Loopback", 0xfefe: "OSI", 0x00fe: "GRE-OSI", 0xabcd: "CFM (old)", 0x8902: "CFM",
	0x893a: "IEEE1905.1", 0x88cc: "LLDP", 0x88ca: "TIPC", 0x0707: "GeoNet (old)",
	0x8947: "GeoNet", 0x1111: "CALM FAST", 0x88a2: "AoE", 0x88f7: "PTP",
	0xd28b: "Arista Vendor Specific Protocol", 0x9100: "802.1Q-9100", 0x9200: "802.1Q-9200",
	0x88e5: "802.1AE MACsec",
}

func etherTypeName(t uint16) string {
	if n, ok := etherTypeNames[t]; ok {
		return n
	}
	return "Unknown"
}

// run calls fn and turns a truncation panic into tcpdump's " [|proto]".
func (p *Printer) run(fn func() int) (hdrlen int) {
	p.hdrlen = 0
	defer func() {
		hdrlen = p.hdrlen
		if r := recover(); r != nil {
			if _, ok := r.(stopLine); ok {
				return
			}
			if _, ok := r.(truncated); !ok {
				re, ok := r.(runtime.Error)
				if !ok {
					panic(r)
				}
				// A printer read past a slice: a bug in netdiag that one
				// packet must not turn into a dead capture. The line ends
				// as a truncation and Print reports the bug.
				p.bug = &DecodeError{Proto: p.proto, Err: re, Where: panicSite()}
			}
			// tcpdump dumps the whole packet (-x) after a truncation.
			hdrlen = 0
			p.s(" [|")
			p.s(p.proto)
			p.c(']')
		}
	}()
	p.hdrlen = fn()
	return p.hdrlen
}

// link prints the packet from the link header on and returns the link
// header length (for -x without -xx).
func (p *Printer) link(data []byte, length int) int {
	p.proto = ""
	switch p.lt {
	case pcapio.LinkTypeEthernet:
		return p.ether(data, length)
	case pcapio.LinkTypeLinuxSLL:
		return p.sll(data, length)
	case pcapio.LinkTypeLinuxSLL2:
		return p.sll2(data, length)
	case pcapio.LinkTypeRaw:
		if p.opts.LinkHeader {
			p.s("ip: ")
		}
		p.ipN(data, length)
		return 0
	case pcapio.LinkTypeIPv4, pcapio.LinkTypeIPv6:
		// tcpdump prints both as DLT_RAW.
		if p.opts.LinkHeader {
			p.s("ip: ")
		}
		p.ipN(data, length)
		return 0
	case pcapio.LinkTypeNull, pcapio.LinkTypeLoop:
		return p.null(data, length)
	}
	p.s("unknown link type ")
	p.u(uint64(p.lt))
	return 0
}

func (p *Printer) ipN(b []byte, length int) {
	p.proto = "ipn"
	if length < 1 {
		p.s("truncated-ip ")
		p.i(length)
		return
	}
	switch p.u8(b, 0) & 0xf0 {
	case 0x40:
		p.ip(b, length)
	case 0x60:
		p.ip6(b, length)
	default:
		p.s("unknown ip ")
		p.u(uint64(b[0] >> 4))
	}
}

var bsdAF = map[uint32]string{2: "IPv4", 6: "NS", 7: "ISO", 16: "Appletalk", 23: "IPX", 24: "IPv6", 28: "IPv6", 30: "IPv6"}

func (p *Printer) null(b []byte, length int) int {
	p.proto = "null"
	p.need(b, 4)
	var family uint32
	p.hdrlen = 4
	if p.lt == pcapio.LinkTypeLoop {
		family = binary.BigEndian.Uint32(b)
	} else {
		p.hdrlen = 4
		family = binary.NativeEndian.Uint32(b)
		// The writer's byte order is unknown; families are small numbers.
		if family&0xffff0000 != 0 {
			family = family>>24 | family>>8&0xff00 | family<<8&0xff0000 | family<<24
		}
	}
	hdr := func() {
		n, ok := bsdAF[family]
		switch {
		case p.opts.Quiet && ok:
			p.s(n)
		case p.opts.Quiet:
			p.s("Unknown AF ")
			p.u(uint64(family))
		default:
			if !ok {
				n = "Unknown"
			}
			p.s("AF ")
			p.s(n)
			p.s(" (")
			p.u(uint64(family))
			p.c(')')
		}
		p.s(", length ")
		p.i(length)
		p.s(": ")
	}
	if p.opts.LinkHeader {
		hdr()
	}
	rest, rlen := b[4:], length-4
	switch family {
	case 2:
		p.ip(rest, rlen)
	case 24, 28, 30:
		p.ip6(rest, rlen)
	default:
		if !p.opts.LinkHeader {
			hdr()
		}
		p.defaultPrint(rest)
	}
	return 4
}

// defaultPrint is tcpdump's dump of an undecoded payload, skipped when -x
// or -X dump the whole packet anyway, and at -q.
func (p *Printer) defaultPrint(b []byte) {
	if p.opts.Hex > 0 || p.opts.ASCII > 0 || p.opts.Quiet {
		return
	}
	p.hexASCII("\n\t", b, 0)
}

func (p *Printer) ether(b []byte, length int) int {
	p.proto = "ether"
	caplen := len(b)
	if length < caplen {
		p.s("[length ")
		p.i(length)
		p.s(" < caplen ")
		p.i(caplen)
		p.s("] (invalid)")
		return length
	}
	if caplen < 14 {
		p.s(" [|ether]")
		return caplen
	}
	origLength := length
	if p.opts.LinkHeader {
		p.mac(b[6:])
		p.s(" > ")
		p.mac(b[0:])
		p.s(", ")
	}
	hdrlen := 14
	p.hdrlen = hdrlen
	t := binary.BigEndian.Uint16(b[12:])
	rest := b[14:]
	length -= 14
	printedLength := false
	if t == 0x88e5 {
		var ok bool
		if rest, length, hdrlen, t, ok = p.macsec(b, rest, length, origLength, hdrlen); !ok {
			return hdrlen
		}
		printedLength = p.opts.LinkHeader
	}
	for t == etherType8021Q || t == etherTypeQinQ || t == etherType9100 || t == 0x9200 {
		if len(rest) < 4 {
			p.s(" [|vlan]")
			return hdrlen + len(rest)
		}
		if length < 4 {
			p.s(" [|vlan]")
			return hdrlen + length
		}
		if p.opts.LinkHeader {
			p.etherTypeShort(t)
			if !printedLength {
				p.s(", length ")
				p.i(origLength)
				p.s(": ")
				printedLength = true
			} else {
				p.s(", ")
			}
			p.vlanTCI(binary.BigEndian.Uint16(rest))
			p.s(", ")
		}
		t = binary.BigEndian.Uint16(rest[2:])
		rest = rest[4:]
		length -= 4
		hdrlen += 4
		p.hdrlen = hdrlen
	}
	if t <= 1500 {
		if int(t) < length {
			length = int(t)
			if len(rest) > length {
				rest = rest[:length]
			}
		}
		if p.opts.LinkHeader {
			p.s("802.3")
			if !printedLength {
				p.s(", length ")
				p.i(length)
				p.s(": ")
			}
		}
		n := p.llc(rest, length, b[6:12], b[0:6])
		if n < 0 {
			p.defaultPrint(rest)
			n = -n
		}
		return hdrlen + n
	}
	if p.opts.LinkHeader {
		p.etherTypeShort(t)
		if !printedLength {
			p.s(", length ")
			p.i(origLength)
			p.s(": ")
		} else {
			p.s(", ")
		}
	}
	if !p.etherType(t, rest, length) {
		if !p.opts.LinkHeader {
			p.mac(b[6:])
			p.s(" > ")
			p.mac(b[0:])
			p.s(", ")
			p.etherTypeShort(t)
			p.s(", length ")
			p.i(origLength)
			p.s(": ")
		}
		p.defaultPrint(rest)
	}
	return hdrlen
}

func (p *Printer) vlanTCI(tci uint16) {
	p.s("vlan ")
	p.u(uint64(tci & 0xfff))
	p.s(", p ")
	p.u(uint64(tci >> 13))
	if tci&0x1000 != 0 {
		p.s(", DEI")
	}
}

func (p *Printer) etherTypeShort(t uint16) {
	if p.opts.Quiet {
		if n := etherTypeName(t); n != "Unknown" {
			p.s(n)
		} else {
			p.s("Unknown Ethertype (0x")
			p.hexw(uint64(t), 4)
			p.c(')')
		}
		return
	}
	p.s("ethertype ")
	p.s(etherTypeName(t))
	p.s(" (0x")
	p.hexw(uint64(t), 4)
	p.c(')')
}

var llcSAPs = map[uint8]string{
	0x00: "Null", 0xff: "Global", 0x02: "802.1B I", 0x03: "802.1B G", 0x06: "IP", 0x04: "SNA",
	0x0e: "ProWay NM", 0x42: "STP", 0x4e: "RS511", 0x7e: "ISO8208", 0x8e: "ProWay",
	0xaa: "SNAP", 0xe0: "IPX", 0xf0: "NetBeui", 0xfe: "OSI",
}

var llcCmds = map[uint16]string{0x03: "ui", 0xe3: "test", 0xaf: "xid", 0x63: "ua", 0x43: "disc", 0x0f: "dm", 0x6f: "sabme", 0x87: "frmr"}

func llcFlags(v uint16) string {
	switch v {
	case 0:
		return "Command"
	case 1:
		return "Response"
	case 0x10, 0x100:
		return "Poll"
	case 0x11, 0x101:
		return "Final"
	}
	return "?"
}

func (p *Printer) sapName(sap uint8, unknown string) {
	if n, ok := llcSAPs[sap]; ok {
		p.s(n)
		return
	}
	p.s(unknown)
	if strings.HasSuffix(unknown, "0x") {
		p.hexw(uint64(sap), 2)
	}
}

// llc is tcpdump's llc_print for the SAPs netdiag knows (IP) and the
// generic header line for the others. src and dst are the Ethernet
// addresses, nil for cooked captures. It returns the LLC header length,
// negative when the payload was not decoded (the caller dumps it).
func (p *Printer) llc(b []byte, length int, src, dst []byte) int {
	p.proto = "llc"
	caplen := len(b)
	if caplen < 3 || length < 3 {
		p.s(" [|llc]")
		p.hexASCII("\n\t", b, 0)
		if caplen < 3 {
			return caplen
		}
		return length
	}
	dsapField, ssapField := b[0], b[1]
	control := uint16(b[2])
	hdrlen := 3
	isU := control&3 == 3
	if !isU {
		if caplen < 4 || length < 4 {
			p.s(" [|llc]")
			p.hexASCII("\n\t", b, 0)
			if caplen < 4 {
				return caplen
			}
			return length
		}
		control = uint16(b[2]) | uint16(b[3])<<8
		hdrlen = 4
	}
	if ssapField == 0xff && dsapField == 0xff {
		// IPX over raw 802.3: not decoded.
		return 0
	}
	dsap, ssap := dsapField&^1, ssapField&^1
	if p.opts.LinkHeader {
		p.s("LLC, dsap ")
		p.sapName(dsap, "Unknown")
		p.s(" (0x")
		p.hexw(uint64(dsap), 2)
		p.s(") ")
		if dsapField&1 != 0 {
			p.s("Group")
		} else {
			p.s("Individual")
		}
		p.s(", ssap ")
		p.sapName(ssap, "Unknown")
		p.s(" (0x")
		p.hexw(uint64(ssap), 2)
		p.s(") ")
		if ssapField&1 != 0 {
			p.s("Response")
		} else {
			p.s("Command")
		}
		if isU {
			p.s(", ctrl 0x")
			p.hexw(uint64(control), 2)
		} else {
			p.s(", ctrl 0x")
			p.hexw(uint64(control), 4)
		}
		p.s(": ")
	}
	rest := b[hdrlen:]
	length -= hdrlen
	if ssap == 0x42 && dsap == 0x42 && control == 0x03 {
		p.sub(func() { p.stp(rest, length) })
		return hdrlen
	}
	if ssap == 0x06 && dsap == 0x06 && control == 0x03 {
		p.sub(func() { p.ip(rest, length) })
		return hdrlen
	}
	if ssap == 0xaa && dsap == 0xaa && control == 0x03 {
		return p.snapLLC(rest, length, hdrlen, src, dst)
	}
	if !p.opts.LinkHeader {
		if ssap == dsap {
			if src != nil {
				p.mac(src)
				p.s(" > ")
				p.mac(dst)
				p.c(' ')
			}
			p.sapName(dsap, "Unknown DSAP 0x")
			p.c(' ')
		} else {
			if src != nil {
				p.mac(src)
				p.c(' ')
			}
			p.sapName(ssap, "Unknown SSAP 0x")
			p.s(" > ")
			if dst != nil {
				p.mac(dst)
				p.c(' ')
			}
			p.sapName(dsap, "Unknown DSAP 0x")
			p.c(' ')
		}
	}
	gsap := uint16(ssapField & 1)
	if isU {
		p.s("Unnumbered, ")
		if n, ok := llcCmds[control&0xef]; ok {
			p.s(n)
		} else {
			p.hexw(uint64(control&0xef), 2)
		}
		p.s(", Flags [")
		p.s(llcFlags(gsap | control&0x10))
		p.s("], length ")
		p.i(length + hdrlen)
		if control&^0x10 == 0xaf {
			if length == 0 {
				return hdrlen
			}
			if len(rest) < 1 {
				p.s(" [|llc]")
				return hdrlen
			}
			if rest[0] == 0x81 {
				if len(rest) < 3 || length < 3 {
					p.s(" [|llc]")
					p.hexASCII("\n\t", rest, 0)
				} else {
					p.s(": ")
					p.hexw(uint64(rest[1]), 2)
					p.c(' ')
					p.hexw(uint64(rest[2]), 2)
				}
				return hdrlen
			}
		}
	} else if control&1 == 1 {
		p.s("Supervisory, ")
		p.s([]string{"Receiver Ready", "Receiver not Ready", "Reject", "?"}[(control>>2)&3])
		p.s(", rcv seq ")
		p.u(uint64((control >> 9) & 0x7f))
		p.s(", Flags [")
		p.s(llcFlags(gsap | control&0x100))
		p.s("], length ")
		p.i(length + hdrlen)
		return hdrlen
	} else {
		p.s("Information, send seq ")
		p.u(uint64((control >> 1) & 0x7f))
		p.s(", rcv seq ")
		p.u(uint64((control >> 9) & 0x7f))
		p.s(", Flags [")
		p.s(llcFlags(gsap | control&0x100))
		p.s("], length ")
		p.i(length + hdrlen)
	}
	return -hdrlen
}

// etherType dispatches on an ethertype; false means "not decoded".
func (p *Printer) etherType(t uint16, b []byte, length int) bool {
	switch t {
	case etherTypeIPv4:
		p.ip(b, length)
	case etherTypeIPv6:
		p.ip6(b, length)
	case etherTypeARP, etherTypeRARP:
		p.arp(b, length)
	case 0x8847, 0x8848:
		p.mpls(b, length)
	case 0x88cc:
		p.lldp(b, length)
	case 0x8809:
		p.slow(b, length)
	default:
		return false
	}
	return true
}

var sllPktType = map[uint16]string{0: "In", 1: "B", 2: "M", 3: "P", 4: "Out"}

func sllType(pt uint16) string {
	if n, ok := sllPktType[pt]; ok {
		return n
	}
	return "?"
}

// sllHeader is tcpdump's sll_print / sll2_print (the -e header).
func (p *Printer) sllHeader(b []byte, v2 bool, length int) {
	var halen int
	var addr []byte
	var proto uint16
	if v2 {
		p.s("ifindex ")
		p.u(uint64(binary.BigEndian.Uint32(b[4:])))
		p.c(' ')
		halen, addr, proto = int(b[11]), b[12:], binary.BigEndian.Uint16(b)
	} else {
		p.padRight(sllType(binary.BigEndian.Uint16(b)), 3)
		p.c(' ')
		halen, addr, proto = int(binary.BigEndian.Uint16(b[4:])), b[6:], binary.BigEndian.Uint16(b[14:])
	}
	if halen == 6 {
		p.mac(addr)
		p.c(' ')
	}
	if p.opts.Quiet {
		return
	}
	p.sllProto(proto)
	p.s(", length ")
	p.i(length)
	p.s(": ")
}

func (p *Printer) sll(b []byte, length int) int {
	p.proto = "sll"
	p.need(b, 16)
	if p.opts.LinkHeader {
		p.sllHeader(b, false, length)
	}
	p.hdrlen = 16
	return p.cooked(b, false, binary.BigEndian.Uint16(b[14:]), b[16:], length-16, 16)
}

func (p *Printer) sll2(b []byte, length int) int {
	p.proto = "sll2"
	p.need(b, 20)
	// tcpdump names the interface with if_indextoname(3) in its own netns.
	name := "?"
	idx := int(binary.BigEndian.Uint32(b[4:]))
	if p.opts.IfName != nil {
		if n, ok := p.opts.IfName(idx); ok {
			name = n
		}
	} else if ifi, err := net.InterfaceByIndex(idx); err == nil {
		name = ifi.Name
	}
	p.padLeft(name, 5)
	p.c(' ')
	p.padLeft(sllType(uint16(b[10])), 3)
	p.c(' ')
	if p.opts.LinkHeader {
		p.sllHeader(b, true, length)
	}
	p.hdrlen = 20
	return p.cooked(b, true, binary.BigEndian.Uint16(b), b[20:], length-20, 20)
}

func (p *Printer) sllProto(proto uint16) {
	if proto <= 1500 {
		switch proto {
		case 1:
			p.s("802.3")
		case 4:
			p.s("802.2")
		default:
			p.s("ethertype Unknown (0x")
			p.hexw(uint64(proto), 4)
			p.c(')')
		}
		return
	}
	p.etherTypeShort(proto)
}

// cooked prints the payload of an SLL or SLL2 header (sll_if_print).
func (p *Printer) cooked(hdr []byte, v2 bool, proto uint16, b []byte, length, hdrlen int) int {
	for {
		if proto <= 1500 {
			switch proto {
			case 4:
				n := p.llc(b, length, nil, nil)
				if n < 0 {
					p.defaultPrint(b)
				} else {
					hdrlen += n
				}
			default:
				// IPX (802.3) and unknown: a default dump.
				p.defaultPrint(b)
			}
			return hdrlen
		}
		if proto != etherType8021Q {
			break
		}
		if len(b) < 4 {
			p.proto = "vlan"
			p.s(" [|vlan]")
			return hdrlen + len(b)
		}
		if p.opts.LinkHeader {
			p.vlanTCI(binary.BigEndian.Uint16(b))
			p.s(", ")
		}
		proto = binary.BigEndian.Uint16(b[2:])
		if proto <= 1500 {
			proto = 4
		}
		if !p.opts.Quiet {
			p.s("ethertype ")
			p.s(etherTypeName(proto))
			p.s(", ")
		}
		b = b[4:]
		length -= 4
		hdrlen += 4
		p.hdrlen = hdrlen
	}
	if !p.etherType(proto, b, length) {
		if !p.opts.LinkHeader {
			hl := 16
			if v2 {
				hl = 20
			}
			p.sllHeader(hdr, v2, length+hl)
		}
		p.defaultPrint(b)
	}
	return hdrlen
}

func (p *Printer) padLeft(s string, w int) {
	p.s(s)
	for i := len(s); i < w; i++ {
		p.c(' ')
	}
}

func (p *Printer) padRight(s string, w int) {
	for i := len(s); i < w; i++ {
		p.c(' ')
	}
	p.s(s)
}

// DecodeError is a packet the printer failed on: a bug in netdiag, not a
// malformed packet (those print as tcpdump prints them). The packet's line
// was printed up to the failure, ending in " [|PROTO]"; the Printer stays
// usable.
type DecodeError struct {
	Proto string // the printer that failed
	Err   error  // the runtime error
	Where string // file:line of the failure
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode %s: %v at %s: a netdiag bug, please report it with the packet (-x)", e.Proto, e.Err, e.Where)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// panicSite names the first frame of this package below the panic, from a
// deferred recover.
func panicSite() string {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		// Skip the recovering and re-panicking deferred functions.
		deferred := strings.Contains(f.Function, ").run.func") || strings.Contains(f.Function, ").buffered.func") || strings.Contains(f.Function, ").sub.func")
		if strings.Contains(f.Function, "/capture/decode.") && !deferred {
			return fmt.Sprintf("%s:%d", f.File[strings.LastIndex(f.File, "/")+1:], f.Line)
		}
		if !more {
			return "unknown"
		}
	}
}
