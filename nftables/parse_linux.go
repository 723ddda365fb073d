package nftables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/nfexpr"
	"github.com/netdiag/netdiag/internal/nfnl"
)

// Netlink attribute numbers that golang.org/x/sys/unix does not name.
const (
	nftaTableUserdata = 6
	nftaChainUserdata = 12
	nftaSetElemKeyEnd = 9

	udataComment     = 0 // table, chain, rule and element comments
	udataSetKeyOrder = 0
	udataSetComment  = 7

	nftSetConcat = 0x80
)

func nftFamilyName(f uint8) string {
	switch f {
	case unix.NFPROTO_IPV4:
		return "ip"
	case unix.NFPROTO_IPV6:
		return "ip6"
	case unix.NFPROTO_INET:
		return "inet"
	case unix.NFPROTO_ARP:
		return "arp"
	case unix.NFPROTO_BRIDGE:
		return "bridge"
	case unix.NFPROTO_NETDEV:
		return "netdev"
	}
	return "family" + strconv.Itoa(int(f))
}

// nftFamilyNumber is the inverse of nftFamilyName.
func nftFamilyNumber(s string) (uint8, bool) {
	for _, f := range []uint8{unix.NFPROTO_IPV4, unix.NFPROTO_IPV6, unix.NFPROTO_INET, unix.NFPROTO_ARP, unix.NFPROTO_BRIDGE, unix.NFPROTO_NETDEV} {
		if nftFamilyName(f) == s {
			return f, true
		}
	}
	return 0, false
}

var nftHookNames = map[string][]string{
	"ip":     {"prerouting", "input", "forward", "output", "postrouting"},
	"ip6":    {"prerouting", "input", "forward", "output", "postrouting"},
	"inet":   {"prerouting", "input", "forward", "output", "postrouting", "ingress"},
	"bridge": {"prerouting", "input", "forward", "output", "postrouting"},
	"arp":    {"input", "output", "forward"},
	"netdev": {"ingress", "egress"},
}

// udataComment finds the comment TLV (type t) in nftables user data:
// one type byte, one length byte, the value with its NUL.
func udataString(b []byte, want byte) string {
	for len(b) >= 2 {
		t, l := b[0], int(b[1])
		if len(b) < 2+l {
			return ""
		}
		if t == want {
			return strings.TrimRight(string(b[2:2+l]), "\x00")
		}
		b = b[2+l:]
	}
	return ""
}

func udataUint32(b []byte, want byte) (uint32, bool) {
	for len(b) >= 2 {
		t, l := b[0], int(b[1])
		if len(b) < 2+l {
			return 0, false
		}
		if t == want && l == 4 {
			return binary.NativeEndian.Uint32(b[2:6]), true
		}
		b = b[2+l:]
	}
	return 0, false
}

func newDecoder(b []byte) (*netlink.AttributeDecoder, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, err
	}
	ad.ByteOrder = binary.BigEndian
	return ad, nil
}

// nfgen strips the 4-byte nfgenmsg header and returns its family.
func nfgen(data []byte) (uint8, []byte, error) {
	if len(data) < 4 {
		return 0, nil, errors.New("short nfgenmsg")
	}
	return data[0], data[4:], nil
}

// parseNFTTable decodes one NFT_MSG_NEWTABLE message.
func parseNFTTable(data []byte) (Table, uint8, error) {
	fam, b, err := nfgen(data)
	if err != nil {
		return Table{}, 0, err
	}
	t := Table{Family: nftFamilyName(fam)}
	ad, err := newDecoder(b)
	if err != nil {
		return t, fam, err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_TABLE_NAME:
			t.Name = ad.String()
		case unix.NFTA_TABLE_FLAGS:
			f := ad.Uint32()
			if f&unix.NFT_TABLE_F_DORMANT != 0 {
				t.Flags = append(t.Flags, "dormant")
			}
			if f&2 != 0 {
				t.Flags = append(t.Flags, "owner")
			}
		case nftaTableUserdata:
			t.Comment = udataString(ad.Bytes(), udataComment)
		}
	}
	return t, fam, ad.Err()
}

