package nftrace

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

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
