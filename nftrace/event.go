package nftrace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/dropmon"
	"github.com/netdiag/netdiag/internal/nfexpr"
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

// nftaVerdictCode and nftaVerdictChain are the attributes of a nested
// verdict (enum nft_verdict_attributes).
const (
	nftaVerdictCode  = 1
	nftaVerdictChain = 2
)

// nfgenmsgLen is the length of struct nfgenmsg before the attributes.
const nfgenmsgLen = 4

var errNotTrace = errors.New("not an NFT_MSG_TRACE message")

// DecodeEvent reads the data of an NFT_MSG_TRACE message: struct nfgenmsg,
// then attributes with big-endian integers.
func DecodeEvent(b []byte) (Event, error) {
	if len(b) < nfgenmsgLen {
		return Event{}, fmt.Errorf("decode nft trace: %d bytes, no nfgenmsg", len(b))
	}
	e := Event{Family: familyName(b[0])}
	ad, err := netlink.NewAttributeDecoder(b[nfgenmsgLen:])
	if err != nil {
		return Event{}, fmt.Errorf("decode nft trace: %w", err)
	}
	ad.ByteOrder = binary.BigEndian
	var code int32
	var target string
	var policy uint32
	haveVerdict, havePolicy, haveID := false, false, false
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_TRACE_TABLE:
			e.Table = ad.String()
		case unix.NFTA_TRACE_CHAIN:
			e.Chain = ad.String()
		case unix.NFTA_TRACE_RULE_HANDLE:
			e.Handle = ad.Uint64()
		case unix.NFTA_TRACE_TYPE:
			switch ad.Uint32() {
			case unix.NFT_TRACETYPE_RULE:
				e.Kind = KindRule
			case unix.NFT_TRACETYPE_RETURN:
				e.Kind = KindReturn
			case unix.NFT_TRACETYPE_POLICY:
				e.Kind = KindPolicy
			}
		case unix.NFTA_TRACE_VERDICT:
			ad.Nested(func(nd *netlink.AttributeDecoder) error {
				for nd.Next() {
					switch nd.Type() {
					case nftaVerdictCode:
						code, haveVerdict = int32(nd.Uint32()), true
					case nftaVerdictChain:
						target = nd.String()
					}
				}
				return nil
			})
		case unix.NFTA_TRACE_ID:
			e.ID, haveID = ad.Uint32(), true
		case unix.NFTA_TRACE_NETWORK_HEADER:
			e.Network = append([]byte(nil), ad.Bytes()...)
		case unix.NFTA_TRACE_TRANSPORT_HEADER:
			e.Transport = append([]byte(nil), ad.Bytes()...)
		case unix.NFTA_TRACE_IIF:
			e.IIF = ad.Uint32()
		case unix.NFTA_TRACE_OIF:
			e.OIF = ad.Uint32()
		case unix.NFTA_TRACE_MARK:
			e.Mark = ad.Uint32()
		case unix.NFTA_TRACE_NFPROTO:
			e.NFProto = uint8(ad.Uint32())
		case unix.NFTA_TRACE_POLICY:
			policy, havePolicy = ad.Uint32(), true
		}
	}
	if err := ad.Err(); err != nil {
		return Event{}, fmt.Errorf("decode nft trace: %w", err)
	}
	if !haveID || e.Table == "" || e.Chain == "" {
		return Event{}, fmt.Errorf("decode nft trace: %w: no id, table or chain", errNotTrace)
	}
	switch {
	case e.Kind == KindPolicy && havePolicy:
		e.Verdict = nfexpr.VerdictString(int32(policy), "")
	case haveVerdict:
		e.Verdict = nfexpr.VerdictString(code, target)
	}
	if e.Kind == "" {
		e.Kind = "unknown"
	}
	return e, nil
}

func familyName(f uint8) string {
	switch f {
	case unix.NFPROTO_INET:
		return "inet"
	case unix.NFPROTO_IPV4:
		return "ip"
	case unix.NFPROTO_IPV6:
		return "ip6"
	case unix.NFPROTO_ARP:
		return "arp"
	case unix.NFPROTO_BRIDGE:
		return "bridge"
	case unix.NFPROTO_NETDEV:
		return "netdev"
	}
	return "family-" + strconv.Itoa(int(f))
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
