package dropmon

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mdlayher/netlink"
)

// NET_DM commands and attributes (include/uapi/linux/net_dropmon.h).
const (
	netdmCmdStart       = 3
	netdmCmdStop        = 4
	netdmCmdPacketAlert = 5
	netdmCmdConfig      = 2
	netdmCmdConfigGet   = 6
	netdmCmdConfigNew   = 7

	netdmAttrAlertMode = 1
	netdmAttrPC        = 2
	netdmAttrSymbol    = 3
	netdmAttrInPort    = 4
	netdmAttrTimestamp = 5
	netdmAttrProto     = 6
	netdmAttrPayload   = 7
	netdmAttrTruncLen  = 9
	netdmAttrOrigLen   = 10
	netdmAttrQueueLen  = 11
	netdmAttrOrigin    = 14
	netdmAttrTrapGroup = 15
	netdmAttrTrapName  = 16
	netdmAttrSWDrops   = 20
	netdmAttrReason    = 23

	netdmPortIfindex = 0
	netdmPortName    = 1

	netdmModeSummary = 0
	netdmModePacket  = 1

	netdmOriginSW = 0
	netdmOriginHW = 1
)

// netdmStateDir holds the record of a run that changed the drop monitor;
// a var so tests can use a directory of their own.
var netdmStateDir = "/run/netdiag"

// Alert is one NET_DM_CMD_PACKET_ALERT: a dropped packet as the drop
// monitor reports it in packet mode.
type Alert struct {
	Origin    uint16 // 0 software, 1 hardware (devlink trap)
	PC        uint64
	Symbol    string // %pS of PC: "nf_hook_slow+0x9c/0x150"
	IfIndex   uint32 // skb_iif; 0 when unknown
	IfName    string
	Timestamp time.Time
	OrigLen   uint32
	Proto     uint16 // skb->protocol in host order
	Payload   []byte // from the MAC header, at most the configured trunc_len
	Reason    string // since Linux 5.18
	TrapGroup string // hardware drops
	TrapName  string
}

// DecodeAlert reads the attributes of a NET_DM packet alert (the generic
// netlink message's data, after the genl header).
func DecodeAlert(b []byte) (Alert, error) {
	var a Alert
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return Alert{}, fmt.Errorf("decode NET_DM alert: %w", err)
	}
	ad.ByteOrder = binary.NativeEndian
	for ad.Next() {
		switch ad.Type() {
		case netdmAttrOrigin:
			a.Origin = ad.Uint16()
		case netdmAttrPC:
			a.PC = ad.Uint64()
		case netdmAttrSymbol:
			a.Symbol = ad.String()
		case netdmAttrInPort:
			ad.Nested(func(nd *netlink.AttributeDecoder) error {
				for nd.Next() {
					switch nd.Type() {
					case netdmPortIfindex:
						a.IfIndex = nd.Uint32()
					case netdmPortName:
						a.IfName = nd.String()
					}
				}
				return nil
			})
		case netdmAttrTimestamp:
			if ns := ad.Uint64(); ns != 0 && ns < 1<<62 {
				a.Timestamp = time.Unix(0, int64(ns)).UTC()
			}
		case netdmAttrOrigLen:
			a.OrigLen = ad.Uint32()
		case netdmAttrProto:
			a.Proto = ad.Uint16()
		case netdmAttrPayload:
			a.Payload = append([]byte(nil), ad.Bytes()...)
		case netdmAttrReason:
			a.Reason = ad.String()
		case netdmAttrTrapGroup:
			a.TrapGroup = ad.String()
		case netdmAttrTrapName:
			a.TrapName = ad.String()
		}
	}
	if err := ad.Err(); err != nil {
		return Alert{}, fmt.Errorf("decode NET_DM alert: %w", err)
	}
	return a, nil
}

// Drop turns an alert into a Drop. A kernel before 5.18 sends no reason:
// it is then "UNKNOWN". Hardware drops are named by their devlink trap.
func (a Alert) Drop() Drop {
	d := Drop{Location: a.PC, Symbol: a.Symbol, Protocol: a.Proto, ReasonName: normalizeReason(a.Reason)}
	if a.Origin == netdmOriginHW {
		d.ReasonName = "HW:" + a.TrapName
		d.Symbol = a.TrapGroup
	}
	if d.ReasonName == "" {
		d.ReasonName = "UNKNOWN"
	}
	if p, ok := DecodePacket(a.Proto, a.Payload); ok {
		p.IfIndex = int(a.IfIndex)
		p.Len = a.OrigLen
		d.Packet = &p
	}
	return d
}