// parseNFTChain decodes one NFT_MSG_NEWCHAIN message; it returns the family
// and table name too.
func parseNFTChain(data []byte) (Chain, uint8, string, error) {
	fam, b, err := nfgen(data)
	if err != nil {
		return Chain{}, 0, "", err
	}
	var c Chain
	var table string
	ad, err := newDecoder(b)
	if err != nil {
		return c, fam, "", err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_CHAIN_TABLE:
			table = ad.String()
		case unix.NFTA_CHAIN_NAME:
			c.Name = ad.String()
		case unix.NFTA_CHAIN_TYPE:
			c.Type = ad.String()
		case unix.NFTA_CHAIN_POLICY:
			if ad.Uint32() == 0 {
				c.Policy = "drop"
			} else {
				c.Policy = "accept"
			}
		case unix.NFTA_CHAIN_HOOK:
			ad.Nested(func(nd *netlink.AttributeDecoder) error {
				for nd.Next() {
					switch nd.Type() {
					case unix.NFTA_HOOK_HOOKNUM:
						n := int(nd.Uint32())
						hooks := nftHookNames[nftFamilyName(fam)]
						if n < len(hooks) {
							c.Hook = hooks[n]
						} else {
							c.Hook = "hook" + strconv.Itoa(n)
						}
					case unix.NFTA_HOOK_PRIORITY:
						p := int32(nd.Uint32())
						c.Priority = &p
					}
				}
				return nil
			})
		case nftaChainUserdata:
			c.Comment = udataString(ad.Bytes(), udataComment)
		}
	}
	if c.Hook == "" {
		c.Type, c.Policy, c.Priority = "", "", nil
	}
	return c, fam, table, ad.Err()
}

// parseNFTSet decodes one NFT_MSG_NEWSET message; it returns the table name.
func parseNFTSet(data []byte) (Set, string, error) {
	_, b, err := nfgen(data)
	if err != nil {
		return Set{}, "", err
	}
	var s Set
	var table string
	var flags, keyType uint32
	ad, err := newDecoder(b)
	if err != nil {
		return s, "", err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_SET_TABLE:
			table = ad.String()
		case unix.NFTA_SET_NAME:
			s.Name = ad.String()
		case unix.NFTA_SET_ID:
			s.id = ad.Uint32()
		case unix.NFTA_SET_FLAGS:
			flags = ad.Uint32()
		case unix.NFTA_SET_KEY_TYPE:
			keyType = ad.Uint32()
		case unix.NFTA_SET_KEY_LEN:
			s.keyLen = ad.Uint32()
		case unix.NFTA_SET_DATA_TYPE:
			s.dataTypeID = ad.Uint32()
		case unix.NFTA_SET_TIMEOUT:
			s.Timeout = time.Duration(ad.Uint64()) * time.Millisecond
		case unix.NFTA_SET_USERDATA:
			u := ad.Bytes()
			s.Comment = udataString(u, udataSetComment)
			if v, ok := udataUint32(u, udataSetKeyOrder); ok && v == 1 {
				s.keyByteOrderLE = true
			}
		}
	}
	s.Map = flags&unix.NFT_SET_MAP != 0
	s.Anonymous = flags&unix.NFT_SET_ANONYMOUS != 0
	s.interval = flags&unix.NFT_SET_INTERVAL != 0
	if flags&unix.NFT_SET_CONSTANT != 0 && !s.Anonymous {
		s.Flags = append(s.Flags, "constant")
	}
	if s.interval && !s.Anonymous {
		s.Flags = append(s.Flags, "interval")
	}
	if flags&unix.NFT_SET_EVAL != 0 {
		s.Flags = append(s.Flags, "dynamic")
	}
	if flags&unix.NFT_SET_TIMEOUT != 0 {
		s.Flags = append(s.Flags, "timeout")
	}
	s.keyTypes = splitConcatType(keyType, flags&nftSetConcat != 0 || keyType > 63)
	for _, t := range s.keyTypes {
		s.KeyType = append(s.KeyType, nftTypeName(t))
	}
	if s.Map {
		if s.dataTypeID == 0xffffff00 {
			s.DataType = "verdict"
		} else {
			s.DataType = nftTypeName(s.dataTypeID)
		}
	}
	return s, table, ad.Err()
}

// splitConcatType splits a concatenated datatype: 6 bits per part, first part
// in the highest bits.
func splitConcatType(t uint32, concat bool) []uint32 {
	if !concat || t < 64 {
		return []uint32{t}
	}
	var parts []uint32
	for t != 0 {
		parts = append([]uint32{t & 0x3f}, parts...)
		t >>= 6
	}
	return parts
}

