package nftrace

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/nfexpr"
)

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
