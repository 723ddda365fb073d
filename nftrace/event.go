package nftrace

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/netdiag/netdiag/dropmon"
)

// Kinds of trace events (enum nft_trace_types).
const (
	KindRule   = "rule"   // a rule matched; Verdict says what it did
	KindReturn = "return" // the end of a regular chain: back to the caller
	KindPolicy = "policy" // the end of a base chain: its policy applies
)

// Event is one NFT_MSG_TRACE message: a traced packet passing one point of
// one chain.
type Event struct {
	ID      uint32 `json:"id"`     // the same for every event of one packet
	Family  string `json:"family"` // the table's: ip, ip6, inet, …
	Table   string `json:"table"`
	Chain   string `json:"chain"`
	Kind    string `json:"kind"`             // rule, return, policy
	Handle  uint64 `json:"handle,omitempty"` // the rule's, for KindRule
	Verdict string `json:"verdict"`          // accept, drop, continue, jump X, goto X, return, queue N, …
	// NFProto is the packet's protocol family (NFPROTO_IPV4 2, IPV6 10);
	// it differs from Family in inet tables.
	NFProto   uint8  `json:"-"`
	IIF       uint32 `json:"iif,omitempty"`
	OIF       uint32 `json:"oif,omitempty"`
	Mark      uint32 `json:"mark,omitempty"`
	Network   []byte `json:"-"` // the network header, in the first event of each hook
	Transport []byte `json:"-"`
}

// Packet decodes the headers an event carries (the first event of each
// hook has them): addresses, protocol and ports. The kernel sends at most
// 40 bytes of network header and 20 of transport header
// (nf_tables_trace.c), so ports come only when the network header is whole.
func (e Event) Packet() (dropmon.Packet, bool) {
	n := e.Network
	var p dropmon.Packet
	var proto byte
	switch {
	case len(n) >= 20 && n[0]>>4 == 4:
		p.Src, p.Dst = netip.AddrFrom4([4]byte(n[12:16])), netip.AddrFrom4([4]byte(n[16:20]))
		proto = n[9]
		ihl := int(n[0]&0x0f) * 4
		if ihl > len(n) || binary.BigEndian.Uint16(n[6:])&0x1fff != 0 {
			p.Proto = protoName(proto)
			return p, true
		}
	case len(n) >= 40 && n[0]>>4 == 6:
		p.Src, p.Dst = netip.AddrFrom16([16]byte(n[8:24])), netip.AddrFrom16([16]byte(n[24:40]))
		proto = n[6]
	default:
		return dropmon.Packet{}, false
	}
	p.Proto = protoName(proto)
	switch proto {
	case 6, 17, 132, 136:
		if len(e.Transport) >= 4 {
			p.SrcPort, p.DstPort = binary.BigEndian.Uint16(e.Transport), binary.BigEndian.Uint16(e.Transport[2:])
		}
	}
	return p, true
}

func protoName(p byte) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "icmp6"
	case 132:
		return "sctp"
	}
	return "ip-proto-" + strconv.Itoa(int(p))
}