var nftTypeNames = map[uint32]string{
	1: "verdict", 2: "nf_proto", 3: "bitmask", 4: "integer", 5: "string", 6: "ll_addr",
	7: "ipv4_addr", 8: "ipv6_addr", 9: "ether_addr", 10: "ether_type", 12: "inet_proto",
	13: "inet_service", 14: "icmp_type", 15: "tcp_flag", 19: "mark", 20: "iface_index",
	24: "uid", 25: "gid", 26: "ct_state", 31: "pkt_type", 35: "devgroup", 36: "dscp",
	38: "fib_addrtype", 41: "ifname",
}

func nftTypeName(t uint32) string {
	if n, ok := nftTypeNames[t]; ok {
		return n
	}
	return "type" + strconv.Itoa(int(t))
}

// parseNFTElements decodes one NFT_MSG_NEWSETELEM message of set s.
func parseNFTElements(data []byte, s *Set) error {
	_, b, err := nfgen(data)
	if err != nil {
		return err
	}
	return parseNFTElementsAttrs(b, s)
}

// parseNFTElementsAttrs decodes the attributes of a set element message.
func parseNFTElementsAttrs(b []byte, s *Set) error {
	ad, err := newDecoder(b)
	if err != nil {
		return err
	}
	for ad.Next() {
		if ad.Type() != unix.NFTA_SET_ELEM_LIST_ELEMENTS {
			continue
		}
		ad.Nested(func(ld *netlink.AttributeDecoder) error {
			for ld.Next() {
				if ld.Type() != unix.NFTA_LIST_ELEM {
					continue
				}
				var e rawElem
				ld.Nested(func(ed *netlink.AttributeDecoder) error {
					for ed.Next() {
						switch ed.Type() {
						case unix.NFTA_SET_ELEM_KEY:
							e.key = nftDataValue(ed.Bytes())
						case nftaSetElemKeyEnd:
							e.keyEnd = nftDataValue(ed.Bytes())
						case unix.NFTA_SET_ELEM_DATA:
							e.value = s.formatData(ed.Bytes())
						case unix.NFTA_SET_ELEM_FLAGS:
							e.end = ed.Uint32()&unix.NFT_SET_ELEM_INTERVAL_END != 0
						case unix.NFTA_SET_ELEM_USERDATA:
							e.comment = udataString(ed.Bytes(), udataComment)
						}
					}
					return nil
				})
				s.raw = append(s.raw, e)
			}
			return nil
		})
	}
	return ad.Err()
}

// finish turns the raw elements into Elements. Interval sets without
// NFTA_SET_ELEM_KEY_END store each range as a start element and an end
// element flagged INTERVAL_END whose key is one past the range; they are
// paired here by sorting.
func (s *Set) finish() {
	raw := s.raw
	s.raw = nil
	if !s.interval {
		s.sortRaw(raw)
		for _, r := range raw {
			if r.end {
				continue
			}
			s.Elements = append(s.Elements, s.element(r.key, r.keyEnd, r))
		}
		return
	}
	var starts, ends []rawElem
	for _, r := range raw {
		switch {
		case r.end:
			ends = append(ends, r)
		default:
			starts = append(starts, r)
		}
	}
	less := func(a, b []byte) bool { return string(a) < string(b) }
	sort.Slice(starts, func(i, j int) bool { return less(starts[i].key, starts[j].key) })
	sort.Slice(ends, func(i, j int) bool { return less(ends[i].key, ends[j].key) })
	for i, r := range starts {
		last := r.keyEnd
		if last == nil {
			// The end is the first end element above this start.
			for _, e := range ends {
				if less(r.key, e.key) && (i+1 >= len(starts) || !less(starts[i+1].key, e.key)) {
					last = minusOne(e.key)
					break
				}
			}
			if last == nil {
				last = allOnes(len(r.key))
			}
		}
		s.Elements = append(s.Elements, s.element(r.key, last, r))
	}
}

func (s *Set) element(key, last []byte, r rawElem) Element {
	e := Element{Value: r.value, Comment: r.comment}
	if last != nil && len(s.keyTypes) == 1 && (s.keyTypes[0] == 7 || s.keyTypes[0] == 8) {
		if n, ok := prefixOf(key, last); ok {
			e.Key = []string{formatTyped(s.keyTypes[0], key, false)}
			if n != len(key)*8 {
				e.Key[0] += "/" + strconv.Itoa(n)
			}
			return e
		}
	}
	e.Key = s.formatKey(key)
	if last != nil && string(last) != string(key) {
		e.KeyEnd = s.formatKey(last)
	}
	return e
}

