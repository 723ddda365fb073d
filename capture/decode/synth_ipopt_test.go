package decode

import "github.com/netdiag/netdiag/capture/pcapio"

// IPv4 source and record route options whose pointer is 0 (it wraps in
// tcpdump's unsigned arithmetic: every hop counts as done), or points
// inside, or past the end.
func init() { synthFamilies = append(synthFamilies, ipRouteCaptures()) }

func ipRouteCaptures() []synthCapture {
	route := func(typ, ptr byte) []byte {
		o := cat([]byte{typ, 11, ptr}, ipA.AsSlice(), ipB.AsSlice(), []byte{0})
		return o
	}
	pkt := func(opt []byte) []byte {
		return eth(0x0800, ipv4(ipA, ipB, 17, udpv(ipA, ipB, 7, 9, []byte("r")), ip4opt{id: 3, options: opt}))
	}
	pkts := [][]byte{
		pkt(route(0x83, 0)), pkt(route(0x83, 4)), pkt(route(0x83, 8)), pkt(route(0x07, 12)),
		pkt(route(0x89, 13)), pkt(route(0x89, 5)),
	}
	return []synthCapture{{name: "ip-route-opts", lt: pcapio.LinkTypeEthernet, pkts: pkts}}
}
