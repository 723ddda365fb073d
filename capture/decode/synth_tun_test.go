package decode

import (
	"net/netip"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// Tunnels and IPsec: ESP, AH, NAT-T (UDP 4500), ISAKMP/IKEv1/IKEv2 (UDP
// 500), with malformed lengths and short snapshots.

func init() {
	c := append(append(append(append(tunCaptures(), icmp6Captures()...), icmpSweep()...), gpeCaptures()...), append(optCaptures(), pptpCaptures()...)...)
	synthFamilies = append(synthFamilies, append(c, tunShort(c)))
}

// ikePayload is one ISAKMP generic payload: next payload, flags, length
// (0: computed) and body.
func ikePayload(np, crit byte, body []byte) []byte {
	return cat([]byte{np, crit}, be16(4+len(body)), body)
}

// ikeMsg is an ISAKMP header followed by payloads; length 0 is computed.
func ikeMsg(icookie, rcookie uint64, np, vers, etype, flags byte, msgid uint32, length int, payloads ...[]byte) []byte {
	body := cat(payloads...)
	if length == 0 {
		length = 28 + len(body)
	}
	h := cat(be32(uint32(icookie>>32)), be32(uint32(icookie)), be32(uint32(rcookie>>32)), be32(uint32(rcookie)),
		[]byte{np, vers, etype, flags}, be32(msgid), be32(uint32(length)))
	return cat(h, body)
}

func seqBytes(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func tunCaptures() []synthCapture {
	var all []synthCapture
	add := func(cs ...synthCapture) { all = append(all, cs...) }
	ip6C := netip.MustParseAddr("2001:db8::c")
	ip6D := netip.MustParseAddr("2001:db8::d")

	esp := func(spi, seq uint32, n int) []byte { return cat(be32(spi), be32(seq), seqBytes(n, 0x40)) }
	echo := icmpMsg(8, 0, cat(be16(1), be16(2)), []byte("abcdefgh"))
	ah := func(nh byte, words byte, spi, seq uint32, icv []byte) []byte {
		return cat([]byte{nh, words, 0, 0}, be32(spi), be32(seq), icv)
	}
	ipsec := [][]byte{
		eth(0x0800, ipv4(ipA, ipB, 50, esp(0x1234abcd, 1, 48), ip4opt{id: 5050})),
		eth(0x0800, ipv4(ipA, ipB, 50, esp(0xffffffff, 0x80000000, 1), ip4opt{id: 5051})),
		eth(0x0800, ipv4(ipA, ipB, 50, esp(0x1, 2, 0), ip4opt{id: 5052})),
		eth(0x0800, ipv4(ipA, ipB, 50, esp(0x1, 2, 0)[:6], ip4opt{id: 5053})),
		eth(0x86dd, ipv6(ip6C, ip6D, 50, esp(0xdeadbeef, 7, 64))),
		eth(0x0800, ipv4(ipA, ipB, 51, ah(1, 4, 0x1000, 9, seqBytes(12, 0xa0)), ip4opt{id: 5151})),
		eth(0x0800, ipv4(ipA, ipB, 51, cat(ah(1, 4, 0x1000, 9, seqBytes(12, 0xa0)), echo), ip4opt{id: 5152})),
		eth(0x0800, ipv4(ipA, ipB, 51, cat(ah(50, 4, 0x1001, 10, seqBytes(12, 0xa0)), esp(0x55, 3, 20)), ip4opt{id: 5153})),
		eth(0x0800, ipv4(ipA, ipB, 51, cat(ah(1, 0, 0x1002, 11, nil), echo), ip4opt{id: 5154})),
		eth(0x0800, ipv4(ipA, ipB, 51, cat(ah(1, 40, 0x1003, 12, seqBytes(12, 0xa0))), ip4opt{id: 5155})),
		eth(0x0800, ipv4(ipA, ipB, 51, []byte{1, 4, 0}, ip4opt{id: 5156})),
		eth(0x86dd, ipv6(ip6C, ip6D, 51, cat(ah(17, 4, 0x2000, 1, seqBytes(12, 0xb0)), udpv(ip6C, ip6D, 1000, 2000, []byte("v6ah"))))),
		eth(0x86dd, ipv6(ip6C, ip6D, 51, cat(ah(6, 4, 0x2001, 2, seqBytes(12, 0xb0)), tcpv(ip6C, ip6D, tcpSeg{sport: 1, dport: 2, seq: 3, flags: thSYN})))),
	}
	add(withSnaps(synthCapture{name: "tun-ipsec", lt: pcapio.LinkTypeEthernet, pkts: ipsec}, 34, 38, 42, 46, 50, 54, 58, 62, 70)...)

	// NAT-T: keepalive, non-ESP marker with IKE, ESP in UDP, short.
	ikeInit := ikeMsg(0x1122334455667788, 0, 33, 0x20, 34, 0x08, 0, 0,
		ikePayload(40, 0, cat(be16(14), be16(0), seqBytes(16, 1))),
		ikePayload(0, 0, seqBytes(16, 0x30)))
	natt := [][]byte{
		udp4(ipA, ipB, 4500, 4500, []byte{0xff}),
		udp4(ipA, ipB, 4500, 4500, []byte{0xfe}),
		udp4(ipA, ipB, 4500, 4500, []byte{0, 0}),
		udp4(ipA, ipB, 4500, 4500, []byte{0, 0, 0, 0}),
		udp4(ipA, ipB, 4500, 4500, cat(be32(0), ikeInit)),
		udp4(ipA, ipB, 4500, 4500, esp(0xc0ffee, 42, 40)),
		udp4(ipA, ipB, 4500, 4500, esp(0xc0ffee, 43, 0)),
		udp4(ipA, ipB, 4500, 4500, esp(0xc0ffee, 43, 0)[:5]),
		eth(0x86dd, ipv6(ip6C, ip6D, 17, udpv(ip6C, ip6D, 4500, 4500, esp(0xabc, 1, 30)))),
	}
	add(withSnaps(synthCapture{name: "tun-natt", lt: pcapio.LinkTypeEthernet, pkts: natt}, 42, 44, 46, 50, 54, 60, 70)...)

	// ISAKMP on UDP 500: IKEv1 main, aggressive, quick and informational
	// exchanges with every payload type, IKEv2 exchanges, broken lengths.
	attrTV := func(t, v int) []byte { return cat(be16(0x8000|t), be16(v)) }
	attrTLV := func(t int, v []byte) []byte { return cat(be16(t), be16(len(v)), v) }
	oakley := cat(attrTV(1, 7), attrTLV(14, be16(256)), attrTV(2, 4), attrTV(3, 1), attrTV(4, 14),
		attrTV(11, 1), attrTLV(12, be32(28800)), attrTV(99, 5), attrTV(1, 99))
	t1 := ikePayload(3, 0, cat([]byte{1, 1, 0, 0}, oakley))
	t2 := ikePayload(0, 0, cat([]byte{2, 1, 0, 0}, attrTV(1, 5), attrTV(2, 2)))
	prop := ikePayload(0, 0, cat([]byte{1, 1, 0, 2}, t1, t2))
	sa := ikePayload(13, 0, cat(be32(1), be32(1), prop))
	vid := ikePayload(0, 0, seqBytes(16, 0x90))
	const ck1, ck2 = 0x0102030405060708, 0x1112131415161718
	espT := ikePayload(0, 0, cat([]byte{1, 12, 0, 0}, attrTV(4, 1), attrTV(5, 2), attrTV(1, 1), attrTLV(2, be32(3600)), attrTV(6, 128)))
	ahT := ikePayload(0, 0, cat([]byte{1, 3, 0, 0}, attrTV(5, 2)))
	ipcT := ikePayload(0, 0, cat([]byte{1, 2, 0, 0}, attrTV(3, 2)))
	unkT := ikePayload(0, 0, cat([]byte{1, 7, 0, 0}, attrTV(3, 2), attrTLV(9, []byte{1, 2, 3})))
	qProps := cat(ikePayload(2, 0, cat([]byte{1, 3, 4, 1}, be32(0xaabbccdd), espT)),
		ikePayload(2, 0, cat([]byte{1, 2, 4, 1}, be32(0x11223344), ahT)),
		ikePayload(2, 0, cat([]byte{1, 4, 2, 1}, be16(0x4455), ipcT)),
		ikePayload(0, 0, cat([]byte{2, 9, 0, 1}, unkT)))
	qsa := ikePayload(10, 0, cat(be32(1), be32(3), be32(0x10), qProps))
	id := func(np byte, typ, proto byte, port int, data []byte) []byte {
		return ikePayload(np, 0, cat([]byte{typ, proto}, be16(port), data))
	}
	v1 := func(src, dst netip.Addr, m []byte) []byte { return udp4(src, dst, 500, 500, m) }
	isakmpPkts := [][]byte{
		v1(ipA, ipB, ikeMsg(ck1, 0, 1, 0x10, 2, 0, 0, 0, sa, vid)),
		v1(ipB, ipA, ikeMsg(ck1, ck2, 1, 0x10, 2, 0, 0, 0, sa, vid)),
		v1(ipA, ipB, ikeMsg(ck1, ck2, 4, 0x10, 2, 0, 0, 0,
			ikePayload(10, 0, seqBytes(128, 1)), ikePayload(20, 0, seqBytes(24, 0x20)), ikePayload(20, 0, seqBytes(20, 0x60)), ikePayload(0, 0, seqBytes(20, 0x70)))),
		v1(ipB, ipA, ikeMsg(ck1, ck2, 5, 0x10, 2, 0, 0, 0,
			id(6, 1, 17, 500, addrBytes(ipB)), ikePayload(7, 0, cat([]byte{4}, seqBytes(30, 3))), ikePayload(9, 0, []byte{4, 'c', 'a'}), ikePayload(8, 0, seqBytes(20, 9)),
			ikePayload(0, 0, seqBytes(32, 0x33)))),
		v1(ipA, ipB, ikeMsg(ck1, ck2, 5, 0x10, 2, 1, 0, 60, ikePayload(0, 0, seqBytes(28, 1)))),
		v1(ipA, ipB, ikeMsg(ck1, ck2, 8, 0x10, 32, 0, 0x01020304, 0,
			ikePayload(1, 0, seqBytes(20, 1)), qsa, ikePayload(5, 0, seqBytes(16, 0x50)),
			id(5, 4, 6, 80, cat(addrBytes(ipA), []byte{255, 255, 255, 0})), id(5, 2, 0, 0, []byte("vpn.example")),
			id(5, 3, 0, 0, []byte("a@b")), id(5, 5, 0, 0, addrBytes(ip6C)), id(5, 6, 0, 0, cat(addrBytes(ip6C), addrBytes(netip.MustParseAddr("ffff:ffff::")))),
			id(5, 7, 0, 0, cat(addrBytes(ipA), addrBytes(ipB))), id(5, 8, 0, 0, cat(addrBytes(ip6C), addrBytes(ip6D))),
			id(5, 9, 0, 0, seqBytes(6, 0x30)), id(5, 11, 0, 0, seqBytes(3, 0x40)), id(5, 1, 0, 0, []byte{1, 2}),
			id(5, 99, 1, 0, nil), id(0, 4, 0, 0, []byte{1, 2, 3}))),
		v1(ipA, ipB, ikeMsg(ck1, ck2, 8, 0x10, 5, 0, 0x05060708, 0,
			ikePayload(11, 0, seqBytes(20, 1)),
			ikePayload(11, 0, cat(be32(1), []byte{3, 4}, be16(14), be32(0xdeadbeef))),
			ikePayload(11, 0, cat(be32(1), []byte{1, 0}, be16(24576), attrTV(11, 1), attrTLV(12, be32(600)))),
			ikePayload(11, 0, cat(be32(1), []byte{3, 0}, be16(24577), be32(1))),
			ikePayload(11, 0, cat(be32(1), []byte{3, 0}, be16(24578), seqBytes(40, 0x10))),
			ikePayload(11, 0, cat(be32(1), []byte{3, 0}, be16(8192))),
			ikePayload(11, 0, cat(be32(1), []byte{3, 0}, be16(16384))),
			ikePayload(11, 0, cat(be32(1), []byte{3, 0}, be16(40000))),
			ikePayload(11, 0, cat(be32(2), []byte{3, 4}, be16(9000), be32(0xabcdef01))),
			ikePayload(11, 0, cat(be32(2), []byte{3, 0}, be16(20000))),
			ikePayload(11, 0, cat(be32(1), []byte{3, 0}, be16(31))),
			ikePayload(12, 0, cat(be32(7), []byte{3, 0}, be16(5))),
			ikePayload(12, 0, cat(be32(1), []byte{3, 4}, be16(2), be32(1), be32(2))),
			ikePayload(0, 0, cat(be32(1), []byte{1, 16}, be16(1), seqBytes(16, 0))))),
		v1(ipA, ipB, ikeMsg(0x2122232425262728, 0, 1, 0x10, 4, 2, 0, 0,
			ikePayload(14, 0, cat(be32(1), be32(6), seqBytes(8, 0))), ikePayload(46, 0, []byte{1, 2}), ikePayload(0, 0, []byte{9}))),
		v1(ipA, ipB, ikeMsg(0x2122232425262728, 0, 1, 0x10, 4, 2, 0, 0,
			ikePayload(0, 0, cat(be32(1), be32(1), ikePayload(0, 0, cat([]byte{1, 1, 0, 1}, ikePayload(0, 0, cat([]byte{1, 1, 0, 0}, be16(1), be16(40), be32(0))))))))),
		v1(ipA, ipB, ikeMsg(0x3132333435363738, 0, 1, 0x10, 1, 0, 0, 0, ikePayload(0, 0, cat(be32(3), be32(1))))),
		v1(ipA, ipB, ikeMsg(0x3132333435363738, 0, 13, 0x10, 1, 0, 0, 0, ikePayload(8, 0, nil), vid)),
		v1(ipA, ipB, ikeMsg(0x3132333435363738, 0, 13, 0x10, 99, 4, 0, 0, ikePayload(0, 0, cat([]byte{0, 0}, be16(100))))),
		v1(ipA, ipB, ikeMsg(0x3132333435363738, 0, 13, 0x10, 6, 0, 0, 400, vid)),
		v1(ipA, ipB, ikeMsg(0, 0, 13, 0x10, 2, 0, 0, 0, vid)),
		v1(ipB, ipA, ikeMsg(ck1, ck2, 13, 0x10, 2, 0, 0, 0, vid)),
		v1(ipR, ipA, ikeMsg(ck1, ck2, 13, 0x10, 2, 0, 0, 0, vid)),
		v1(ipA, ipB, ikeMsg(ck1, ck2, 13, 0x31, 2, 0, 0, 0, vid)),
		v1(ipA, ipB, ikeMsg(ck1, ck2, 0, 0x10, 2, 0, 0, 0)[:20]),
		eth(0x86dd, ipv6(ip6C, ip6D, 17, udpv(ip6C, ip6D, 500, 500, ikeMsg(0x4142434445464748, 0, 13, 0x10, 2, 0, 0, 0, vid)))),
		eth(0x86dd, ipv6(ip6D, ip6C, 17, udpv(ip6D, ip6C, 500, 500, ikeMsg(0x4142434445464748, ck2, 13, 0x10, 2, 0, 0, 0, vid)))),
		udp4(ipA, ipB, 7500, 7501, ikeMsg(0x5152535455565758, 0, 13, 0x10, 2, 0, 0, 0, vid)),
		udp4(ipA, ipB, 8501, 8500, ikeMsg(0x5152535455565758, 0, 13, 0x10, 2, 0, 0, 0, vid)),
	}
	add(withSnaps(synthCapture{name: "tun-isakmp", lt: pcapio.LinkTypeEthernet, pkts: isakmpPkts}, 60, 70, 80, 90, 100, 120, 150, 200)...)

	// IKEv2.
	v2t := func(np, typ byte, id int, attrs []byte) []byte {
		return ikePayload(np, 0, cat([]byte{typ, 0}, be16(id), attrs))
	}
	v2prop := func(np, num, proto byte, spi []byte, ts ...[]byte) []byte {
		return ikePayload(np, 0, cat([]byte{num, proto, byte(len(spi)), byte(len(ts))}, spi, cat(ts...)))
	}
	v2sa := cat(
		v2prop(2, 1, 1, nil, v2t(3, 1, 12, attrTV(14, 256)), v2t(3, 2, 2, nil), v2t(3, 3, 2, nil), v2t(3, 4, 14, nil), v2t(3, 5, 1, nil), v2t(0, 9, 7, attrTV(3, 3))),
		v2prop(2, 2, 3, be32(0xcafe0001), v2t(3, 1, 3, nil), v2t(3, 2, 99, nil), v2t(3, 3, 5, nil), v2t(3, 1, 12, attrTLV(14, be16(1))), v2t(0, 4, 30, nil)),
		v2prop(0, 3, 2, be32(0xcafe0002), v2t(0, 3, 1, nil)))
	n2 := func(np byte, crit byte, proto byte, spi []byte, typ int, data []byte) []byte {
		return ikePayload(np, crit, cat([]byte{proto, byte(len(spi))}, be16(typ), spi, data))
	}
	const v2i, v2r = 0x6162636465666768, 0x7172737475767778
	v2 := func(m []byte) []byte { return udp4(ipA, ipB, 500, 500, m) }
	var notifies [][]byte
	for _, t := range []int{1, 4, 5, 7, 9, 11, 14, 17, 24, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
		100, 9000, 16384, 16385, 16386, 16387, 16388, 16389, 16390, 16391, 16392, 16393, 16394, 16395, 16396, 16397, 16398,
		16399, 16400, 16401, 16402, 16403, 16404, 16405, 16406, 16407, 16408, 16409, 16410, 16411, 16412, 16413, 16414, 16415,
		16416, 16417, 16418, 16419, 16420, 16421, 16422, 16423, 16424, 16425, 16426, 16427, 16428, 16429, 16430, 16431, 16432,
		16433, 16434, 16435, 16436, 30000, 45000} {
		notifies = append(notifies, n2(41, 0, 3, be32(0x01020304), t, seqBytes(8, byte(t))))
	}
	notifies = append(notifies, n2(0, 0x80, 1, nil, 16390, seqBytes(40, 0)))
	ikev2Pkts := [][]byte{
		v2(ikeMsg(v2i, 0, 33, 0x20, 34, 0x08, 0, 0,
			ikePayload(34, 0, v2sa), ikePayload(40, 0, cat(be16(14), be16(0), seqBytes(64, 1))),
			ikePayload(41, 0, seqBytes(32, 0x80)),
			n2(41, 0, 0, nil, 16388, seqBytes(20, 0xa0)), n2(43, 0, 0, nil, 16389, seqBytes(20, 0xb0)),
			ikePayload(43, 0, []byte("strongSwan")), ikePayload(0, 0x80, seqBytes(16, 0xf0)))),
		v2(ikeMsg(v2i, v2r, 46, 0x20, 35, 0x08, 1, 0, ikePayload(35, 0, seqBytes(64, 5)))),
		v2(ikeMsg(v2i, v2r, 35, 0x20, 35, 0x20, 1, 0,
			ikePayload(36, 0, cat([]byte{2, 0, 0, 0}, []byte("client.example"))),
			ikePayload(39, 0, cat([]byte{1, 0, 0, 0}, addrBytes(ipA))),
			ikePayload(37, 0, cat([]byte{3, 0, 0, 0}, []byte("a@b"))),
			ikePayload(35, 0, cat([]byte{5, 0, 0, 0}, addrBytes(ip6C))),
			ikePayload(35, 0, cat([]byte{9, 0, 0, 0}, seqBytes(5, 0x30))),
			ikePayload(35, 0, cat([]byte{10, 0, 0, 0}, seqBytes(3, 0x30))),
			ikePayload(35, 0, cat([]byte{11, 0, 0, 0}, seqBytes(4, 0x30))),
			ikePayload(38, 0, cat([]byte{4, 0, 0, 0}, seqBytes(3, 0x30))),
			ikePayload(39, 0, cat([]byte{4}, seqBytes(10, 0))),
			ikePayload(40, 0, cat([]byte{2, 0, 0, 0}, seqBytes(32, 0x40))),
			ikePayload(44, 0, cat([]byte{1, 0, 0, 0}, seqBytes(5, 0))),
			ikePayload(45, 0, cat([]byte{3, 0, 0, 0}, seqBytes(40, 0))),
			ikePayload(42, 0, seqBytes(16, 0)),
			ikePayload(47, 0, seqBytes(16, 0)),
			ikePayload(48, 0, cat([]byte{1, 0, 0, 0}, seqBytes(8, 0))),
			ikePayload(1, 0, seqBytes(8, 0)),
			ikePayload(99, 0, cat(be32(1), be32(1))),
			ikePayload(0, 0, seqBytes(6, 0)))),
		v2(ikeMsg(v2i, v2r, 41, 0x20, 37, 0x28, 2, 0, notifies...)),
		v2(ikeMsg(v2i, v2r, 33, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, v2prop(0, 1, 3, be32(1), v2t(0, 1, 12, cat(attrTV(14, 128), attrTV(15, 1), attrTLV(16, []byte{1, 2, 3}))))))),
		v2(ikeMsg(v2i, v2r, 33, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, v2prop(0, 1, 3, be32(1), v2t(0, 1, 12, attrTLV(14, be16(128)))[:10])))),
		v2(ikeMsg(v2i, v2r, 33, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, cat(v2prop(0, 1, 3, be32(1)), be32(0))))),
		v2(ikeMsg(v2i, v2r, 33, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, cat([]byte{0, 0, 0, 40}, seqBytes(4, 0))))),
		v2(ikeMsg(v2i, v2r, 33, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, cat([]byte{0, 0, 0, 8, 1, 3, 8, 1})))),
		v2(ikeMsg(v2i, v2r, 33, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, cat([]byte{5, 0, 0, 8, 1, 3, 0, 1}, be32(0))))),
		v2(ikeMsg(v2i, v2r, 34, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, []byte{0, 1}))),
		v2(ikeMsg(v2i, v2r, 35, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, []byte{1, 0}))),
		v2(ikeMsg(v2i, v2r, 39, 0x20, 36, 0x00, 3, 0, ikePayload(0, 0, []byte{1}))),
		v2(ikeMsg(v2i, v2r, 43, 0x20, 99, 0x38, 3, 0, ikePayload(0, 0, seqBytes(3, 0x41)))),
		v2(ikeMsg(v2i, v2r, 43, 0x30, 34, 0x08, 0, 0, ikePayload(0, 0, seqBytes(3, 0x41)))),
		v2(ikeMsg(v2i, v2r, 2, 0x20, 34, 0x08, 0, 0, ikePayload(0, 0, cat([]byte{1, 1, 0, 1}, ikePayload(0, 0, []byte{1, 1, 0, 0}))))),
		v2(ikeMsg(v2i, v2r, 43, 0x20, 34, 0x01, 0, 0, ikePayload(0, 0, seqBytes(3, 0x41)))),
	}
	add(withSnaps(synthCapture{name: "tun-ikev2", lt: pcapio.LinkTypeEthernet, pkts: ikev2Pkts}, 70, 80, 100, 130, 160, 200, 300)...)
	return all
}