func minusOne(b []byte) []byte {
	out := append([]byte(nil), b...)
	for i := len(out) - 1; i >= 0; i-- {
		out[i]--
		if out[i] != 0xff {
			break
		}
	}
	return out
}

func allOnes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xff
	}
	return b
}

// prefixOf reports whether first..last is exactly one CIDR prefix.
func prefixOf(first, last []byte) (int, bool) {
	if len(first) != len(last) {
		return 0, false
	}
	bits := 0
	i := 0
	for ; i < len(first) && first[i] == last[i]; i++ {
		bits += 8
	}
	if i == len(first) {
		return bits, true
	}
	x := first[i] ^ last[i]
	// x must be 0…01…1, first's low bits 0 and last's 1.
	if x&(x+1) != 0 || first[i]&x != 0 || last[i]&x != x {
		return 0, false
	}
	for b := x; b != 0; b >>= 1 {
		bits--
	}
	bits += 8
	for j := i + 1; j < len(first); j++ {
		if first[j] != 0 || last[j] != 0xff {
			return 0, false
		}
	}
	return bits, true
}

// nftDataValue unwraps NFTA_DATA_VALUE.
func nftDataValue(b []byte) []byte {
	ad, err := newDecoder(b)
	if err != nil {
		return nil
	}
	for ad.Next() {
		if ad.Type() == unix.NFTA_DATA_VALUE {
			return ad.Bytes()
		}
	}
	return nil
}

func (s *Set) formatKey(b []byte) []string {
	if len(s.keyTypes) <= 1 {
		t := uint32(0)
		if len(s.keyTypes) == 1 {
			t = s.keyTypes[0]
		}
		return []string{formatTyped(t, b, s.keyByteOrderLE)}
	}
	var out []string
	for _, t := range s.keyTypes {
		n := typeLen(t)
		if len(b) < n {
			out = append(out, "?")
			break
		}
		out = append(out, formatTyped(t, b[:n], false))
		pad := (n + 3) &^ 3
		if pad > len(b) {
			pad = len(b)
		}
		b = b[pad:]
	}
	return out
}

func (s *Set) formatData(b []byte) string {
	ad, err := newDecoder(b)
	if err != nil {
		return "?"
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_DATA_VALUE:
			return formatTyped(s.dataTypeID, ad.Bytes(), false)
		case unix.NFTA_DATA_VERDICT:
			return parseVerdict(ad.Bytes())
		}
	}
	return "?"
}

func parseVerdict(b []byte) string {
	ad, err := newDecoder(b)
	if err != nil {
		return "?"
	}
	var code int32
	var chain string
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_VERDICT_CODE:
			code = int32(ad.Uint32())
		case unix.NFTA_VERDICT_CHAIN:
			chain = ad.String()
		}
	}
	return nfexpr.VerdictString(code, chain)
}

// formatTyped prints a value of an nft datatype.
func formatTyped(t uint32, b []byte, hostOrder bool) string {
	switch t {
	case 7: // ipv4_addr
		if len(b) == 4 {
			return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
		}
	case 8:
		if len(b) == 16 {
			return formatIPv6(b)
		}
	case 12: // inet_proto
		if len(b) >= 1 {
			return protoName(b[0])
		}
	case 13: // inet_service
		if len(b) == 2 {
			return strconv.Itoa(int(binary.BigEndian.Uint16(b)))
		}
	case 19: // mark
		if len(b) == 4 {
			return fmt.Sprintf("0x%08x", binary.NativeEndian.Uint32(b))
		}
	case 41: // ifname
		return strconv.Quote(strings.TrimRight(string(b), "\x00"))
	case 9:
		if len(b) == 6 {
			return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
		}
	case 4: // integer
		switch len(b) {
		case 1:
			return strconv.Itoa(int(b[0]))
		case 2:
			if hostOrder {
				return strconv.Itoa(int(binary.NativeEndian.Uint16(b)))
			}
			return strconv.Itoa(int(binary.BigEndian.Uint16(b)))
		case 4:
			if hostOrder {
				return strconv.FormatUint(uint64(binary.NativeEndian.Uint32(b)), 10)
			}
			return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b)), 10)
		}
	}
	return fmt.Sprintf("0x%x", b)
}

