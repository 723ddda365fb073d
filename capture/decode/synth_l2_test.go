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

// lldpTLV is one LLDP TLV: 7 bits of type, 9 of length.
func lldpTLV(typ int, body ...[]byte) []byte {
	b := cat(body...)
	return cat(be16(typ<<9|len(b)), b)
}

// lldpOrg is an organization-specific TLV.
func lldpOrg(oui uint32, sub int, body ...[]byte) []byte {
	return lldpTLV(127, be32(oui<<8|uint32(sub)), cat(body...))
}

var lldpDst = []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}

func lldpFrame(tlvs ...[]byte) []byte {
	return cat(lldpDst, macA, be16(0x88cc), cat(tlvs...))
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
		cat(macB, macA, vlanTag(0x88a8, 0x0010), vlanTag(0x8100, 0x0020), be16(38), []byte{0x42, 0x42, 0x03}, make([]byte, 35)),
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

	// LLDP: every TLV and organization-specific subtype tcpdump decodes,
	// and short or malformed ones.
	chassisMAC := lldpTLV(1, []byte{4}, macA)
	portName := lldpTLV(2, []byte{5}, []byte("eth0"))
	ttl := lldpTLV(3, be16(120))
	end := lldpTLV(0)
	str := func(s string) []byte { return []byte(s) }
	ets := cat([]byte{0x83, 0x01, 0x23, 0x45, 0x67}, []byte{10, 20, 30, 40, 0, 0, 0, 0}, []byte{0, 1, 2, 255, 0, 0, 0, 0})
	dcbx := func(typ int, body []byte) []byte { return cat(be16(typ<<9|len(body)), body) }
	lldpPkts := [][]byte{
		lldpFrame(chassisMAC, portName, ttl, lldpTLV(4, str("uplink to node-1")), lldpTLV(5, str("switch-1.lab")),
			lldpTLV(6, str("Linux 6.1 \x01 amd64")), lldpTLV(7, be16(0x0014), be16(0x0010)),
			lldpTLV(8, []byte{5, 1}, addrBytes(ipA), []byte{2}, be32(3), []byte{0}), end),
		lldpFrame(lldpTLV(1, []byte{1}, str("chassis-comp")), lldpTLV(2, []byte{1}, str("alias")), ttl,
			lldpTLV(1, []byte{2}, str("ifalias\x00junk")), lldpTLV(1, []byte{3}, str("portcomp")),
			lldpTLV(1, []byte{5, 1}, addrBytes(ipB)), lldpTLV(1, []byte{5, 2}, addrBytes(ip6A)),
			lldpTLV(1, []byte{5, 6}, macB), lldpTLV(1, []byte{5, 12, 1, 2}), lldpTLV(1, []byte{6}, str("eth1")),
			lldpTLV(1, []byte{7}, str("local")), lldpTLV(1, []byte{9, 1, 2}), end),
		lldpFrame(chassisMAC, lldpTLV(2, []byte{2}, str("pc")), lldpTLV(2, []byte{3}, macB),
			lldpTLV(2, []byte{4, 1}, addrBytes(ipA)), lldpTLV(2, []byte{6}, str("circuit")),
			lldpTLV(2, []byte{7}, str("7")), lldpTLV(2, []byte{0}, str("zero")), ttl,
			lldpTLV(7, be16(0x00ff), be16(0)), lldpTLV(7, be16(0xff00), be16(0x0100)),
			lldpTLV(8, []byte{17, 2}, addrBytes(ip6B), []byte{3}, be32(7), []byte{4}, str("oid\x01")),
			lldpTLV(8, []byte{7, 6}, macA, []byte{9}, be32(1)),
			lldpTLV(8, []byte{3, 9, 1, 2}, []byte{2}, be32(1)),
			lldpTLV(9, str("unknown tlv")), end),
		lldpFrame(chassisMAC, portName, ttl,
			lldpOrg(0x0080c2, 1, be16(100)), lldpOrg(0x0080c2, 2, []byte{6}, be16(200)),
			lldpOrg(0x0080c2, 2, []byte{0}, be16(201)), lldpOrg(0x0080c2, 3, be16(300), []byte{5}, str("vlan3")),
			lldpOrg(0x0080c2, 4, []byte{4}, []byte{0x88, 0x8e, 0x01, 0x02}),
			lldpOrg(0x0080c2, 8, []byte{0xa5, 0x0f}), lldpOrg(0x0080c2, 9, ets),
			lldpOrg(0x0080c2, 10, ets), lldpOrg(0x0080c2, 11, []byte{0xd8, 0x28}),
			lldpOrg(0x0080c2, 12, []byte{0}, []byte{0xa9}, be16(3260), []byte{0x61}, be16(80)),
			lldpOrg(0x0080c2, 13, []byte{0xff, 0xff, 0xab, 0xcd, 0xef}),
			lldpOrg(0x0080c2, 14, []byte{0xf8, 0}, be16(0xf123), []byte{0x00, 0x10, 0x05, 0x00, 0x20, 0x06}),
			lldpOrg(0x0080c2, 99, []byte{1, 2, 3}), end),
		lldpFrame(chassisMAC, portName, ttl,
			lldpOrg(0x0080c2, 1, []byte{1}), lldpOrg(0x0080c2, 2, be16(1)), lldpOrg(0x0080c2, 3, be16(5)),
			lldpOrg(0x0080c2, 3, be16(5), []byte{9}, str("ab")), lldpOrg(0x0080c2, 4, []byte{9}),
			lldpOrg(0x0080c2, 8, []byte{1}), lldpOrg(0x0080c2, 9, ets[:5]), lldpOrg(0x0080c2, 10, ets[:5]),
			lldpOrg(0x0080c2, 11, []byte{1}), lldpOrg(0x0080c2, 12), lldpOrg(0x0080c2, 12, []byte{0}),
			lldpOrg(0x0080c2, 12, []byte{0, 1, 2}), lldpOrg(0x0080c2, 13, []byte{1}),
			lldpOrg(0x0080c2, 14, []byte{1, 2, 3, 4}), lldpOrg(0x0080c2, 14, []byte{1, 2, 3, 4, 5}),
			lldpTLV(127, []byte{0x00, 0x80, 0xc2}), lldpTLV(127, []byte{0x00, 0x80}), end),
		lldpFrame(chassisMAC, portName, ttl,
			lldpOrg(0x00120f, 1, []byte{3}, be16(0x6c03), be16(30)), lldpOrg(0x00120f, 1, []byte{0}, be16(0x8000), be16(99)),
			lldpOrg(0x00120f, 2, []byte{0x0f, 1, 3}), lldpOrg(0x00120f, 2, []byte{0, 7, 9}),
			lldpOrg(0x00120f, 3, []byte{3}, be32(17)), lldpOrg(0x00120f, 4, be16(9000)),
			lldpOrg(0x00120f, 1, []byte{3}), lldpOrg(0x00120f, 4, []byte{1}), lldpOrg(0x00120f, 7, []byte{1, 2}),
			lldpOrg(0x00005e, 1, str("https://mud.example/x")), lldpOrg(0x00005e, 2, str("xxxx")),
			lldpOrg(0x00005e, 1, str("a")), lldpOrg(0x00000c, 1, str("cisco")), end),
		lldpFrame(chassisMAC, portName, ttl,
			lldpOrg(0x0012bb, 1, be16(0x003f), []byte{3}), lldpOrg(0x0012bb, 1, be16(0), []byte{7}),
			lldpOrg(0x0012bb, 2, []byte{1, 0x40, 0xc9, 0x6e}), lldpOrg(0x0012bb, 2, []byte{9, 0xa0, 0, 0}),
			lldpOrg(0x0012bb, 3, []byte{1, 0x51, 0x2d, 0x11, 0x22, 0x33, 0x52, 0x01, 0x44, 0x55, 0x66, 0x10, 0x40, 0x00, 0x01, 0x23, 2}),
			lldpOrg(0x0012bb, 3, []byte{2, 12, 1}, str("US"), []byte{1, 2}, str("CA"), []byte{3, 3}, str("SJC"), []byte{0}),
			lldpOrg(0x0012bb, 3, []byte{2, 9, 2}, str("D\x00"), []byte{9, 1}, str("x\x00"), []byte{0, 0}),
			lldpOrg(0x0012bb, 3, []byte{2, 7, 2}, str("DE"), []byte{0, 2}, str("xx"), []byte{0}),
			lldpOrg(0x0012bb, 3, []byte{2, 7, 2}, str("DE"), []byte{6, 3}, str("xx"), []byte{0}),
			lldpOrg(0x0012bb, 3, []byte{2, 6, 2}, str("DE"), []byte{6}, []byte{0}),
			lldpOrg(0x0012bb, 3, []byte{2, 2, 2}, str("DE")),
			lldpOrg(0x0012bb, 3, []byte{3}, str("5551234")), lldpOrg(0x0012bb, 3, []byte{9, 1, 2, 3}),
			lldpOrg(0x0012bb, 4, []byte{0x51}, be16(130)), lldpOrg(0x0012bb, 4, []byte{0x40}, be16(1024)),
			lldpOrg(0x0012bb, 4, []byte{0x80}, be16(155)), lldpOrg(0x0012bb, 4, []byte{0x72}, be16(3)),
			lldpOrg(0x0012bb, 5, str("rev A")), lldpOrg(0x0012bb, 6, str("fw 1.2")), lldpOrg(0x0012bb, 7, str("sw")),
			lldpOrg(0x0012bb, 8, str("SN123")), lldpOrg(0x0012bb, 9, str("ACME")), lldpOrg(0x0012bb, 10, str("M1")),
			lldpOrg(0x0012bb, 11, str("asset")), lldpOrg(0x0012bb, 12, str("?")), lldpOrg(0x0012bb, 1, []byte{1}), end),
		lldpFrame(chassisMAC, portName, ttl,
			lldpOrg(0x001b21, 2,
				dcbx(1, cat([]byte{0, 0}, be32(7), be32(8))),
				dcbx(2, cat([]byte{0, 0, 0xe0, 0}, be32(0x01234567), []byte{10, 20, 30, 40, 0, 0, 0, 0, 8})),
				dcbx(3, []byte{0, 0, 0x80, 0, 0x09, 8}),
				dcbx(4, cat([]byte{0, 0, 0x40, 0}, be16(0x8906), []byte{0x00, 0x1b, 0x21, 0x08}, be16(3260), []byte{0x40, 0x1b, 0x21, 0x10})),
				dcbx(9, []byte{1, 2})),
			lldpOrg(0x001b21, 1, []byte{1, 2, 3}),
			lldpOrg(0x001b21, 2, dcbx(1, []byte{1, 2, 3})),
			lldpOrg(0x001b21, 2, dcbx(2, []byte{1, 2, 3})),
			lldpOrg(0x001b21, 2, dcbx(3, []byte{1, 2, 3}), dcbx(4, []byte{1, 2, 3, 4, 5})),
			lldpOrg(0x001b21, 2, dcbx(9, []byte{1}), dcbx(0, nil), dcbx(4, []byte{1, 2, 3, 4})),
			lldpOrg(0x001b21, 2, be16(4<<9|20), []byte{1, 2}),
			lldpOrg(0x001b21, 2, dcbx(9, []byte{1}), []byte{7}), end),
		lldpFrame(chassisMAC, lldpTLV(1, []byte{4}, macA[:3]), lldpTLV(1, []byte{5, 1, 1}), lldpTLV(1, []byte{5})),
		lldpFrame(chassisMAC, lldpTLV(1, []byte{4})),
		lldpFrame(lldpTLV(2, []byte{3}, macA[:2])),
		lldpFrame(lldpTLV(3, []byte{1})),
		lldpFrame(lldpTLV(7, be16(1))),
		lldpFrame(lldpTLV(8, []byte{9, 1})),
		lldpFrame(lldpTLV(8, []byte{4, 1, 1, 2, 3})),
		lldpFrame(lldpTLV(8, []byte{5, 1, 1, 2, 3, 4}, []byte{2, 0, 0})),
		lldpFrame(lldpTLV(8, []byte{5, 1, 1, 2, 3, 4}, []byte{2}, be32(5), []byte{5, 1})),
		lldpFrame(lldpTLV(8, []byte{0})),
		lldpFrame(lldpTLV(127, []byte{0, 0x12, 0x0f, 4})),
		lldpFrame(lldpTLV(5, str("host")), be16(5<<9|30), str("short")),
		lldpFrame(lldpTLV(5, str("host")), []byte{0x0a}),
		lldpFrame(lldpTLV(5, str("host")), lldpTLV(0, []byte{1, 2}), lldpTLV(5, str("after end"))),
		lldpFrame(lldpTLV(5, str("host")), lldpTLV(4)),
		lldpFrame(),
	}
	add(withSnaps(synthCapture{name: "l2-lldp", lt: pcapio.LinkTypeEthernet, pkts: lldpPkts}, 15, 16, 17, 20, 24, 30, 40, 50, 64, 100)...)

	// Spanning tree BPDUs over LLC: 802.1D config and TCN, RSTP, MSTP with
	// MSTIs, SPB, and short or odd ones.
	stpDst := []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}
	llc := func(dst []byte, bpdu []byte) []byte {
		return cat(dst, macA, be16(3+len(bpdu)), []byte{0x42, 0x42, 0x03}, bpdu)
	}
	bridge := func(prio int, mac []byte) []byte { return cat(be16(prio), mac) }
	cfg := func(version, typ, flags int) []byte {
		return cat(be16(0), []byte{byte(version), byte(typ), byte(flags)}, bridge(0x8000, macB), be32(4),
			bridge(0x8001, macA), be16(0x8002), be16(1*256+128), be16(20*256), be16(2*256), be16(15*256+32))
	}
	mstiRec := func(flags, id int, cost uint32) []byte {
		return cat([]byte{byte(flags)}, bridge(0x8000|id, macB), be32(cost), []byte{0x80, 0x90, 19})
	}
	mstp := func(version int, mstis ...[]byte) []byte {
		m := cat(mstis...)
		name := make([]byte, 32)
		copy(name, "region-1")
		return cat(cfg(version, 2, 0x7c), []byte{0}, be16(64+len(m)), []byte{0}, name, be16(3),
			be32(0x01020304), be32(0x05060708), be32(0x090a0b0c), be32(0x0d0e0f10), be32(200000),
			bridge(0x9000, macA), []byte{20}, m)
	}
	spbExt := func() []byte {
		name := make([]byte, 32)
		copy(name, "aux\x01")
		return cat(be16(85), []byte{1}, name, be16(9), make([]byte, 16), []byte{0xfc, 0, 0x12, 0x34}, be16(7), make([]byte, 8), be32(0xdeadbeef), make([]byte, 16))
	}
	stpPkts := [][]byte{
		llc(stpDst, cfg(0, 0, 0)),
		llc(stpDst, cfg(0, 0, 0x81)),
		llc(stpDst, cat(be16(0), []byte{0, 0x80})),
		llc(stpDst, cat(cfg(2, 2, 0x3e), []byte{0})),
		llc(stpDst, cat(cfg(2, 2, 0x78), []byte{0})),
		llc(stpDst, cfg(2, 2, 0x04)),
		llc(stpDst, cat(cfg(2, 2, 0x0c), []byte{0})),
		llc(stpDst, mstp(3)),
		llc(stpDst, mstp(3, mstiRec(0x7c, 1, 2000), mstiRec(0x01, 4095, 0), []byte{1, 2, 3})),
		llc(stpDst, cat(mstp(4, mstiRec(0x48, 2, 20)), spbExt())),
		llc(stpDst, cat(mstp(4), spbExt()[:40])),
		llc(stpDst, mstp(3)[:101]),
		llc(stpDst, cat(mstp(3)[:35], []byte{1}, mstp(3)[36:])),
		llc(stpDst, cat(mstp(3)[:36], be16(200), mstp(3)[38:])),
		llc(stpDst, cfg(0, 0, 0)[:34]),
		llc(stpDst, cfg(2, 2, 0)[:35]),
		llc(stpDst, cfg(1, 0, 0)),
		llc(stpDst, cfg(3, 0, 0x01)),
		llc(stpDst, cfg(2, 7, 0)),
		llc(stpDst, cfg(0, 2, 0)),
		llc(stpDst, cat(be16(1), make([]byte, 33))),
		llc(stpDst, []byte{0, 0, 0}),
		llc(stpDst, []byte{0, 0, 0, 0}),
		// Padded to the Ethernet minimum: the 802.3 length ends the BPDU.
		cat(stpDst, macA, be16(38), []byte{0x42, 0x42, 0x03}, cfg(0, 0, 0), make([]byte, 8)),
		// Cisco PVST+ on a trunk: tagged, over SNAP, with the VLAN TLV after
		// the BPDU.
		cat([]byte{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd}, macA, vlanTag(0x8100, 0xe00a), be16(50),
			[]byte{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c}, be16(0x010b), cat(cfg(2, 2, 0x3c), []byte{0}), be16(0), be16(2), be16(10)),
	}
	add(withSnaps(synthCapture{name: "l2-stp", lt: pcapio.LinkTypeEthernet, pkts: stpPkts}, 18, 20, 22, 30, 40, 50, 60, 80, 100, 120, 130)...)

	// Slow protocols: LACP, Marker and OAM PDUs with good, short and
	// unknown TLVs.
	slowDst := []byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02}
	slowFrame := func(pdu ...[]byte) []byte { return cat(slowDst, macA, be16(0x8809), cat(pdu...)) }
	actor := func(typ, state int) []byte {
		return cat([]byte{byte(typ), 20}, be16(32768), macA, be16(15), be16(255), be16(3), []byte{byte(state), 0, 0, 0})
	}
	lacpPDU := func(tlvs ...[]byte) []byte { return cat([]byte{1, 1}, cat(tlvs...)) }
	collector := cat([]byte{3, 16}, be16(50), make([]byte, 12))
	term := []byte{0, 0}
	oamInfo := func(typ, ilen int) []byte {
		return cat([]byte{byte(typ), byte(ilen), 1}, be16(2), []byte{0x05, 0x1f}, be16(0x05ee), []byte{0x00, 0x12, 0x0f}, be32(0xabcdef01))
	}
	event := func(typ, elen int) []byte {
		return cat([]byte{byte(typ), byte(elen)}, be16(10), be32(0), be32(1000), be32(0), be32(1), be32(0), be32(5), be32(0), be32(99), be32(3))
	}
	slowPkts := [][]byte{
		slowFrame(lacpPDU(actor(1, 0x3d), actor(2, 0xc2), collector, term, make([]byte, 50))),
		slowFrame(lacpPDU(actor(1, 0), []byte{2, 18}, make([]byte, 16), []byte{3, 10}, make([]byte, 8), []byte{9, 4, 1, 2}, term)),
		slowFrame(lacpPDU([]byte{1, 1})),
		slowFrame(lacpPDU([]byte{1, 40}, make([]byte, 10))),
		slowFrame(lacpPDU(actor(1, 1), []byte{1})),
		slowFrame([]byte{1, 2, 1, 20}),
		slowFrame([]byte{1}),
		slowFrame([]byte{2, 1}, []byte{1, 16}, be16(7), macB, be32(0xdeadbeef), []byte{0, 0}, term),
		slowFrame([]byte{2, 1}, []byte{1, 12}, make([]byte, 10), []byte{5, 3, 1}, term),
		slowFrame([]byte{2, 3}),
		slowFrame([]byte{3}, be16(0x0050), []byte{0}, oamInfo(1, 16), oamInfo(2, 16), []byte{0xfe, 5, 0, 0x12, 0x0f}, []byte{7, 3, 1}, term),
		slowFrame([]byte{3}, be16(0x007f), []byte{0}, oamInfo(1, 16)[:12], []byte{1, 1}),
		slowFrame([]byte{3}, be16(0), []byte{0}, []byte{1, 5, 16, 1, 2}),
		slowFrame([]byte{3}, be16(0x0001), []byte{1}, be16(77), event(1, 40), event(2, 40), event(3, 40), event(4, 40), cat(event(1, 30)[:30]), []byte{0xfe, 4, 1, 2}, []byte{9, 2}, term),
		slowFrame([]byte{3}, be16(0), []byte{1}, be16(78), []byte{1, 1}),
		slowFrame([]byte{3}, be16(0), []byte{1}, []byte{0}),
		slowFrame([]byte{3}, be16(0), []byte{4}, []byte{1}),
		slowFrame([]byte{3}, be16(0), []byte{4}, []byte{2}),
		slowFrame([]byte{3}, be16(0), []byte{4}, []byte{9}),
		slowFrame([]byte{3}, be16(0), []byte{4}),
		slowFrame([]byte{3}, be16(0), []byte{2}, []byte{7, 0, 1, 2}),
		slowFrame([]byte{3}, be16(0), []byte{3}, []byte{7, 0, 1, 2, 4}),
		slowFrame([]byte{3}, be16(0), []byte{0xfe}, []byte{0, 0x12, 0x0f, 1}),
		slowFrame([]byte{3}, be16(0), []byte{0x33}),
		slowFrame([]byte{3, 0}),
		slowFrame([]byte{9, 1, 2, 3}),
		slowFrame(),
	}
	add(withSnaps(synthCapture{name: "l2-slow", lt: pcapio.LinkTypeEthernet, pkts: slowPkts}, 15, 16, 17, 18, 20, 30, 40, 50, 60, 80)...)

	// MACsec SecTAGs: integrity only (the payload is decoded), encrypted,
	// with and without SCI and short length, and broken ones.
	icv := []byte("0123456789abcdef")
	sectag := func(tci, sl int, pn uint32, sci []byte) []byte {
		return cat([]byte{byte(tci), byte(sl)}, be32(pn), sci)
	}
	sci := cat(macA, be16(1))
	ms := func(parts ...[]byte) []byte { return cat(macB, macA, be16(0x88e5), cat(parts...)) }
	shortUDP := ipv4(ipA, ipB, 17, udpv(ipA, ipB, 7, 8, []byte("x")), ip4opt{id: 1})
	macsecPkts := [][]byte{
		ms(sectag(0x20, 0, 1, sci), be16(0x0800), udpIn, icv),
		ms(sectag(0x01, 0, 2, nil), be16(0x86dd), udp6In, icv),
		ms(sectag(0x2c, 0, 3, sci), []byte("encrypted payload bytes..."), icv),
		ms(sectag(0x4b, 0, 0xffffffff, nil), []byte("encrypted"), icv),
		ms(sectag(0x06, 0, 4, nil), []byte("changed"), icv),
		ms(sectag(0x30, len(shortUDP)+2, 5, sci), be16(0x0800), shortUDP, []byte{0, 0}, icv),
		ms(sectag(0x00, 0, 6, nil), vlanTag(0x8100, 0x0005), be16(0x0800), udpIn, icv),
		ms(sectag(0x00, 0, 7, nil), be16(0x1234), []byte("opaque"), icv),
		ms(sectag(0x00, 0, 8, nil), be16(40), []byte{0x42, 0x42, 0x03}, cfg(0, 0, 0)[:37], icv),
		ms(sectag(0x80, 0, 9, nil), be16(0x0800), udpIn, icv),
		ms(sectag(0x00, 0x40, 9, nil), be16(0x0800), udpIn, icv),
		ms(sectag(0x00, 60, 10, nil), be16(0x0800), shortUDP, icv),
		ms(sectag(0x00, 0, 11, nil), []byte{8}),
		ms(sectag(0x00, 0, 11, nil), icv[:10]),
		ms(sectag(0x20, 0, 12, sci[:4])),
		ms([]byte{0x00, 0, 0}),
		ms(sectag(0x00, 0, 13, nil), icv),
	}
	add(withSnaps(synthCapture{name: "l2-macsec", lt: pcapio.LinkTypeEthernet, pkts: macsecPkts}, 16, 18, 20, 24, 30, 40, 50, 60, 80)...)

	// CDP over SNAP, other SNAP payloads, and broken TLVs.
	cdpDst := []byte{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc}
	snapFrame := func(oui uint32, pid int, payload ...[]byte) []byte {
		body := cat([]byte{0xaa, 0xaa, 0x03}, be32(oui)[1:], be16(pid), cat(payload...))
		return cat(cdpDst, macA, be16(len(body)), body)
	}
	cdpTLV := func(typ int, v ...[]byte) []byte {
		b := cat(v...)
		return cat(be16(typ), be16(4+len(b)), b)
	}
	cdpPDU := func(tlvs ...[]byte) []byte { return cat([]byte{2, 180}, be16(0xbeef), cat(tlvs...)) }
	addrs := cat(be32(3), []byte{1, 1, 0xcc}, be16(4), addrBytes(ipA),
		[]byte{2, 8}, []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd}, be16(16), addrBytes(ip6A),
		[]byte{9, 2, 0xab, 0xcd}, be16(3), []byte{1, 2, 3})
	cdpPkts := [][]byte{
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(1, str("switch-1.lab")), cdpTLV(2, addrs), cdpTLV(3, str("Gi0/1")),
			cdpTLV(4, be32(0x29)), cdpTLV(5, str("Cisco IOS\nVersion 15.2\x01\n")), cdpTLV(6, str("cisco WS-C2960")),
			cdpTLV(7, addrBytes(ipB), []byte{24}, addrBytes(ipA), []byte{32}), cdpTLV(8, []byte{0, 0, 0x0c, 1, 18}),
			cdpTLV(9, str("vtp")), cdpTLV(0x0a, be16(100)), cdpTLV(0x0b, []byte{1}), cdpTLV(0x0b, []byte{0}),
			cdpTLV(0x0e, []byte{1}, be16(200)), cdpTLV(0x0f, []byte{0x20, 0}), cdpTLV(0x10, be16(15400)),
			cdpTLV(0x10, []byte{1, 2, 3}), cdpTLV(0x11, be32(1500)), cdpTLV(0x12, []byte{0xff}), cdpTLV(0x13, []byte{5}),
			cdpTLV(0x14, str("sysname")), cdpTLV(0x15, []byte{6, 5, 1}), cdpTLV(0x16, be32(1), []byte{1, 1, 0xcc}, be16(4), addrBytes(ipB)),
			cdpTLV(0x17, []byte{1}, str("rack 7")), cdpTLV(0x17, []byte{2}), cdpTLV(0x30, []byte{1, 2, 3}), cdpTLV(1))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(1, str("dev")), cat(be16(3), be16(2)), cdpTLV(1, str("after")))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(4, be16(1)))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(7, []byte{1, 2, 3}))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(2, be32(1), []byte{1, 1, 0xcc}, be16(4), []byte{1, 2}))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(2, []byte{0, 0}))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(2, be32(0), []byte{1, 2}), cdpTLV(2, be32(2), []byte{1}), cdpTLV(2, be32(1), []byte{1, 4, 0xcc}))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(0x0a, []byte{1}), cdpTLV(0x0b), cdpTLV(0x0e, be16(1)), cdpTLV(0x11, be16(1)), cdpTLV(0x12), cdpTLV(0x17))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(1, str("dev")), be16(1), be16(40), str("short"))),
		snapFrame(0x00000c, 0x2000, cdpPDU(cdpTLV(1, str("dev")), []byte{0, 1})),
		snapFrame(0x00000c, 0x2000, []byte{2, 180}),
		snapFrame(0x00000c, 0x010b, cfg(0, 0, 0)),
		snapFrame(0x00000c, 0x2004, []byte{1}, be16(1), be16(13), str("domain\x00\x00\x00"), be16(2), be16(5), []byte{0x03},
			be16(3), be16(5), []byte{0xa5}, be16(4), be16(10), macA, be16(9), be16(6), []byte{1, 2}),
		snapFrame(0x00000c, 0x2004, []byte{1}, be16(1), be16(4), be16(2), be16(6), []byte{1, 2}, be16(3), be16(5), []byte{1}),
		snapFrame(0x00000c, 0x2004, []byte{1}, be16(3), be16(5), []byte{1}, be16(4), be16(9), macA[:5]),
		snapFrame(0x00000c, 0x2004, []byte{1}, be16(1), be16(3), []byte{1, 2}),
		snapFrame(0x00000c, 0x2004, []byte{1}, be16(1), be16(40), []byte{1, 2}),
		snapFrame(0x00000c, 0x2004, []byte{1}, be16(0), be16(5), []byte{1}, be16(1)),
		snapFrame(0x00000c, 0x2004, []byte{1}, be16(1), be16(5), []byte{1}, be16(1)),
		snapFrame(0x00000c, 0x2004),
		snapFrame(0x00000c, 0x0111, []byte{0x21, 0x03}, be16(0x1234), be16(1), be16(12), str("FOC1234X"), be16(2), be16(9), str("Gi0/1"),
			be16(3), be16(12), be32(1), be16(4), str("xy"), be16(4), be16(5), []byte{7}, be16(5), be16(5), []byte{5},
			be16(6), be16(8), str("sw\x00x"), be16(7), be16(8), be32(42), be16(9), be16(6), []byte{1, 2}),
		snapFrame(0x00000c, 0x0111, []byte{0x42, 0xfc}, be16(0), be16(4), be16(5), []byte{7, 8}),
		snapFrame(0x00000c, 0x0111, []byte{0x3f, 0x00}, be16(0), be16(7), be16(7), []byte{1, 2, 3}),
		snapFrame(0x00000c, 0x0111, []byte{0x21, 0x00}, be16(0), be16(1), be16(4)),
		snapFrame(0x00000c, 0x0111, []byte{0x21, 0x00}, be16(0), be16(1), be16(20), []byte{1}),
		snapFrame(0x00000c, 0x0111, []byte{0x21, 0x00}, be16(0), be16(1)),
		snapFrame(0x00000c, 0x0111, []byte{0x21, 0x00}),
		snapFrame(0x000000, 0x0800, shortUDP),
		snapFrame(0x000000, 0x1234, []byte{1, 2, 3, 4}),
		snapFrame(0x0080c2, 0x0007, []byte{1, 2, 3, 4}),
		snapFrame(0x0080c2, 0x0001, []byte{0, 0}, eth(0x0800, shortUDP)),
		snapFrame(0x0080c2, 0x000e, cfg(0, 0, 1)),
		snapFrame(0x0080c2, 0x0008, []byte{1, 2, 3, 4}),
		snapFrame(0x0000f8, 0x86dd, udp6In),
		snapFrame(0x123456, 0x0001, []byte{1, 2, 3, 4}),
		cat(cdpDst, macA, be16(5), []byte{0xaa, 0xaa, 0x03, 0, 0}),
	}
	// VTP: the three advertisement kinds, VLAN records with TLVs, and bad
	// lengths.
	vtpHead := func(code, third, dlen int) []byte {
		d := make([]byte, 32)
		copy(d, "k8s-lab")
		return cat([]byte{1, byte(code), byte(third), byte(dlen)}, d)
	}
	vlanInfo := func(id int, name string, tlvs ...[]byte) []byte {
		padded := 4 * ((len(name) + 3) / 4)
		n := cat([]byte(name), make([]byte, padded-len(name)))
		t := cat(tlvs...)
		return cat([]byte{byte(12 + padded + len(t)), 0, 1, byte(len(name))}, be16(id), be16(1500), be32(100000+uint32(id)), n, t)
	}
	vtpTLVv := func(t, v int) []byte { return cat([]byte{byte(t), 1}, be16(v)) }
	cdpPkts = append(cdpPkts,
		snapFrame(0x00000c, 0x2003, vtpHead(1, 1, 7), be32(0x2a), addrBytes(ipA), []byte("930301000000"), make([]byte, 16)),
		snapFrame(0x00000c, 0x2003, vtpHead(2, 1, 7), be32(0x2a), vlanInfo(1, "default"), vlanInfo(1002, "fddi-default",
			vtpTLVv(9, 7), vtpTLVv(6, 1), vtpTLVv(3, 2), vtpTLVv(7, 1), vtpTLVv(10, 0), vtpTLVv(1, 5)), vlanInfo(20, "x", []byte{6, 2, 0, 1, 0, 0})),
		snapFrame(0x00000c, 0x2003, vtpHead(2, 1, 7), be32(0x2a), vlanInfo(5, "abc", []byte{6, 3, 0, 1})),
		snapFrame(0x00000c, 0x2003, vtpHead(2, 1, 7), be32(0x2a), []byte{8, 0, 1, 4, 0, 5}),
		snapFrame(0x00000c, 0x2003, vtpHead(2, 1, 7), be32(0x2a), []byte{0}),
		snapFrame(0x00000c, 0x2003, vtpHead(3, 0, 7), be32(1)),
		snapFrame(0x00000c, 0x2003, vtpHead(4, 0, 7)),
		snapFrame(0x00000c, 0x2003, vtpHead(9, 0, 40)),
		snapFrame(0x00000c, 0x2003, vtpHead(1, 0, 7)[:20]),
	)
	add(withSnaps(synthCapture{name: "l2-cdp", lt: pcapio.LinkTypeEthernet, pkts: cdpPkts}, 18, 20, 22, 24, 26, 30, 40, 60, 100)...)

	// The same protocols in cooked captures (SLL and SLL2), as a capture on
	// "any" records them: LLC frames carry protocol 4.
	cooked := func(v2 bool, frame []byte) []byte {
		proto := int(frame[12])<<8 | int(frame[13])
		if proto <= 1500 {
			proto = 4
		}
		if v2 {
			return cat(be16(proto), be16(0), be32(1), be16(1), []byte{0, 6}, frame[6:12], []byte{0, 0}, frame[14:])
		}
		return cat(be16(0), be16(1), be16(6), frame[6:12], []byte{0, 0}, be16(proto), frame[14:])
	}
	var sllPkts, sll2Pkts [][]byte
	for _, f := range [][]byte{mpls[1], lldpPkts[0], stpPkts[0], stpPkts[7], slowPkts[0], slowPkts[13], macsecPkts[0], macsecPkts[2], cdpPkts[0], cdpPkts[len(cdpPkts)-5], qinq[0]} {
		sllPkts = append(sllPkts, cooked(false, f))
		sll2Pkts = append(sll2Pkts, cooked(true, f))
	}
	add(withSnaps(synthCapture{name: "l2-sll", lt: pcapio.LinkTypeLinuxSLL, pkts: sllPkts}, 20, 30, 40, 60)...)
	add(withSnaps(synthCapture{name: "l2-sll2", lt: pcapio.LinkTypeLinuxSLL2, pkts: sll2Pkts}, 24, 34, 44, 64)...)

	return all
}
