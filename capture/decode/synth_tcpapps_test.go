package decode

import (
	"encoding/binary"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// TCP options (MPTCP, MD5, TCP-AO, unknown kinds), big TCP segments and
// the applications on well-known TCP ports that Kubernetes nodes carry:
// BGP from the CNI's route reflectors, SSH, Redis, NFS.

func init() { synthFamilies = append(synthFamilies, tcpAppCaptures()) }

// mpOpt is an MPTCP option of the given subtype: the low nibble of its
// third byte and the rest of its bytes follow.
func mpOpt(sub, low byte, rest ...byte) []byte {
	return cat([]byte{30, byte(3 + len(rest)), sub<<4 | low}, rest)
}

// padOpts appends NOPs up to a multiple of 4 bytes, as a TCP header needs.
func padOpts(o ...[]byte) []byte {
	b := cat(o...)
	for len(b)%4 != 0 {
		b = append(b, 1)
	}
	return b
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func repeat(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c + byte(i)
	}
	return b
}

// zeroIPLen sets an Ethernet+IPv4 frame's total length to 0, as a
// TSO/GSO or big TCP segment handed to the capture before it is cut.
func zeroIPLen(pkt []byte) []byte {
	h := pkt[14:34]
	h[2], h[3], h[10], h[11] = 0, 0, 0, 0
	binary.BigEndian.PutUint16(h[10:], checksum(0, h))
	return pkt
}

// jumbo6 is an IPv6 jumbogram (RFC 2675) carrying a TCP segment: payload
// length 0 and a hop-by-hop Jumbo Payload option with the real length.
func jumbo6(seg []byte) []byte {
	hbh := cat([]byte{6, 0, 0xc2, 4}, be32(uint32(8+len(seg))))
	pkt := eth(0x86dd, ipv6(ip6A, ip6B, 0, cat(hbh, seg)))
	pkt[14+4], pkt[14+5] = 0, 0
	return pkt
}

func tcpAppCaptures() []synthCapture {
	var all []synthCapture
	add := func(cs ...synthCapture) { all = append(all, cs...) }
	optSnaps := []int{54, 56, 58, 60, 62, 66, 70, 74, 80}

	// MPTCP: every subtype, every length tcpdump knows, and lengths or
	// TCP flags it refuses ("[bad opt]").
	mp := func(flags byte, opts ...[]byte) []byte {
		return tcp4(ipA, ipB, tcpSeg{sport: 40100, dport: 9100, seq: 11, ack: 22, flags: flags, opts: padOpts(opts...)})
	}
	key1, key2 := be64(0x0123456789abcdef), be64(0xfedcba9876543210)
	a4, a6 := ipR.AsSlice(), netipSlice(ip6B)
	var mpPkts [][]byte
	mpPkts = append(mpPkts,
		mp(thSYN, mpOpt(0, 0, cat([]byte{0x81}, key1)...)),
		mp(thSYN, mpOpt(0, 1, 0x81)),
		mp(thSYN|thACK, mpOpt(0, 1, cat([]byte{0x01}, key2)...)),
		mp(thACK, mpOpt(0, 0, cat([]byte{0x80}, key1, key2)...)),
		mp(thACK, mpOpt(0, 1, cat([]byte{0x01}, key1, key2, be16(1400))...)),
		mp(thSYN, mpOpt(0, 2, cat([]byte{0x01}, key1)...)),
		mp(thACK, mpOpt(0, 0, cat([]byte{0x80}, key1)...)),
		mp(thSYN|thACK, mpOpt(0, 0, cat([]byte{0x80}, key1, key2)...)),
		mp(thSYN, mpOpt(0, 0, 0, 1, 2, 3, 4)),
		mp(thSYN, mpOpt(1, 1, cat([]byte{7}, be32(0xdeadbeef), be32(0x1234))...)),
		mp(thSYN, mpOpt(1, 0, cat([]byte{0}, be32(1), be32(2))...)),
		mp(thSYN|thACK, mpOpt(1, 1, cat([]byte{3}, key1, be32(0xabc))...)),
		mp(thACK, mpOpt(1, 0, cat([]byte{0}, repeat(0xa0, 20))...)),
		mp(thACK|thPSH, mpOpt(1, 0, cat([]byte{0}, be32(1), be32(2))...)),
		mp(thSYN, mpOpt(1, 0, cat([]byte{0}, repeat(0xa0, 20))...)),
		mp(thACK, mpOpt(2, 0, 0x01, 0, 0, 0, 9)),
		mp(thACK, mpOpt(2, 0, cat([]byte{0x03}, key1)...)),
		mp(thACK, mpOpt(2, 0, cat([]byte{0x04}, be32(100), be32(200), be16(1000))...)),
		mp(thACK, mpOpt(2, 0, cat([]byte{0x05}, be32(7), be32(100), be32(200), be16(1000), be16(0xbeef))...)),
		mp(thACK|thFIN, mpOpt(2, 0, cat([]byte{0x1f}, key1, key2, be32(200), be16(1000), be16(0xbeef))...)),
		mp(thACK, mpOpt(2, 0, cat([]byte{0x0c}, key2, be32(200), be16(1))...)),
		mp(thACK, mpOpt(2, 0, 0x10)),
		mp(thACK, mpOpt(2, 0, 0x00, 1)),
		mp(thACK, mpOpt(2, 0, 0x01, 0, 0)),
		mp(thACK, mpOpt(2, 0, 0x03, 0, 0, 0, 0)),
		mp(thACK, mpOpt(2, 0, cat([]byte{0x04}, be32(100), be32(200))...)),
		mp(thACK, mpOpt(2, 0, cat([]byte{0x04}, be32(100), be32(200), be16(1), be16(2), []byte{9})...)),
		mp(thACK, mpOpt(2, 0, cat([]byte{0x04}, be32(100))...)),
		mp(thSYN, mpOpt(2, 0, 0x01, 0, 0, 0, 9)),
		mp(thACK, mpOpt(2, 0)),
		mp(thACK, mpOpt(3, 4, cat([]byte{1}, a4)...)),
		mp(thACK, mpOpt(3, 4, cat([]byte{2}, a4, be16(8080))...)),
		mp(thACK, mpOpt(3, 0, cat([]byte{3}, a4, key1)...)),
		mp(thACK, mpOpt(3, 1, cat([]byte{4}, a4, be16(443), key2)...)),
		mp(thACK, mpOpt(3, 6, cat([]byte{5}, a6)...)),
		mp(thACK, mpOpt(3, 6, cat([]byte{6}, a6, be16(179))...)),
		mp(thACK, mpOpt(3, 0, cat([]byte{7}, a6, key1)...)),
		mp(thACK, mpOpt(3, 1, cat([]byte{8}, a6, be16(22), key2)...)),
		mp(thACK, mpOpt(3, 2, cat([]byte{9}, a4)...)),
		mp(thACK, mpOpt(3, 15, cat([]byte{9}, a6)...)),
		mp(thACK, mpOpt(3, 4, cat([]byte{9}, a4, []byte{1, 2, 3})...)),
		mp(thACK, mpOpt(3, 4, 1)),
		mp(thACK, mpOpt(4, 0, 1)),
		mp(thACK, mpOpt(4, 0, 1, 2, 3, 250)),
		mp(thACK, mpOpt(4, 0)),
		mp(thACK, mpOpt(5, 1)),
		mp(thACK, mpOpt(5, 0, 4)),
		mp(thACK, mpOpt(5, 1, 4, 5)),
		mp(thACK|thRST, mpOpt(6, 0, cat([]byte{0}, key1)...)),
		mp(thACK, mpOpt(6, 0, cat([]byte{0}, key1, []byte{0})...)),
		mp(thACK|thRST, mpOpt(7, 0, cat([]byte{0}, key2)...)),
		mp(thACK, mpOpt(7, 0, 0, 1, 2)),
		mp(thACK|thRST, mpOpt(8, 1, 3)),
		mp(thACK, mpOpt(9, 0)),
		mp(thACK, mpOpt(15, 15, 1, 2, 3, 4, 5)),
		mp(thACK, []byte{30, 2}),
		mp(thACK, []byte{30, 1}),
		mp(thACK, mpOpt(2, 0, 0x01, 0, 0, 0, 9), []byte{1, 1, 8, 10}, be32(1), be32(2)),
		mp(thACK, []byte{8, 10}, be32(1), be32(2), mpOpt(5, 1, 4), mpOpt(4, 0, 1, 2)),
		mp(thSYN, []byte{2, 4, 5, 0xb4, 4, 2}, mpOpt(0, 1, 0x81), []byte{3, 3, 7}),
		mp(thACK, []byte{30, 20}, mpOpt(4, 0, 1)),
	)
	tcp6mp := func(opts ...[]byte) []byte {
		return eth(0x86dd, ipv6(ip6A, ip6B, 6, tcpv(ip6A, ip6B, tcpSeg{sport: 40101, dport: 9101, seq: 1, ack: 2, flags: thACK, opts: padOpts(opts...), data: []byte("mp")})))
	}
	mpPkts = append(mpPkts,
		tcp6mp(mpOpt(2, 0, cat([]byte{0x05}, be32(7), be32(100), be32(1), be16(2))...)),
		tcp6mp(mpOpt(3, 6, cat([]byte{5}, a6)...)),
	)
	add(withSnaps(synthCapture{name: "tcpapp-mptcp", lt: pcapio.LinkTypeEthernet, pkts: mpPkts}, optSnaps...)...)

	// MD5 signature (RFC 2385) and TCP-AO (RFC 5925), which a BGP speaker
	// on a node uses; tcpdump prints the signature unchecked without -M.
	sig := repeat(0x10, 16)
	opt := func(flags byte, data []byte, opts ...[]byte) []byte {
		return tcp4(ipA, ipB, tcpSeg{sport: 40200, dport: 9200, seq: 5, ack: 6, flags: flags, opts: padOpts(opts...), data: data})
	}
	var optPkts [][]byte
	optPkts = append(optPkts,
		opt(thSYN, nil, []byte{2, 4, 5, 0xb4, 1, 1, 19, 18}, sig),
		opt(thACK|thPSH, []byte("signed payload"), []byte{1, 1, 19, 18}, sig),
		opt(thACK|thPSH, []byte("x"), []byte{19, 18}, sig, []byte{8, 10}, be32(1), be32(2)),
		opt(thACK, nil, []byte{19, 17}, sig[:15]),
		opt(thACK, nil, []byte{19, 19}, sig, []byte{0}),
		opt(thACK, nil, []byte{19, 2}),
		opt(thACK|thPSH, []byte("ao"), []byte{29, 16, 1, 2}, repeat(0xc0, 12)),
		opt(thACK, nil, []byte{29, 4, 7, 8}),
		opt(thACK, nil, []byte{29, 3, 7}),
		opt(thACK, nil, []byte{29, 2}),
		opt(thACK, nil, []byte{29, 5, 7, 8, 9}),
		opt(thSYN, nil, []byte{99, 2}),
		opt(thSYN, nil, []byte{99, 6, 1, 2, 3, 4}),
		opt(thSYN, nil, []byte{200, 3, 0xff}),
		opt(thSYN, nil, []byte{99, 1}),
		opt(thSYN, nil, []byte{99, 0}),
		opt(thSYN, nil, []byte{99, 12, 1, 2}),
		opt(thSYN, nil, []byte{0, 2, 4, 5, 0xb4}),
		opt(thSYN, nil, []byte{1, 1, 1, 0, 99, 4}),
		opt(thSYN, nil, []byte{2, 3, 5, 3, 4, 7}),
		opt(thSYN, nil, []byte{4, 3, 0, 8, 11}, be32(1), be32(2)),
		opt(thSYN, nil, []byte{6, 6}, be32(1), []byte{7, 6}, be32(2), []byte{11, 6}, be32(3), []byte{12, 6}, be32(4), []byte{13, 6}, be32(5)),
		opt(thSYN, nil, []byte{20, 4, 0x80, 9, 34, 2, 254, 4, 0xf9, 0x89, 34, 10}, repeat(1, 8)),
		opt(thSYN, nil, []byte{254, 6, 0x12, 0x34, 1, 2, 254, 3, 1}),
	)
	add(withSnaps(synthCapture{name: "tcpapp-opts", lt: pcapio.LinkTypeEthernet, pkts: optPkts}, optSnaps...)...)

	// Big TCP and GSO: IPv4 total length 0, IPv6 jumbograms, as a capture
	// on the sending host sees segments before the NIC cuts them.
	big := repeat('a', 70000)
	bigSeg := tcpSeg{sport: 40300, dport: 9300, seq: 100, ack: 200, flags: thACK | thPSH, data: big}
	small := tcpSeg{sport: 40300, dport: 9300, seq: 100, ack: 200, flags: thACK | thPSH, data: big[:3000]}
	bigPkts := [][]byte{
		zeroIPLen(tcp4(ipA, ipB, small)),
		zeroIPLen(tcp4(ipA, ipB, bigSeg)),
		zeroIPLen(tcp4(ipA, ipB, tcpSeg{sport: 40301, dport: 9301, seq: 1, flags: thSYN})),
		jumbo6(tcpv(ip6A, ip6B, bigSeg)),
		jumbo6(tcpv(ip6A, ip6B, small)),
	}
	add(withSnaps(synthCapture{name: "tcpapp-bigtcp", lt: pcapio.LinkTypeEthernet, pkts: bigPkts}, 54, 66, 74, 94, 200)...)
	return all
}

func netipSlice(a interface{ AsSlice() []byte }) []byte { return a.AsSlice() }