func formatIPv6(b []byte) string {
	var a [16]byte
	copy(a[:], b)
	return netip.AddrFrom16(a).String()
}

var protoNames = map[byte]string{1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 33: "dccp", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp", 136: "udplite"}

func protoName(p byte) string {
	if n, ok := protoNames[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}

// nftRawRule is a rule as it comes from the kernel. Its byte slices point
// into the message.
type nftRawRule struct {
	table, chain string
	handle       uint64
	exprs        []nfexpr.Expr
	userdata     []byte
}

// parseNFTRule decodes one NFT_MSG_NEWRULE message.
func parseNFTRule(data []byte) (nftRawRule, error) {
	_, b, err := nfgen(data)
	if err != nil {
		return nftRawRule{}, err
	}
	return parseNFTRuleAttrs(b, nil)
}

// parseNFTRuleAttrs decodes the attributes of a rule into exprs[:0], which
// it hands back in the rule for reuse.
func parseNFTRuleAttrs(b []byte, exprs []nfexpr.Expr) (nftRawRule, error) {
	r := nftRawRule{exprs: exprs[:0]}
	a := nfnl.Attrs{B: b}
	for a.Next() {
		switch a.Type {
		case unix.NFTA_RULE_TABLE:
			r.table = nfnl.String(a.Val)
		case unix.NFTA_RULE_CHAIN:
			r.chain = nfnl.String(a.Val)
		case unix.NFTA_RULE_HANDLE:
			h, ok := nfnl.BE64(a.Val)
			if !ok {
				return r, errors.New("rule handle of unexpected size")
			}
			r.handle = h
		case unix.NFTA_RULE_USERDATA:
			r.userdata = a.Val
		case unix.NFTA_RULE_EXPRESSIONS:
			l := nfnl.Attrs{B: a.Val}
			for l.Next() {
				if l.Type != unix.NFTA_LIST_ELEM {
					continue
				}
				r.exprs = append(r.exprs, nfexpr.Expr{})
				if err := decodeNFTExpr(l.Val, &r.exprs[len(r.exprs)-1]); err != nil {
					return r, err
				}
			}
			if l.Bad {
				return r, errors.New("malformed rule expressions")
			}
		}
	}
	if a.Bad {
		return r, errors.New("malformed rule attributes")
	}
	return r, nil
}

// decodeNFTExpr decodes one expression and turns what the renderer has no
// text for into kind Other ("# unknown expression NAME"). That includes
// what google/nftables v0.2.0, the previous decoder, could not decode, so
// that rule text stays as it was: byteorder and rt expressions, limits
// with an unknown unit, type or attribute, and ct's NFTA_CT_SREG, which it
// ignored (TODO: render these as nft does, with tests against nft).
func decodeNFTExpr(b []byte, e *nfexpr.Expr) error {
	if err := nfexpr.Decode(b, e); err != nil {
		return err
	}
	if !e.HasData {
		return nil
	}
	switch e.Kind {
	case nfexpr.Match, nfexpr.Target, nfexpr.Notrack:
		return nil // the name is all the renderer prints
	case nfexpr.Byteorder, nfexpr.Rt:
		e.Kind = nfexpr.Other
	case nfexpr.Limit:
		switch e.Unit {
		case 1, 60, 60 * 60, 60 * 60 * 24, 60 * 60 * 24 * 7:
		default:
			e.Kind = nfexpr.Other
		}
		if e.Type > unix.NFT_LIMIT_PKT_BYTES || e.Seen&^(1<<nfexpr.LimitRate|1<<nfexpr.LimitUnit|1<<nfexpr.LimitBurst|1<<nfexpr.LimitType|1<<nfexpr.LimitFlags) != 0 {
			e.Kind = nfexpr.Other
		}
	case nfexpr.Ct:
		if e.Write {
			e.Write, e.SReg = false, 0
		}
	}
	if e.Malformed {
		e.Kind = nfexpr.Other
	}
	return nil
}

// sortRaw orders elements like nft prints them: by key value, where a
// concatenation or a host-order key is compared as one little-endian number
// and other keys as big-endian numbers.
func (s *Set) sortRaw(raw []rawElem) {
	le := len(s.keyTypes) > 1 || s.keyByteOrderLE
	sort.SliceStable(raw, func(i, j int) bool {
		a, b := raw[i].key, raw[j].key
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		if !le {
			return string(a) < string(b)
		}
		for k := len(a) - 1; k >= 0; k-- {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
}
