package analyze

import (
	"encoding/binary"
	"net/netip"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// IP protocol numbers the analyzer looks at.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// TCP flag bits.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

// packet is what the analyzer needs of one captured packet. Fields past the
// point where the capture was cut stay zero, and the has* flags say how far
// decoding got.
type packet struct {
	num     int // 1-based, as Wireshark and tcpdump -# number packets
	tsNanos int64
	wireLen int

	hasIP    bool
	src, dst netip.Addr
	proto    uint8
	ipLen    int // IP total length (header and payload) as the header says

	hasL4        bool
	sport, dport uint16

	// TCP
	flags      uint8
	seq, ack   uint32
	payloadLen int // TCP or UDP payload length from the headers, not the capture
	mss        uint16

	// UDP payload as captured (DNS)
	payload []byte

	// ICMP and ICMPv6
	icmpType, icmpCode uint8
	icmpMTU            uint32
	hasInner           bool
	inner              innerHeader
}

// innerHeader is the packet quoted in an ICMP error.
type innerHeader struct {
	src, dst     netip.Addr
	proto        uint8
	sport, dport uint16
}

// decodePacket fills p from data captured on a link of type lt. It never
// panics on short or corrupt data: it stops where the bytes end.
func decodePacket(lt pcapio.LinkType, data []byte, p *packet) {
	var etype uint16
	switch lt {
	case pcapio.LinkTypeEthernet:
		if len(data) < 14 {
			return
		}
		etype = binary.BigEndian.Uint16(data[12:])
		data = data[14:]
		for (etype == 0x8100 || etype == 0x88a8) && len(data) >= 4 {
			etype = binary.BigEndian.Uint16(data[2:])
			data = data[4:]
		}
	case pcapio.LinkTypeLinuxSLL:
		if len(data) < 16 {
			return
		}
		etype = binary.BigEndian.Uint16(data[14:])
		data = data[16:]
	case pcapio.LinkTypeLinuxSLL2:
		if len(data) < 20 {
			return
		}
		etype = binary.BigEndian.Uint16(data[0:])
		data = data[20:]
	case pcapio.LinkTypeRaw:
		etype = rawEtype(data)
	case pcapio.LinkTypeIPv4:
		etype = 0x0800
	case pcapio.LinkTypeIPv6:
		etype = 0x86dd
	case pcapio.LinkTypeNull, pcapio.LinkTypeLoop:
		if len(data) < 4 {
			return
		}
		// NULL stores the address family in the writer's byte order; either
		// way the values below are unambiguous.
		fam := binary.LittleEndian.Uint32(data)
		if lt == pcapio.LinkTypeLoop || fam > 0xffff {
			fam = binary.BigEndian.Uint32(data)
		}
		data = data[4:]
		switch fam {
		case 2:
			etype = 0x0800
		case 10, 24, 28, 30:
			etype = 0x86dd
		}
	default:
		return
	}
	switch etype {
	case 0x0800:
		decodeIPv4(data, p)
	case 0x86dd:
		decodeIPv6(data, p)
	}
}

func rawEtype(data []byte) uint16 {
	if len(data) == 0 {
		return 0
	}
	switch data[0] >> 4 {
	case 4:
		return 0x0800
	case 6:
		return 0x86dd
	}
	return 0
}

func decodeIPv4(b []byte, p *packet) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return
	}
	p.hasIP = true
	p.ipLen = int(binary.BigEndian.Uint16(b[2:]))
	p.proto = b[9]
	p.src = netip.AddrFrom4([4]byte(b[12:16]))
	p.dst = netip.AddrFrom4([4]byte(b[16:20]))
	if binary.BigEndian.Uint16(b[6:])&0x1fff != 0 {
		return // a later fragment: no transport header
	}
	l4len := p.ipLen - ihl
	decodeL4(b[ihl:], l4len, p)
}

// IPv6 extension headers that carry a next-header field in the usual place.
func isIPv6Ext(nh uint8) bool {
	switch nh {
	case 0, 43, 60, 135, 139, 140:
		return true
	}
	return false
}

