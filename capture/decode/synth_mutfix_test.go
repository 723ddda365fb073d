package decode

import "github.com/netdiag/netdiag/capture/pcapio"

// Packets that mutation seeds found printed unlike tcpdump, each kept here
// whole so that TestCompare* holds the fix at every flag set.
func init() { synthFamilies = append(synthFamilies, mutFixCaptures()) }

func mutFixCaptures() []synthCapture {
	v6 := func(nh int, payload []byte) []byte { return eth(0x86dd, ipv6(ip6A, ip6B, nh, payload)) }
	// A Binding Ack whose header length runs past the IPv6 payload: the
	// option's field is cut short, and tcpdump prints no label for it
	// (seed 23).
	ba := func(mhLen byte, opts []byte) []byte {
		return v6(135, cat([]byte{59, mhLen, 6, 0}, be16(0), []byte{1, 0x80}, be16(7), be16(100), opts))
	}
	pkts := [][]byte{
		ba(3, cat([]byte{3, 0}, make([]byte, 14))),
		ba(1, []byte{2, 0, 0}),
		ba(2, []byte{4, 0, 0, 0, 0}),
	}
	// ARP with hardware addresses of no bytes: tcpdump names each "<empty>"
	// (seed 44).
	for _, op := range []int{1, 2, 3, 4, 8, 9} {
		arp := cat(be16(1), be16(0x0800), []byte{0, 4}, be16(op), addrBytes(ipA), addrBytes(ipB))
		pkts = append(pkts, eth(0x0806, cat(arp, make([]byte, 18))))
	}
	return []synthCapture{{name: "mutation-fixes", lt: pcapio.LinkTypeEthernet, pkts: pkts}}
}
