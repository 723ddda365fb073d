package nftrace

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Filter selects the packets to trace; a zero field matches anything.
type Filter struct {
	// Addrs: packets from or to any of these (a pod's addresses).
	Addrs    []netip.Addr
	Src, Dst netip.Addr
	// Proto is tcp, udp, icmp, icmp6 or sctp.
	Proto            string
	SrcPort, DstPort uint16
}

var protoNumbers = map[string]byte{"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "icmpv6": 58, "sctp": 132}

// String prints the filter as nft match expressions.
func (f Filter) String() string {
	var parts []string
	if len(f.Addrs) > 0 {
		var as []string
		for _, a := range f.Addrs {
			as = append(as, a.String())
		}
		parts = append(parts, "from or to "+strings.Join(as, ", "))
	}
	if f.Src.IsValid() {
		parts = append(parts, "saddr "+f.Src.String())
	}
	if f.Dst.IsValid() {
		parts = append(parts, "daddr "+f.Dst.String())
	}
	if f.Proto != "" {
		parts = append(parts, "l4proto "+f.Proto)
	}
	if f.SrcPort != 0 {
		parts = append(parts, fmt.Sprintf("sport %d", f.SrcPort))
	}
	if f.DstPort != 0 {
		parts = append(parts, fmt.Sprintf("dport %d", f.DstPort))
	}
	if len(parts) == 0 {
		return "every packet"
	}
	return strings.Join(parts, " ")
}

// Validate checks the filter before anything is changed.
func (f Filter) Validate() error {
	if f.Proto != "" {
		if _, ok := protoNumbers[strings.ToLower(f.Proto)]; !ok {
			return fmt.Errorf("unknown protocol %q: use tcp, udp, icmp, icmp6 or sctp", f.Proto)
		}
	}
	if (f.SrcPort != 0 || f.DstPort != 0) && f.Proto == "" {
		return fmt.Errorf("ports need a protocol: give -p tcp, udp or sctp")
	}
	if f.SrcPort != 0 || f.DstPort != 0 {
		switch strings.ToLower(f.Proto) {
		case "tcp", "udp", "sctp":
		default:
			return fmt.Errorf("ports need -p tcp, udp or sctp, not %s", f.Proto)
		}
	}
	if f.Src.IsValid() && f.Dst.IsValid() && f.Src.Is4() != f.Dst.Is4() {
		return fmt.Errorf("source %s and destination %s are of different IP families", f.Src, f.Dst)
	}
	return nil
}

// rules turns the filter into the expressions of the marking rules: one
// rule per address and direction when Addrs is set, each ending in
// `meta nftrace set 1`. All rules are in an inet table, so address
// matches start with `meta nfproto`.
func (f Filter) rules() ([][]expr.Any, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	type addrMatch struct {
		addr netip.Addr
		src  bool
	}
	var alts [][]addrMatch
	for _, a := range f.Addrs {
		alts = append(alts, []addrMatch{{a.Unmap(), true}}, []addrMatch{{a.Unmap(), false}})
	}
	if len(alts) == 0 {
		alts = [][]addrMatch{nil}
	}
	var out [][]expr.Any
	for _, alt := range alts {
		ms := append([]addrMatch(nil), alt...)
		if f.Src.IsValid() {
			ms = append(ms, addrMatch{f.Src.Unmap(), true})
		}
		if f.Dst.IsValid() {
			ms = append(ms, addrMatch{f.Dst.Unmap(), false})
		}
		var r []expr.Any
		fam := 0 // 4 or 6 once an address fixes it
		skip := false
		for _, m := range ms {
			want := 4
			if m.addr.Is6() {
				want = 6
			}
			if fam != 0 && fam != want {
				skip = true // a pod's IPv6 address with an IPv4 --dst: cannot match
				break
			}
			if fam == 0 {
				fam = want
				proto := byte(unix.NFPROTO_IPV4)
				if want == 6 {
					proto = unix.NFPROTO_IPV6
				}
				r = append(r, &expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}})
			}
			off := uint32(12) // IPv4 saddr
			switch {
			case want == 4 && !m.src:
				off = 16
			case want == 6 && m.src:
				off = 8
			case want == 6:
				off = 24
			}
			r = append(r, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: uint32(m.addr.BitLen() / 8)},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: m.addr.AsSlice()})
		}
		if skip {
			continue
		}
		if f.Proto != "" {
			r = append(r, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{protoNumbers[strings.ToLower(f.Proto)]}})
		}
		for _, p := range []struct {
			port uint16
			off  uint32
		}{{f.SrcPort, 0}, {f.DstPort, 2}} {
			if p.port == 0 {
				continue
			}
			r = append(r, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: p.off, Len: 2},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, p.port)})
		}
		r = append(r, &expr.Immediate{Register: 1, Data: []byte{1}},
			&expr.Meta{Key: expr.MetaKeyNFTRACE, SourceRegister: true, Register: 1})
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no packet can match %s", f)
	}
	return out, nil
}
