package decode

import (
	"net/netip"

	"github.com/netdiag/netdiag/capture/pcapio"
)

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
	// Router advertisements with RFC 4191 route information options of
	// each length and preference, one too long for tcpdump, and a home
	// agent information option (seed 98).
	ra := func(opts ...[]byte) []byte {
		return icmp6Pkt(ip6B, ip6A, 134, 0, cat([]byte{64, 0}, be16(1800), be32(0), be32(0), cat(opts...)))
	}
	pfx := addrBytes(netip.MustParseAddr("2001:db8:1:2:3:4:5:6"))
	pkts = append(pkts,
		ra(cat([]byte{24, 1, 0, 0x08}, be32(0xffffffff))),
		ra(cat([]byte{24, 2, 48, 0x18}, be32(600), pfx[:8]), cat([]byte{24, 3, 128, 0x10}, be32(7), pfx)),
		ra(cat([]byte{24, 2, 64, 0xe7}, be32(1), pfx[:8]), cat([]byte{24, 4, 64, 0}, be32(1), pfx, make([]byte, 8))),
		ra(cat([]byte{8, 1, 0, 0}, be16(10), be16(1800)), cat([]byte{24, 1, 0, 0}, be32(0))),
	)
	// DNS: an answer whose name starts with a reserved label type, not a
	// label of 128 bytes (seeds 108, 141), and an EDNS option whose code is captured and its length not
	// (seed 127).
	name := []byte("\x07example\x00")
	a := cat(be16(1), be16(1), be32(300), be16(4), addrBytes(ipR))
	pkts = append(pkts,
		udp4(ipA, ipB, 53, 41100, cat(be16(5), be16(0x8180), be16(1), be16(2), be32(0),
			name, be16(1), be16(1), name, a, []byte{0x80}, make([]byte, 140))),
		udp4(ipA, ipB, 53, 41101, cat(be16(6), be16(0x8180), be16(1), be16(2), be32(0),
			name, be16(1), be16(1), name, a, []byte{0xbf}, name[1:], a)),
		udp4(ipA, ipB, 53, 41103, cat(be16(7), be16(0x8180), be16(1), be16(2), be32(0), []byte{0x80}, make([]byte, 140))),
		udp4(ipB, ipA, 41102, 53, cat(be16(19), be16(0x0100), be16(1), be32(0), be16(1),
			[]byte("\x03opt"), name, be16(1), be16(1),
			[]byte{0}, be16(41), be16(4096), be32(0), be16(10), be16(8), be16(4), be32(0x00010000), be16(0xc612))),
	)
	// NFS attributes of every file type: 6 is a socket, which tcpdump does
	// not name, and 7 a FIFO (seed 181).
	for i, ft := range []uint32{6, 7, 8, 5} {
		xid := uint32(0x6001 + i)
		pkts = append(pkts,
			udp4(ipA, ipB, 801, 2049, rpcCallMsg(xid, 100003, 3, 1, nfsFH(7))),
			udp4(ipB, ipA, 2049, 801, rpcReplyMsg(xid, be32(0), fattr3(ft, 0644, 0))))
	}
	// IPv6 with payload length 0 (a jumbogram) whose Hop-by-Hop header is
	// cut short, or whose options are: tcpdump 4.99 still reports the
	// missing jumbo option (seed 174).
	jumbo := func(hbh []byte) []byte {
		b := eth(0x86dd, ipv6(ip6A, ip6B, 0, hbh))
		b[14+4], b[14+5] = 0, 0
		return b
	}
	pkts = append(pkts,
		jumbo([]byte{6, 1, 1, 4, 0, 0, 0, 0, 1}),
		jumbo([]byte{6, 0, 1, 9, 0, 0, 0, 0}),
		jumbo([]byte{6, 0, 0xc2, 3, 0, 1, 0, 0}),
	)
	return []synthCapture{{name: "mutation-fixes", lt: pcapio.LinkTypeEthernet, pkts: pkts}}
}
