package attribute

import (
	"encoding/binary"
	"net/netip"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// Flow is a packet's transport 5-tuple, as the packet has it.
type Flow struct {
	Proto    uint8 // 6 TCP, 17 UDP
	Src, Dst netip.AddrPort
}

// key is the flow without its direction, so both directions meet.
func (f Flow) key() Flow {
	if f.Dst.Addr().Less(f.Src.Addr()) || f.Dst.Addr() == f.Src.Addr() && f.Dst.Port() < f.Src.Port() {
		f.Src, f.Dst = f.Dst, f.Src
	}
	return f
}

// Ethernet types and IP protocols ParseFlow knows.
const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
	etherVLAN = 0x8100
	etherQinQ = 0x88a8
	protoTCP  = 6
	protoUDP  = 17
)

// ParseFlow reads the TCP or UDP 5-tuple of a frame of link type lt
// (Ethernet with up to two VLAN tags, Linux cooked v1 and v2, raw IP). ok
// is false for anything else, and for fragments after the first.
func ParseFlow(lt pcapio.LinkType, b []byte) (f Flow, ok bool) {
	var etype uint16
	switch lt {
	case pcapio.LinkTypeEthernet:
		if len(b) < 14 {
			return f, false
		}
		etype, b = binary.BigEndian.Uint16(b[12:]), b[14:]
		for i := 0; i < 2 && (etype == etherVLAN || etype == etherQinQ); i++ {
			if len(b) < 4 {
				return f, false
			}
			etype, b = binary.BigEndian.Uint16(b[2:]), b[4:]
		}
	case pcapio.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return f, false
		}
		etype, b = binary.BigEndian.Uint16(b[14:]), b[16:]
	case pcapio.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return f, false
		}
		etype, b = binary.BigEndian.Uint16(b[0:]), b[20:]
	case pcapio.LinkTypeRaw, pcapio.LinkTypeIPv4, pcapio.LinkTypeIPv6:
		if len(b) < 1 {
			return f, false
		}
		switch b[0] >> 4 {
		case 4:
			etype = etherIPv4
		case 6:
			etype = etherIPv6
		}
	default:
		return f, false
	}
	var l4 []byte
	switch etype {
	case etherIPv4:
		if len(b) < 20 || b[0]>>4 != 4 {
			return f, false
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl || binary.BigEndian.Uint16(b[6:])&0x1fff != 0 {
			return f, false
		}
		f.Proto = b[9]
		src, dst := netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		f.Src, f.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		l4 = b[ihl:]
	case etherIPv6:
		if len(b) < 40 || b[0]>>4 != 6 {
			return f, false
		}
		f.Proto = b[6]
		src, dst := netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		f.Src, f.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		l4 = b[40:]
		// Hop-by-hop, routing and destination options may come first.
		for i := 0; i < 4 && (f.Proto == 0 || f.Proto == 43 || f.Proto == 60); i++ {
			if len(l4) < 8 {
				return f, false
			}
			f.Proto, l4 = l4[0], l4[min(8+int(l4[1])*8, len(l4)):]
		}
	default:
		return f, false
	}
	if (f.Proto != protoTCP && f.Proto != protoUDP) || len(l4) < 4 {
		return f, false
	}
	f.Src = netip.AddrPortFrom(f.Src.Addr(), binary.BigEndian.Uint16(l4))
	f.Dst = netip.AddrPortFrom(f.Dst.Addr(), binary.BigEndian.Uint16(l4[2:]))
	return f, true
}
