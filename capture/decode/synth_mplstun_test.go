package decode

import "github.com/netdiag/netdiag/capture/pcapio"

// MPLS carried in GRE (ethertypes 0x8847 and 0x8848) and in UDP port 6635,
// as tcpdump's gre_print and udp_print hand it to mpls_print.
func init() { synthFamilies = append(synthFamilies, mplsTunnelCaptures()) }

func mplsTunnelCaptures() []synthCapture {
	label := func(l uint32, tc, bos, ttl byte) []byte {
		return be32(l<<12 | uint32(tc)<<9 | uint32(bos)<<8 | uint32(ttl))
	}
	in4 := ipv4(ipA, ipB, 17, udpv(ipA, ipB, 1, 2, []byte("inner")), ip4opt{id: 11})
	in6 := ipv6(ip6A, ip6B, 17, udpv(ip6A, ip6B, 3, 4, []byte("six")))
	gre := func(proto int, payload []byte) []byte {
		return eth(0x0800, ipv4(ipA, ipB, 47, cat(be16(0), be16(proto), payload), ip4opt{id: 6635}))
	}
	pkts := [][]byte{
		gre(0x8847, cat(label(16, 0, 1, 64), in4)),
		gre(0x8847, cat(label(1000, 5, 0, 63), label(2, 0, 1, 63), in6)),
		gre(0x8848, cat(label(0, 0, 1, 1), in4)),
		gre(0x8847, cat(label(77, 0, 1, 9), []byte{0x55, 1, 2, 3})),
		gre(0x8847, []byte{0, 1}),
		udp4(ipA, ipB, 40000, 6635, cat(label(30, 1, 1, 32), in4)),
		udp4(ipA, ipB, 6635, 40001, cat(label(3, 0, 0, 8), label(40, 0, 1, 8), in6)),
	}
	return withSnaps(synthCapture{name: "mpls-tunnel", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 40, 50, 60)
}
