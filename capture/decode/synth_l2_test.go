package decode

import (
	"net/netip"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// Link-layer protocols a Kubernetes node sees from its switches and
// routers: stacked VLANs, MPLS, VRRP, LLDP, spanning tree, LACP, MACsec
// and CDP, with their error paths and short snapshots.

func init() { synthFamilies = append(synthFamilies, l2Captures()) }

func vlanTag(tpid, tci int) []byte { return cat(be16(tpid), be16(tci)) }

// mplsLabel is one label stack entry.
func mplsLabel(label uint32, exp, bottom, ttl int) []byte {
	v := label<<12 | uint32(exp)<<9 | uint32(ttl)
	if bottom != 0 {
		v |= 0x100
	}
	return be32(v)
}

func l2Captures() []synthCapture {
	var all []synthCapture
	add := func(cs ...synthCapture) { all = append(all, cs...) }
	ethc := func(typ int, payload ...[]byte) []byte { return eth(typ, cat(payload...)) }

	udpIn := ipv4(ipA, ipB, 17, udpv(ipA, ipB, 4000, 5000, []byte("qinq")), ip4opt{id: 11})
	udp6In := ipv6(ip6A, ip6B, 17, udpv(ip6A, ip6B, 4000, 5000, []byte("qinq6")))

	// Stacked VLAN tags: 802.1ad, the old 0x9100 and 0x9200, double 802.1Q,
	// priority and DEI bits, and a tag cut short.
	qinq := [][]byte{
		cat(macB, macA, vlanTag(0x88a8, 0x0064), vlanTag(0x8100, 0x00c8), be16(0x0800), udpIn),
		cat(macB, macA, vlanTag(0x88a8, 0xb064), vlanTag(0x8100, 0x30c8), be16(0x86dd), udp6In),
		cat(macB, macA, vlanTag(0x9100, 0x0005), vlanTag(0x8100, 0x0006), be16(0x0800), udpIn),
		cat(macB, macA, vlanTag(0x9200, 0x0007), be16(0x0800), udpIn),
		cat(macB, macA, vlanTag(0x8100, 0x0001), vlanTag(0x8100, 0x0002), vlanTag(0x8100, 0x0003), be16(0x0800), udpIn),
		cat(macB, macA, vlanTag(0x88a8, 0x1fff), vlanTag(0x8100, 0xe000), be16(0x1234), []byte("unknown inner type")),
		// STP: added with stp.go
		cat(macB, macA, vlanTag(0x88a8, 0x0010), be16(0x8100), []byte{0}),
		cat(macB, macA, vlanTag(0x88a8, 0x0010), vlanTag(0x8100, 0x0020), be16(0x8847), mplsLabel(100, 0, 1, 64), udpIn),
	}
	add(withSnaps(synthCapture{name: "l2-qinq", lt: pcapio.LinkTypeEthernet, pkts: qinq}, 16, 18, 20, 22, 24, 40)...)

	// MPLS label stacks with IPv4, IPv6 and unknown payloads, guessed from
	// the bottom label or the first payload byte.
	v4in := ipv4(ipA, ipB, 1, icmpMsg(8, 0, cat(be16(1), be16(2)), []byte("mpls")), ip4opt{id: 12})
	v6in := udp6In
	mpls := [][]byte{
		ethc(0x8847, mplsLabel(16000, 0, 1, 255), v4in),
		ethc(0x8847, mplsLabel(16000, 5, 0, 254), mplsLabel(24001, 0, 1, 253), v4in),
		ethc(0x8847, mplsLabel(1, 0, 0, 1), mplsLabel(0, 0, 1, 64), v4in),
		ethc(0x8847, mplsLabel(2, 0, 1, 64), v6in),
		ethc(0x8847, mplsLabel(3, 0, 1, 64), v4in),
		ethc(0x8848, mplsLabel(300000, 7, 1, 10), v6in),
		ethc(0x8847, mplsLabel(15, 1, 0, 9), mplsLabel(4, 2, 0, 8), mplsLabel(1048575, 3, 1, 7), []byte("not ip at all")),
		ethc(0x8847, mplsLabel(77, 0, 1, 64)),
		ethc(0x8847, mplsLabel(77, 0, 0, 64), []byte{0, 1}),
		ethc(0x8847, mplsLabel(77, 0, 0, 64)),
		ethc(0x8847, mplsLabel(77, 0, 1, 64), []byte{0x45}),
		ethc(0x8847, []byte{0, 1}),
	}
	add(withSnaps(synthCapture{name: "l2-mpls", lt: pcapio.LinkTypeEthernet, pkts: mpls}, 16, 18, 20, 22, 30, 40)...)

	// VRRP v2 with each authentication type, v3 over IPv4 and IPv6, bad
	// checksums, odd TTLs, unknown versions and types.
	vrrpAddr := netip.MustParseAddr("224.0.0.18")
	vrrp6Addr := netip.MustParseAddr("ff02::12")
	vip1, vip2 := netip.MustParseAddr("198.18.0.100"), netip.MustParseAddr("198.18.0.101")
	vrrp2 := func(vrid, prio, auth, intvl int, addrs []netip.Addr, authData []byte, bad bool) []byte {
		m := []byte{0x21, byte(vrid), byte(prio), byte(len(addrs)), byte(auth), byte(intvl), 0, 0}
		for _, a := range addrs {
			m = append(m, addrBytes(a)...)
		}
		m = append(m, authData...)
		sum := checksum(0, m)
		if bad {
			sum ^= 0x0f0f
		}
		copy(m[6:], be16(int(sum)))
		return m
	}
	vrrp3 := func(src, dst netip.Addr, vrid, prio, intvl int, addrs []netip.Addr, bad bool) []byte {
		m := cat([]byte{0x31, byte(vrid), byte(prio), byte(len(addrs))}, be16(intvl), be16(0))
		for _, a := range addrs {
			m = append(m, addrBytes(a)...)
		}
		m = l4sum(src, dst, 112, m, 6)
		if bad {
			m[7] ^= 0x33
		}
		return m
	}
	vrrp4 := func(ttl int, m []byte) []byte {
		return eth(0x0800, ipv4(ipA, vrrpAddr, 112, m, ip4opt{ttl: ttl, tos: 0xc0}))
	}
	vrrp6 := func(m []byte) []byte { return eth(0x86dd, ipv6(ip6A, vrrp6Addr, 112, m)) }
	one, two := []netip.Addr{vip1}, []netip.Addr{vip1, vip2}
	vrrpPkts := [][]byte{
		vrrp4(255, vrrp2(7, 100, 0, 1, one, make([]byte, 8), false)),
		vrrp4(255, vrrp2(7, 254, 1, 3, two, []byte("secret\x00\x00"), false)),
		vrrp4(255, vrrp2(7, 254, 1, 3, one, []byte("12345678"), false)),
		vrrp4(255, vrrp2(7, 254, 1, 3, one, []byte("a\x01b\xffcdef"), false)),
		vrrp4(255, vrrp2(8, 0, 2, 1, one, make([]byte, 8), false)),
		vrrp4(255, vrrp2(9, 1, 5, 1, one, make([]byte, 8), true)),
		vrrp4(64, vrrp2(9, 1, 0, 1, nil, nil, false)),
		vrrp4(255, vrrp3(ipA, vrrpAddr, 10, 100, 100, two, false)),
		vrrp4(255, vrrp3(ipA, vrrpAddr, 10, 100, 0xf123, one, true)),
		vrrp6(vrrp3(ip6A, vrrp6Addr, 11, 200, 100, []netip.Addr{netip.MustParseAddr("fe80::1"), netip.MustParseAddr("2001:db8::1")}, false)),
		vrrp6(vrrp3(ip6A, vrrp6Addr, 11, 200, 100, []netip.Addr{netip.MustParseAddr("fe80::1")}, true)),
		vrrp4(255, []byte{0x22, 1, 2, 3, 0, 1, 0, 0}),
		vrrp4(255, []byte{0x11, 1, 2, 3, 0, 1, 0, 0}),
		vrrp4(255, []byte{0x41, 1, 2, 3, 0, 1, 0, 0}),
		vrrp4(255, []byte{0x21, 1}),
		vrrp4(255, []byte{0x21, 1, 2, 3}),
		vrrp4(255, []byte{0x21, 1, 2, 3, 1, 1, 0, 0}),
	}
	add(withSnaps(synthCapture{name: "l2-vrrp", lt: pcapio.LinkTypeEthernet, pkts: vrrpPkts}, 35, 37, 40, 42, 46, 50, 54, 58, 62, 66, 80)...)

	return all
}
