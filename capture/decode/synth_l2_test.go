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

	_ = netip.Addr{}
	return all
}