// symbolFunction is the function of a %pS string: "nf_hook_slow+0x9c/0x150"
// → "nf_hook_slow".
func symbolFunction(s string) string {
	if i := strings.IndexByte(s, '+'); i > 0 {
		return s[:i]
	}
	return s
}

// Packet is what the first bytes of a dropped packet say.
type Packet struct {
	Src     netip.Addr `json:"src,omitzero"`
	Dst     netip.Addr `json:"dst,omitzero"`
	Proto   string     `json:"proto,omitempty"` // tcp, udp, icmp, …
	SrcPort uint16     `json:"srcPort,omitempty"`
	DstPort uint16     `json:"dstPort,omitempty"`
	IfIndex int        `json:"ifindex,omitempty"` // the device it arrived on
	Len     uint32     `json:"len,omitempty"`     // its length before truncation
}

// Has reports whether the packet is from or to one of addrs.
func (p *Packet) Has(addrs map[netip.Addr]bool) bool {
	return p != nil && (addrs[p.Src] || addrs[p.Dst])
}

// String prints "tcp 198.18.0.1:40000 > 198.18.0.2:80".
func (p Packet) String() string {
	hp := func(a netip.Addr, port uint16) string {
		if port == 0 {
			return a.String()
		}
		return netip.AddrPortFrom(a, port).String()
	}
	return fmt.Sprintf("%s %s > %s", p.Proto, hp(p.Src, p.SrcPort), hp(p.Dst, p.DstPort))
}

// DecodePacket reads addresses and ports from a payload that starts at the
// MAC header, as NET_DM sends it. An Ethernet header (with at most one
// VLAN tag) is recognised by proto in its EtherType field; devices without
// one (ip tunnels) start at the IP header.
func DecodePacket(proto uint16, b []byte) (Packet, bool) {
	l3 := b
	switch {
	case len(b) >= 14 && binary.BigEndian.Uint16(b[12:]) == proto:
		l3 = b[14:]
	case len(b) >= 18 && binary.BigEndian.Uint16(b[12:]) == 0x8100 && binary.BigEndian.Uint16(b[16:]) == proto:
		l3 = b[18:]
	}
	switch proto {
	case 0x0800:
		return decodeIPv4(l3)
	case 0x86dd:
		return decodeIPv6(l3)
	}
	return Packet{}, false
}

func decodeIPv4(b []byte) (Packet, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return Packet{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || ihl > len(b) {
		return Packet{}, false
	}
	p := Packet{Src: netip.AddrFrom4([4]byte(b[12:16])), Dst: netip.AddrFrom4([4]byte(b[16:20])), Proto: ipProtoName(b[9])}
	if binary.BigEndian.Uint16(b[6:])&0x1fff == 0 { // first fragment: ports follow
		p.SrcPort, p.DstPort = ports(b[9], b[ihl:])
	}
	return p, true
}

func decodeIPv6(b []byte) (Packet, bool) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return Packet{}, false
	}
	p := Packet{Src: netip.AddrFrom16([16]byte(b[8:24])), Dst: netip.AddrFrom16([16]byte(b[24:40]))}
	next, rest := b[6], b[40:]
	// At most 8 extension headers; real packets have one or two.
hdrs:
	for range 8 {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(rest) < 8 {
				p.Proto = ipProtoName(next)
				return p, true
			}
			n := (int(rest[1]) + 1) * 8
			if n > len(rest) {
				p.Proto = ipProtoName(next)
				return p, true
			}
			next, rest = rest[0], rest[n:]
			continue
		case 44: // fragment
			if len(rest) < 8 {
				p.Proto = ipProtoName(next)
				return p, true
			}
			first := binary.BigEndian.Uint16(rest[2:])&0xfff8 == 0
			next, rest = rest[0], rest[8:]
			if !first {
				p.Proto = ipProtoName(next)
				return p, true
			}
			continue
		}
		break hdrs
	}
	p.Proto = ipProtoName(next)
	p.SrcPort, p.DstPort = ports(next, rest)
	return p, true
}

// ports reads the ports of TCP, UDP, UDP-Lite, SCTP and DCCP headers.
func ports(proto byte, b []byte) (uint16, uint16) {
	switch proto {
	case 6, 17, 33, 132, 136:
		if len(b) >= 4 {
			return binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		}
	}
	return 0, 0
}

func ipProtoName(p byte) string {
	switch p {
	case 1:
		return "icmp"
	case 2:
		return "igmp"
	case 4:
		return "ipip"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 41:
		return "ipv6"
	case 47:
		return "gre"
	case 50:
		return "esp"
	case 58:
		return "icmp6"
	case 132:
		return "sctp"
	}
	return "ip-proto-" + strconv.Itoa(int(p))
}