// tunShort cuts every IP payload of the family's whole captures to a few
// bytes, with the IP length saying so: lengths that disagree with the
// headers inside, not short snapshots.
func tunShort(all []synthCapture) synthCapture {
	var short [][]byte
	for _, c := range all {
		if c.snap != 0 {
			continue
		}
		for _, pkt := range c.pkts {
			for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 16, 20, 24, 28, 29, 32, 35, 36, 40, 44, 48, 60} {
				if s := shortDatagram(pkt, n); s != nil {
					short = append(short, s)
				}
			}
		}
	}
	return synthCapture{name: "tun-short", lt: pcapio.LinkTypeEthernet, pkts: short}
}

// icmp6Captures are ICMPv6 redirects and node information queries and
// replies (RFC 4620) with every query type, subject and reply code.
func icmp6Captures() []synthCapture {
	ip6C := netip.MustParseAddr("2001:db8::c")
	ip6D := netip.MustParseAddr("2001:db8::d")
	pfx := cat([]byte{3, 4, 64, 0xc0}, be32(86400), be32(14400), be32(0), addrBytes(netip.MustParseAddr("fd00:1::")))
	ni := func(typ, code, qtype, flags int, data []byte) []byte {
		return icmp6Pkt(ip6A, ip6B, typ, code, cat(be16(qtype), be16(flags), seqBytes(8, 0), data))
	}
	fqdn := []byte("\x04host\x07example\x00")
	pkts := [][]byte{
		icmp6Pkt(ip6A, ip6B, 137, 0, cat(be32(0), addrBytes(netip.MustParseAddr("fe80::1")), addrBytes(netip.MustParseAddr("2001:db8::99")), []byte{2, 1}, macA)),
		icmp6Pkt(ip6A, ip6B, 137, 0, cat(be32(0), addrBytes(netip.MustParseAddr("fe80::1")), addrBytes(netip.MustParseAddr("2001:db8::99")), []byte{4, 2}, make([]byte, 14))),
		icmp6Pkt(ip6A, ip6B, 137, 0, cat(be32(0), addrBytes(netip.MustParseAddr("fe80::1")))),
		icmp6Pkt(ip6A, ip6B, 139, 0, nil),
		icmp6Pkt(ip6A, ip6B, 139, 0, be32(0)),
		icmp6Pkt(ip6A, ip6B, 139, 0, be32(0)[:3]),
		ni(139, 0, 0, 0, nil), ni(139, 0, 0, 0, []byte{1}), ni(139, 0, 1, 1, nil), ni(139, 0, 1, 2, nil),
		ni(139, 0, 2, 0, addrBytes(ip6B)), ni(139, 0, 2, 0, cat(addrBytes(ip6B), []byte{1})), ni(139, 0, 2, 0, addrBytes(ip6B)[:10]),
		ni(139, 1, 2, 0, fqdn), ni(139, 1, 2, 0, []byte("\x04host")), ni(139, 1, 2, 0, []byte("\x04h\x01t\x09ex")),
		ni(139, 1, 2, 0, []byte("\x04host\x00\x00")), ni(139, 1, 2, 0, []byte("\x04host\x00")), ni(139, 1, 2, 0, []byte("\x03\xffa\x80")),
		ni(139, 2, 3, 0x3f, addrBytes(ipA)), ni(139, 2, 3, 0x7f, cat(addrBytes(ipA), []byte{0})), ni(139, 2, 3, 0, []byte{1, 2}),
		ni(139, 0, 3, 0x3f, addrBytes(ip6B)), ni(139, 0, 4, 0, addrBytes(ip6B)), ni(139, 5, 2, 0, addrBytes(ip6B)), ni(139, 0, 2, 0, nil),
		ni(140, 0, 0, 0, nil), ni(140, 0, 0, 0, []byte{1, 2}), ni(140, 1, 2, 0, nil), ni(140, 1, 2, 0, []byte{1}), ni(140, 2, 2, 0, []byte("x")),
		ni(140, 0, 1, 1, nil), ni(140, 0, 1, 0, nil), ni(140, 0, 2, 1, cat(be32(300), fqdn)), ni(140, 0, 2, 0, cat(be32(300), []byte("\x09host.ex.a"))),
		ni(140, 0, 2, 0, nil), ni(140, 0, 2, 0, be32(1)),
		ni(140, 0, 3, 0x7f, cat(be32(0xffffffff), addrBytes(ip6A), be32(3600), addrBytes(ip6B), []byte{1, 2, 3})),
		ni(140, 0, 3, 0, nil), ni(140, 0, 9, 0, nil), ni(140, 7, 2, 0, nil),
		icmp6Pkt(ip6A, ip6B, 140, 0, be32(0)),
		icmp6Pkt(ip6A, ip6B, 144, 0, be32(0x12340000)), icmp6Pkt(ip6A, ip6B, 146, 0, be32(0xabcd0000)),
		icmp6Pkt(ip6A, ip6B, 144, 0, nil), icmp6Pkt(ip6A, ip6B, 144, 0, []byte{1}),
		icmp6Pkt(ip6A, ip6B, 145, 0, cat(be32(0x12340000), addrBytes(ip6C), addrBytes(ip6D))),
		icmp6Pkt(ip6A, ip6B, 145, 0, cat(be32(0x12340000), addrBytes(ip6C), []byte{1, 2, 3})),
		icmp6Pkt(ip6A, ip6B, 147, 0, cat(be16(0x5678), []byte{0xc0, 0}, pfx)),
		icmp6Pkt(ip6A, ip6B, 147, 0, cat(be16(0x5678), []byte{0x40, 0}, pfx)),
		icmp6Pkt(ip6A, ip6B, 147, 0, cat(be16(0x5678), []byte{0x00, 0}, []byte{3, 0})),
		icmp6Pkt(ip6A, ip6B, 147, 0, nil),
	}
	// Router renumbering: commands with match and use prefixes, results.
	db8 := addrBytes(netip.MustParseAddr("2001:db8::"))
	rr := func(code, flags byte, body []byte) []byte {
		return icmp6Pkt(ip6A, ip6B, 138, int(code), cat(be32(5), []byte{2, flags}, be16(300), be32(0), body))
	}
	use := cat([]byte{64, 64, 0xc0, 0x80}, be32(3600), be32(0xffffffff), be32(0x80000000), db8)
	use2 := cat([]byte{48, 56, 0, 0}, be32(0xffffffff), be32(60), be32(0x40000000), db8)
	pkts = append(pkts,
		rr(0, 0, cat([]byte{1, 3, 7, 64, 0, 48, 0, 0}, db8)),
		rr(0, 0xf8, cat([]byte{2, 11, 1, 64, 0, 128, 0, 0}, db8, use, use2)),
		rr(0, 0, cat([]byte{3, 7, 1, 64, 0, 128, 0, 0}, db8, use2[:20])),
		rr(0, 0, cat([]byte{9, 4, 7, 64, 0, 48, 0, 0}, db8, use)),
		rr(0, 0, []byte{1, 3, 7}),
		rr(1, 0x10, nil), rr(255, 0, nil), rr(7, 0, nil),
		icmp6Pkt(ip6A, ip6B, 138, 0, cat(be32(5), []byte{2, 0}, be16(300))),
		icmp6Pkt(ip6A, ip6B, 138, 1, cat(be32(5), []byte{2, 0}, be16(300), be32(0x1234))),
		icmp6Pkt(ip6A, ip6B, 200, 0, seqBytes(20, 0)), icmp6Pkt(ip6A, ip6B, 201, 0, seqBytes(20, 0)),
	)
	return withSnaps(synthCapture{name: "tun-icmp6", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 58, 62, 66, 70, 74, 78, 82, 90, 100)
}

// icmpSweep is every ICMP type with a few codes and body sizes.
func icmpSweep() []synthCapture {
	inUDP := ipv4(ipA, ipB, 17, udpv(ipA, ipB, 40000, 9999, []byte("ping")), ip4opt{id: 2})
	var pkts [][]byte
	for t := 0; t <= 44; t++ {
		for _, code := range []int{0, 1} {
			pkts = append(pkts,
				icmp4(ipR, ipA, icmpMsg(t, code, cat(be16(3), be16(4)), inUDP)),
				icmp4(ipR, ipA, icmpMsg(t, code, cat(be16(1), be16(4)), seqBytes(12, 1))))
		}
	}
	pkts = append(pkts,
		icmp4(ipR, ipA, icmpMsg(9, 0, cat([]byte{2, 2}, be16(1800)), cat(addrBytes(ipR), be32(10), addrBytes(ipB), be32(0xffffffff)))),
		icmp4(ipR, ipA, icmpMsg(9, 0, cat([]byte{3, 2}, be16(1800)), cat(addrBytes(ipR), be32(10)))),
		icmp4(ipR, ipA, icmpMsg(9, 0, cat([]byte{1, 3}, be16(1800)), cat(addrBytes(ipR), be32(10), be32(7)))),
		icmp4(ipR, ipA, icmpMsg(17, 0, cat(be16(1), be16(2)), be32(0))),
		icmp4(ipR, ipA, icmpMsg(14, 0, cat(be16(1), be16(2)), cat(be32(1000), be32(86399999), be32(0x80000001)))),
	)
	return withSnaps(synthCapture{name: "tun-icmpsweep", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 42, 46, 50, 54, 60)
}

// gpeCaptures are VXLAN-GPE (UDP 4790) packets with each next protocol.
func gpeCaptures() []synthCapture {
	inner4 := ipv4(netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.19.0.2"), 1, icmpMsg(8, 0, cat(be16(1), be16(1)), make([]byte, 8)), ip4opt{})
	inner6 := ipv6(ip6A, ip6B, 17, udpv(ip6A, ip6B, 1, 2, []byte("gpe6")))
	gpe := func(flags, np byte, vni uint32, payload []byte) []byte {
		return udp4(ipA, ipB, 51002, 4790, cat([]byte{flags, 0, 0, np}, be32(vni<<8|0x5a), payload))
	}
	pkts := [][]byte{
		gpe(0x0c, 1, 42, inner4),
		gpe(0x0c, 2, 43, inner6),
		gpe(0x0c, 3, 44, eth(0x0800, inner4)),
		gpe(0x0c, 4, 45, make([]byte, 24)),
		gpe(0x0c, 4, 47, cat([]byte{0x20, 0x06, 0x01, 0x01}, be32(0x00abcd05), be32(1), be32(2), be32(3), be32(4), inner4)),
		gpe(0x0c, 4, 48, cat([]byte{0x0f, 0xc5, 0x02, 0x02}, be32(0x00000107), be16(0x0102), []byte{3, 5}, seqBytes(8, 0xa0), be16(9), []byte{1, 0}, inner6)),
		gpe(0x0c, 4, 49, cat([]byte{0x00, 0xc3, 0x02, 0x03}, be32(0x00000107), be16(0x0102), []byte{3, 9}, seqBytes(8, 0xa0), eth(0x0800, inner4))),
		gpe(0x0c, 4, 50, cat([]byte{0x40, 0x02, 0x01, 0x01}, be32(7), inner4)),
		gpe(0x0c, 4, 51, cat([]byte{0x00, 0x3f, 0x01, 0x01}, be32(7), inner4)),
		gpe(0x0c, 4, 52, cat([]byte{0x00, 0x04, 0x01, 0x01}, be32(7), be32(1), be32(2), inner4)),
		gpe(0x0c, 4, 53, cat([]byte{0x00, 0x02, 0x0e, 0x09}, be32(7), inner4)),
		gpe(0x0c, 4, 54, []byte{0, 2, 1}),
		gpe(0x0d, 9, 46, inner4),
		gpe(0xf2, 1, 46, inner4),
		gpe(0x00, 1, 0xffffff, inner4),
		gpe(0x08, 1, 7, nil),
		udp4(ipA, ipB, 4790, 51003, []byte{0x0c, 0, 0, 1, 0, 0}),
	}
	return withSnaps(synthCapture{name: "tun-gpe", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 44, 48, 52, 56, 62)
}

// optCaptures are Geneve options, IPv4 options and IPv6 extension headers
// of every kind tcpdump names.
func optCaptures() []synthCapture {
	ip6C := netip.MustParseAddr("2001:db8::c")
	ip6D := netip.MustParseAddr("2001:db8::d")
	inner := eth(0x0800, ipv4(netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.19.0.2"), 1, icmpMsg(8, 0, cat(be16(1), be16(1)), make([]byte, 8)), ip4opt{}))
	gen := func(opts []byte, flags byte) []byte {
		return udp4(ipA, ipB, 51001, 6081, cat([]byte{byte(len(opts) / 4), flags}, be16(0x6558), be32(0x2a<<8), opts, inner))
	}
	gopt := func(class int, typ byte, data []byte) []byte {
		return cat(be16(class), []byte{typ, byte(len(data) / 4)}, data)
	}
	pkts := [][]byte{
		gen(cat(gopt(0x0100, 1, nil), gopt(0x0101, 0x81, be32(7)), gopt(0x0102, 2, seqBytes(8, 1)), gopt(0x0103, 3, nil), gopt(0x0104, 4, nil)), 0xc0),
		gen(cat(gopt(0x0005, 1, nil), gopt(0xfff1, 2, be32(1)), gopt(0x1234, 3, nil)), 0x3f),
		gen(cat(be16(0x0100), []byte{1, 5}, be32(1)), 0),
		udp4(ipA, ipB, 51001, 6081, cat([]byte{0x40, 0}, be16(0x6558), be32(1<<8), inner)),
		udp4(ipA, ipB, 51001, 6081, cat([]byte{0x02, 0}, be16(0x6558), be32(1<<8), be32(0))),
		udp4(ipA, ipB, 51001, 6081, cat([]byte{0x00, 0}, be16(0x86dd), be32(1<<8), ipv6(ip6A, ip6B, 59, nil))),
	}
	// IPv4 options.
	o4 := func(opts []byte) []byte {
		return eth(0x0800, ipv4(ipA, ipB, 17, udpv(ipA, ipB, 1, 2, []byte("o")), ip4opt{options: opts}))
	}
	pkts = append(pkts,
		o4([]byte{68, 12, 5, 0, 0, 0, 0, 1, 0, 0, 0, 2}),
		o4(cat([]byte{68, 20, 21, 1}, addrBytes(ipA), be32(5), addrBytes(ipB), be32(6))),
		o4(cat([]byte{68, 20, 5, 3}, addrBytes(ipA), be32(5), addrBytes(ipB), be32(6))),
		o4([]byte{68, 12, 5, 0x32, 0, 0, 0, 1, 0, 0, 0, 2}),
		o4([]byte{68, 8, 5, 2, 0, 0, 0, 1}),
		o4([]byte{68, 11, 6, 0, 0, 0, 0, 1, 0, 0, 0, 0}),
		o4([]byte{68, 3, 5, 0}),
		o4([]byte{130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
		o4(cat([]byte{131, 11, 4}, addrBytes(ipA), addrBytes(ipB), []byte{0})),
		o4(cat([]byte{137, 7, 8}, addrBytes(ipR), []byte{0})),
		o4(cat([]byte{7, 8, 5}, addrBytes(ipR), []byte{0, 0, 0, 0})),
		o4([]byte{82, 12, 0, 1, 0, 2, 0, 3, 1, 2, 3, 4}),
		o4([]byte{148, 4, 0, 1}),
		o4([]byte{148, 3, 0, 0}),
		o4([]byte{25, 4, 1, 2}),
		o4([]byte{0, 1, 1, 1}),
		o4([]byte{1, 1, 7, 0}),
		o4([]byte{7, 1, 0, 0}),
		o4([]byte{7, 9, 4, 0}),
		o4([]byte{130, 2, 0, 0}),
		o4([]byte{134, 6, 0, 0, 0, 0, 0, 0}),
	)
	// IPv6 extension headers.
	udp6 := udpv(ip6A, ip6B, 1, 2, []byte("x6"))
	ext := func(nh byte, body []byte) []byte { return cat([]byte{nh, byte((len(body)+2)/8 - 1)}, body) }
	v6 := func(nh int, payload []byte) []byte { return eth(0x86dd, ipv6(ip6A, ip6B, nh, payload)) }
	pkts = append(pkts,
		v6(0, cat(ext(17, []byte{1, 4, 0, 0, 0, 0}), udp6)),
		v6(0, cat(ext(17, []byte{0, 5, 2, 0, 0, 1, 0}), udp6)),
		v6(60, cat(ext(17, cat([]byte{0xc9, 16}, addrBytes(ip6C), []byte{1, 2, 0, 0})), udp6)),
		v6(60, cat(ext(17, cat([]byte{0xc9, 20}, addrBytes(ip6C), []byte{0, 1, 0, 3, 1, 2}, []byte{1, 0})), udp6)),
		v6(60, cat(ext(17, []byte{0x3e, 4, 1, 2, 3, 4}), udp6)),
		v6(43, cat(ext(17, cat([]byte{0, 1}, be32(0), addrBytes(ip6C))), udp6)),
		v6(43, cat(ext(17, cat([]byte{2, 1}, be32(0), addrBytes(ip6C))), udp6)),
		v6(43, cat(ext(17, cat([]byte{4, 1, 1, 0}, be16(7), addrBytes(ip6C), addrBytes(ip6D))), udp6)),
		v6(43, cat(ext(17, cat([]byte{3, 1}, be32(0x22000000), addrBytes(ip6C))), udp6)),
		v6(43, cat(ext(17, cat([]byte{5, 1}, be32(0), addrBytes(ip6C))), udp6)),
		v6(44, cat([]byte{17, 0}, be16(0x0001), be32(0x12345678), udp6)),
		// The transport checksum covers the routing header's final
		// destination: these are right for it, wrong for the IPv6 one.
		v6(43, cat(ext(17, cat([]byte{4, 1, 1, 0}, be16(7), addrBytes(ip6D), addrBytes(ip6C))), udpv(ip6A, ip6D, 1, 2, []byte("d")))),
		v6(43, cat(ext(6, cat([]byte{0, 2}, be32(0), addrBytes(ip6C), addrBytes(ip6D))), tcpv(ip6A, ip6D, tcpSeg{sport: 1, dport: 2, seq: 3, flags: thSYN}))),
		v6(0, cat(ext(43, []byte{1, 4, 0, 0, 0, 0}), ext(58, cat([]byte{2, 1}, be32(0), addrBytes(ip6C))), icmp6Msg(ip6A, ip6C, 128, 0, cat(be16(1), be16(2))))),
		eth(0x0800, ipv4(ipA, ipB, 17, udpv(ipA, ipR, 1, 2, []byte("r")), ip4opt{options: cat([]byte{1, 137, 11, 4}, addrBytes(ipB), addrBytes(ipR))})),
		// Mobility headers of every type, with options.
		v6(135, cat([]byte{59, 0, 0, 0}, be16(0), be16(0))),
		v6(135, cat([]byte{59, 1, 1, 0}, be16(0), be16(0), seqBytes(8, 1))),
		v6(135, cat([]byte{59, 1, 2, 0}, be16(0), be16(0), seqBytes(8, 1))),
		v6(135, cat([]byte{59, 2, 3, 0}, be16(0), be16(0x1234), seqBytes(16, 1))),
		v6(135, cat([]byte{59, 3, 4, 0}, be16(0), be16(0x1234), seqBytes(16, 1), []byte{1, 6}, make([]byte, 6))),
		v6(135, cat([]byte{59, 1, 5, 0}, be16(0), be16(7), []byte{0xf0, 0}, be16(100), []byte{1, 4, 0, 0, 0, 0})),
		v6(135, cat([]byte{59, 3, 5, 0}, be16(0), be16(7), []byte{0x80, 0}, be16(100), []byte{2, 2}, be16(9), []byte{4, 4}, be16(1), be16(2), []byte{5, 10}, make([]byte, 10))),
		v6(135, cat([]byte{59, 3, 6, 0}, be16(0), []byte{1, 0x80}, be16(7), be16(100), []byte{3, 16}, addrBytes(ip6C), []byte{0x33, 2, 0, 0})),
		v6(135, cat([]byte{59, 2, 7, 0}, be16(0), []byte{2, 0}, addrBytes(ip6C))),
		v6(135, cat([]byte{59, 1, 9, 0}, be16(0), be16(0), make([]byte, 8))),
		v6(135, cat([]byte{59, 0, 5, 0}, be16(0), be16(0))),
		v6(135, cat([]byte{59, 1, 6, 0}, be16(0), []byte{1, 0x80}, be16(7), be16(100), []byte{0, 0, 0, 0, 0, 0})),
		v6(135, cat([]byte{59, 1, 6, 0}, be16(0), []byte{1, 0x80}, be16(7), be16(100), []byte{1, 9, 0, 0, 0, 0})),
		v6(62, cat([]byte{59, 0, 0, 0}, be16(0), be16(0))),
		v6(51, cat([]byte{17, 4, 0, 0}, be32(9), be32(1), seqBytes(12, 1), udp6)),
		v6(50, cat(be32(9), be32(1), seqBytes(20, 1))),
	)
	return withSnaps(synthCapture{name: "tun-opts", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 60, 66, 70, 80, 90)
}

// pptpCaptures are PPP frames in GRE version 1 (PPTP) with the payloads
// netdiag decodes and short headers.
func pptpCaptures() []synthCapture {
	inner := ipv4(netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.19.0.2"), 1, icmpMsg(8, 0, cat(be16(1), be16(1)), make([]byte, 8)), ip4opt{})
	inner6 := ipv6(ip6A, ip6B, 59, nil)
	gre1 := func(flags int, fields, payload []byte) []byte {
		return eth(0x0800, ipv4(ipA, ipB, 47, cat(be16(flags), be16(0x880b), fields, payload), ip4opt{id: 1723}))
	}
	ks := cat(be32(0x00100002), be32(7))
	var pkts [][]byte
	for _, body := range [][]byte{
		cat([]byte{0xff, 0x03, 0x00, 0x21}, inner), cat([]byte{0x21}, inner), cat([]byte{0x00, 0x57}, inner6),
		cat([]byte{0xff, 0x03, 0x57}, inner6), {0x00, 0xfd, 1, 2, 3, 4}, {0xff}, {0xff, 0x03}, {0xff, 0x03, 0x00},
		cat([]byte{0x00, 0x2f}, inner), cat([]byte{0x00, 0x03, 0x21}, inner), cat([]byte{0x01, 0x03, 0x00, 0x21}, inner), {0x00},
	} {
		pkts = append(pkts, gre1(0x3001, ks, body))
	}
	pkts = append(pkts, gre1(0x3081, cat(ks, be32(6)), cat([]byte{0xff, 0x03, 0x00, 0x21}, inner)))
	// tcpdump 4.99 leaves ERSPAN (I, II and III), keepalives, WCCP, CDP
	// and NSH in GRE undecoded.
	gre0 := func(flags, proto int, fields, payload []byte) []byte {
		return eth(0x0800, ipv4(ipA, ipB, 47, cat(be16(flags), be16(proto), fields, payload), ip4opt{id: 4747}))
	}
	pkts = append(pkts,
		gre0(0, 0x88be, nil, cat([]byte{0x10, 0x01, 0x00, 0x64}, be32(7), eth(0x0800, inner))),
		gre0(0x1000, 0x88be, be32(5), cat([]byte{0x10, 0x01, 0x00, 0x64}, be32(7), eth(0x0800, inner))),
		gre0(0x1000, 0x22eb, be32(5), cat([]byte{0x20, 0x01, 0x00, 0x64}, be32(12345), be32(0x8001), eth(0x0800, inner))),
		gre0(0, 0x0000, nil, nil),
		gre0(0, 0x883e, nil, cat([]byte{0xe0, 1, 2, 3}, inner)),
		gre0(0, 0x2000, nil, []byte{2, 0xb4, 0, 0}),
		gre0(0, 0x894f, nil, make([]byte, 24)),
	)
	return withSnaps(synthCapture{name: "tun-pptp", lt: pcapio.LinkTypeEthernet, pkts: pkts}, 50, 52, 54, 56, 60)
}