func decodeIPv6(b []byte, p *packet) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return
	}
	p.hasIP = true
	plen := int(binary.BigEndian.Uint16(b[4:]))
	p.ipLen = 40 + plen
	p.src = netip.AddrFrom16([16]byte(b[8:24]))
	p.dst = netip.AddrFrom16([16]byte(b[24:40]))
	nh := b[6]
	rest := b[40:]
	l4len := plen
	for {
		switch {
		case isIPv6Ext(nh):
			if len(rest) < 2 {
				p.proto = nh
				return
			}
			n := (int(rest[1]) + 1) * 8
			if len(rest) < n {
				p.proto = nh
				return
			}
			nh, rest, l4len = rest[0], rest[n:], l4len-n
			continue
		case nh == 44: // fragment
			if len(rest) < 8 {
				p.proto = nh
				return
			}
			p.proto = rest[0]
			if binary.BigEndian.Uint16(rest[2:])&0xfff8 != 0 {
				return
			}
			nh, rest, l4len = rest[0], rest[8:], l4len-8
			continue
		case nh == 51: // AH: length in 4-byte units minus 2
			if len(rest) < 2 {
				p.proto = nh
				return
			}
			n := (int(rest[1]) + 2) * 4
			if len(rest) < n {
				p.proto = nh
				return
			}
			nh, rest, l4len = rest[0], rest[n:], l4len-n
			continue
		}
		break
	}
	p.proto = nh
	decodeL4(rest, l4len, p)
}

// decodeL4 reads the transport header; l4len is its length per the IP header.
func decodeL4(b []byte, l4len int, p *packet) {
	switch p.proto {
	case protoTCP:
		if len(b) < 20 {
			return
		}
		p.hasL4 = true
		p.sport = binary.BigEndian.Uint16(b)
		p.dport = binary.BigEndian.Uint16(b[2:])
		p.seq = binary.BigEndian.Uint32(b[4:])
		p.ack = binary.BigEndian.Uint32(b[8:])
		off := int(b[12]>>4) * 4
		p.flags = b[13]
		if off >= 20 {
			p.payloadLen = max(l4len-off, 0)
			if len(b) >= off {
				p.mss = tcpMSS(b[20:off])
			}
		}
	case protoUDP:
		if len(b) < 8 {
			return
		}
		p.hasL4 = true
		p.sport = binary.BigEndian.Uint16(b)
		p.dport = binary.BigEndian.Uint16(b[2:])
		p.payloadLen = max(int(binary.BigEndian.Uint16(b[4:]))-8, 0)
		p.payload = b[8:]
		if len(p.payload) > p.payloadLen {
			p.payload = p.payload[:p.payloadLen]
		}
	case protoICMP, protoICMPv6:
		if len(b) < 8 {
			return
		}
		p.hasL4 = true
		p.icmpType, p.icmpCode = b[0], b[1]
		switch {
		case p.proto == protoICMP && p.icmpType == 3 && p.icmpCode == 4:
			p.icmpMTU = uint32(binary.BigEndian.Uint16(b[6:]))
		case p.proto == protoICMPv6 && p.icmpType == 2:
			p.icmpMTU = binary.BigEndian.Uint32(b[4:])
		}
		if isICMPError(p.proto, p.icmpType) {
			p.hasInner = decodeInner(b[8:], &p.inner)
		}
	}
}

func isICMPError(proto, typ uint8) bool {
	if proto == protoICMP {
		return typ == 3 || typ == 11 || typ == 12 || typ == 4 || typ == 5
	}
	return typ >= 1 && typ <= 4
}

// decodeInner reads the IP header and the first transport bytes quoted in an
// ICMP error: enough to name the flow it refers to.
func decodeInner(b []byte, in *innerHeader) bool {
	var q packet
	if len(b) > 0 && b[0]>>4 == 4 {
		decodeIPv4(b, &q)
	} else {
		decodeIPv6(b, &q)
	}
	if !q.hasIP {
		return false
	}
	*in = innerHeader{src: q.src, dst: q.dst, proto: q.proto, sport: q.sport, dport: q.dport}
	// ICMP quotes only 8 transport bytes: enough for ports, not for a full
	// TCP header, so read them directly.
	if !q.hasL4 && (q.proto == protoTCP || q.proto == protoUDP) {
		hl := 40
		if q.src.Is4() {
			hl = int(b[0]&0x0f) * 4
		}
		if len(b) >= hl+4 {
			in.sport = binary.BigEndian.Uint16(b[hl:])
			in.dport = binary.BigEndian.Uint16(b[hl+2:])
		}
	}
	return true
}

// tcpMSS returns the MSS option's value, or 0.
func tcpMSS(opts []byte) uint16 {
	for len(opts) > 0 {
		switch opts[0] {
		case 0:
			return 0
		case 1:
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
			return 0
		}
		if opts[0] == 2 && opts[1] == 4 {
			return binary.BigEndian.Uint16(opts[2:])
		}
		opts = opts[opts[1]:]
	}
	return 0
}
