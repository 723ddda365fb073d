package decode

import (
	"net/netip"

	"github.com/netdiag/netdiag/capture/pcapio"
)

// UDP applications found on Kubernetes nodes: DHCP, DHCPv6, NTP, BFD,
// syslog, TFTP. Every message type and option tcpdump decodes, malformed
// options, and short snapshots to compare the truncation paths.

func init() { synthFamilies = append(synthFamilies, udpAppCaptures()) }

type bootpHdr struct {
	op, htype, hlen, hops byte
	xid                   uint32
	secs, flags           int
	ci, yi, si, gi        []byte
	sname, file           []byte
	vend                  []byte // nil: none at all
}

func bootpMsg(h bootpHdr) []byte {
	ip := func(a []byte) []byte {
		if a == nil {
			return make([]byte, 4)
		}
		return a
	}
	fixed := func(b []byte, n int) []byte {
		out := make([]byte, n)
		copy(out, b)
		return out
	}
	return cat([]byte{h.op, h.htype, h.hlen, h.hops}, be32(h.xid), be16(h.secs), be16(h.flags),
		ip(h.ci), ip(h.yi), ip(h.si), ip(h.gi), fixed(macA, 16), fixed(h.sname, 64), fixed(h.file, 128), h.vend)
}

var dhcpCookie = []byte{99, 130, 83, 99}

func dhcpOpt(tag byte, v []byte) []byte { return cat([]byte{tag, byte(len(v))}, v) }

func udpAppCaptures() []synthCapture {
	var all []synthCapture
	add := func(cs ...synthCapture) { all = append(all, cs...) }
	a4 := func(s string) []byte { return addrBytes(netip.MustParseAddr(s)) }
	zero4 := netip.MustParseAddr("0.0.0.0")
	bcast4 := netip.MustParseAddr("255.255.255.255")
	dhcp := func(src, dst netip.Addr, sport, dport int, h bootpHdr) []byte {
		return eth(0x0800, ipv4(src, dst, 17, udpv(src, dst, sport, dport, bootpMsg(h)), ip4opt{id: 67, ttl: 64}))
	}
	vend := func(opts ...[]byte) []byte { return cat(dhcpCookie, cat(opts...), []byte{255}) }

	// Every named option with a 4-byte value, then the special ones.
	var every [][]byte
	for t := 1; t < 255; t++ {
		switch t {
		case 53, 55:
			continue
		}
		every = append(every, dhcpOpt(byte(t), []byte{1, 2, 3, 4}))
	}
	var params []byte
	for t := 0; t < 256; t++ {
		params = append(params, byte(t))
	}
	dhcpPkts := [][]byte{
		// The DORA exchange with the options a kubelet node's dhclient sends.
		dhcp(zero4, bcast4, 68, 67, bootpHdr{op: 1, htype: 1, hlen: 6, xid: 0x3903f326, flags: 0x8000, vend: vend(
			dhcpOpt(53, []byte{1}), dhcpOpt(61, cat([]byte{1}, macA)), dhcpOpt(50, a4("198.18.0.9")),
			dhcpOpt(12, []byte("node-1")), dhcpOpt(55, []byte{1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42, 249, 33, 252}),
			dhcpOpt(57, be16(1500)), dhcpOpt(60, []byte("dhcpcd-9.4.1:Linux")))}),
		dhcp(ipR, bcast4, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, xid: 0x3903f326, yi: a4("198.18.0.9"), si: a4("198.18.1.254"), vend: vend(
			dhcpOpt(53, []byte{2}), dhcpOpt(54, a4("198.18.1.254")), dhcpOpt(51, be32(86400)), dhcpOpt(58, be32(43200)),
			dhcpOpt(59, be32(75600)), dhcpOpt(1, a4("255.255.254.0")), dhcpOpt(3, a4("198.18.1.254")),
			dhcpOpt(6, cat(a4("198.18.1.53"), a4("198.18.1.54"))), dhcpOpt(15, []byte("cluster.local")),
			dhcpOpt(121, []byte{24, 10, 96, 0, 198, 18, 1, 1, 0, 198, 18, 1, 254, 32, 10, 0, 0, 1, 198, 18, 1, 2, 9, 128, 0, 198, 18, 1, 3}),
			dhcpOpt(249, []byte{16, 172, 16, 198, 18, 1, 1}))}),
		dhcp(zero4, bcast4, 68, 67, bootpHdr{op: 1, htype: 1, hlen: 6, xid: 7, secs: 3, vend: vend(
			dhcpOpt(53, []byte{3}), dhcpOpt(81, cat([]byte{0x05, 0, 0}, []byte("node-1.example"))),
			dhcpOpt(77, []byte{3, 'a', 'b', 'c', 2, 'x', 'y'}), dhcpOpt(61, []byte("\x00opaque-id")))}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, xid: 7, hops: 1, gi: a4("198.18.1.1"), vend: vend(
			dhcpOpt(53, []byte{5}),
			dhcpOpt(82, cat(dhcpOpt(1, []byte("eth0:vlan10")), dhcpOpt(2, []byte("switch-7")), dhcpOpt(6, []byte("sub")),
				dhcpOpt(9, []byte{0, 0, 0x0d, 0xe9, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})))),
		}),
		// Every other message type, and an unknown one.
		dhcp(ipA, ipR, 68, 67, bootpHdr{op: 1, htype: 1, hlen: 6, ci: a4("198.18.0.1"), vend: vend(dhcpOpt(53, []byte{4}))}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, vend: vend(dhcpOpt(53, []byte{6}), dhcpOpt(56, []byte("address in use\n")))}),
		dhcp(ipA, ipR, 68, 67, bootpHdr{op: 1, htype: 1, hlen: 6, vend: vend(dhcpOpt(53, []byte{7}))}),
		dhcp(ipA, ipR, 68, 67, bootpHdr{op: 1, htype: 1, hlen: 6, vend: vend(dhcpOpt(53, []byte{8}))}),
		dhcp(ipA, ipR, 68, 67, bootpHdr{op: 1, htype: 1, hlen: 6, vend: vend(dhcpOpt(53, []byte{10}), dhcpOpt(53, []byte{11}),
			dhcpOpt(53, []byte{12}), dhcpOpt(53, []byte{13}), dhcpOpt(53, []byte{9}), dhcpOpt(53, []byte{200}), dhcpOpt(53, []byte{1, 2}))}),
		// All options at once: names, formats, trailing data.
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, vend: vend(every...)}),
		dhcp(ipA, ipR, 68, 67, bootpHdr{op: 1, htype: 1, hlen: 6, vend: vend(dhcpOpt(55, params))}),
		// Odd lengths for each format, pads (printed with -vvv), malformed specials.
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, vend: cat(dhcpCookie, []byte{0, 0, 0},
			dhcpOpt(1, []byte{1, 2, 3, 4, 5, 6}), dhcpOpt(2, []byte{0xff, 0xff, 0xff, 0xf0}), dhcpOpt(13, []byte{1, 2, 3}),
			dhcpOpt(21, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}), dhcpOpt(19, []byte{0, 1, 7}), dhcpOpt(200, []byte{1, 2, 3}),
			dhcpOpt(201, []byte{1, 2}), dhcpOpt(202, []byte{1, 2, 3, 4, 5, 6, 7, 8}), dhcpOpt(203, nil), dhcpOpt(1, nil),
			dhcpOpt(46, nil), dhcpOpt(46, []byte{8, 9}), dhcpOpt(46, []byte{3}), dhcpOpt(52, []byte{3}), dhcpOpt(52, nil), dhcpOpt(52, []byte{7}),
			dhcpOpt(81, []byte{0xf1, 1}), dhcpOpt(81, []byte{0x3a, 1, 2, 'h'}), dhcpOpt(61, nil), dhcpOpt(61, []byte{99, 1, 2}),
			dhcpOpt(61, []byte{6}), dhcpOpt(77, []byte{1}), dhcpOpt(77, []byte{0, 1}), dhcpOpt(77, []byte{5, 'a', 'b'}),
			dhcpOpt(82, []byte{1, 9, 'a'}), dhcpOpt(82, []byte{1, 1, 'a', 2}), dhcpOpt(82, nil),
			dhcpOpt(121, []byte{33, 1, 2, 3, 4}), dhcpOpt(121, []byte{24, 10, 0, 0, 1}), dhcpOpt(121, []byte{8, 10, 1, 2, 3, 4, 16}),
			dhcpOpt(55, nil), dhcpOpt(12, []byte{'a', 0x80, 0x7f, 0x01, 0xe9}), []byte{0, 255, 0, 0})}),
		// No magic cookie: CMU, an unknown vendor area, none at all.
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, vend: cat([]byte("CMU\x00"), be32(0x03000000), a4("255.255.255.0"),
			a4("198.18.1.254"), a4("198.18.1.53"), make([]byte, 4), a4("198.18.1.55"), make([]byte, 4), a4("198.18.1.57"), a4("198.18.1.58"), make([]byte, 24))}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, vend: cat([]byte("CMU\x00"), be32(0), make([]byte, 56))}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, vend: cat(be32(0x12345678), make([]byte, 60))}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, vend: make([]byte, 64)}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6}),
		// Header oddities: other hardware types, unknown op, server and
		// file names, names without a NUL.
		dhcp(ipA, ipR, 68, 67, bootpHdr{op: 1, htype: 6, hlen: 6, hops: 3, secs: 65535, flags: 0x7fff, vend: vend()}),
		dhcp(ipA, ipR, 68, 67, bootpHdr{op: 1, htype: 1, hlen: 8, vend: vend()}),
		dhcp(ipA, ipR, 68, 67, bootpHdr{op: 3, htype: 1, hlen: 6, vend: vend()}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, sname: []byte("tftp-1"), file: []byte("pxelinux.0\x01"), vend: vend()}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, sname: []byte("0123456789012345678901234567890123456789012345678901234567890123"), vend: vend()}),
		dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, file: func() []byte {
			b := make([]byte, 128)
			for i := range b {
				b[i] = 'f'
			}
			return b
		}(), vend: vend()}),
		// Options running past the datagram, and a message cut short.
		eth(0x0800, ipv4(ipA, ipR, 17, udpv(ipA, ipR, 68, 67, cat(bootpMsg(bootpHdr{op: 1, htype: 1, hlen: 6}), dhcpCookie, []byte{12, 10, 'a', 'b'})), ip4opt{})),
		eth(0x0800, ipv4(ipA, ipR, 17, udpv(ipA, ipR, 68, 67, cat(bootpMsg(bootpHdr{op: 1, htype: 1, hlen: 6}), dhcpCookie, []byte{12})), ip4opt{})),
		eth(0x0800, ipv4(ipA, ipR, 17, udpv(ipA, ipR, 68, 67, bootpMsg(bootpHdr{op: 1, htype: 1, hlen: 6})[:100]), ip4opt{})),
		eth(0x0800, ipv4(ipA, ipR, 17, udpv(ipA, ipR, 68, 67, []byte{1, 1}), ip4opt{})),
		eth(0x0800, ipv4(ipA, ipR, 17, udpv(ipA, ipR, 68, 67, []byte{1, 1, 6, 0, 0, 0, 0, 0, 0}), ip4opt{})),
		eth(0x0800, ipv4(ipA, ipR, 17, udpv(ipA, ipR, 68, 67, nil), ip4opt{})),
	}
	add(withSnaps(synthCapture{name: "udp-dhcp", lt: pcapio.LinkTypeEthernet, pkts: dhcpPkts}, 42, 44, 60, 70, 80, 100, 300, 320, 340, 360)...)
	add(withSnaps(synthCapture{name: "udp-dhcp6", lt: pcapio.LinkTypeEthernet, pkts: dhcp6Packets()}, 62, 66, 70, 80, 100, 130, 160)...)
	add(withSnaps(synthCapture{name: "udp-ntp", lt: pcapio.LinkTypeEthernet, pkts: ntpPackets()}, 42, 43, 44, 45, 46, 50, 54, 58, 62, 70, 78, 86, 94, 100, 110)...)
	add(withSnaps(synthCapture{name: "udp-bfd", lt: pcapio.LinkTypeEthernet, pkts: bfdPackets()}, 42, 44, 50, 60, 66, 67, 69, 70, 72, 80, 90)...)
	// Ethernet pads short frames to 60 bytes; the padding is no part of
	// the datagram.
	pad := func(b []byte) []byte { return cat(b, make([]byte, max(0, 60-len(b))), []byte{0xff, 0xee}) }
	add(synthCapture{name: "udp-padded", lt: pcapio.LinkTypeEthernet, pkts: [][]byte{
		pad(udp4(ipA, ipB, 40000, 69, cat(be16(4), be16(7)))),
		pad(udp4(ipA, ipB, 40000, 69, cat(be16(6), []byte("a\x00b")))),
		pad(udp4(ipA, ipB, 40000, 514, []byte("<13>x"))),
		pad(udp4(ipA, ipB, 3785, 3785, []byte("echo"))),
		pad(udp4(ipA, ipB, 40000, 123, []byte{0x16, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})),
		pad(udp4(ipA, ipB, 546, 547, cat([]byte{1, 0, 0, 1}, d6opt(8, be16(0))))),
		pad(udp4(ipA, ipB, 68, 67, []byte{1, 1, 6, 0, 0, 0, 0, 1})),
		pad(dhcp(ipR, ipA, 67, 68, bootpHdr{op: 2, htype: 1, hlen: 6, vend: cat(dhcpCookie, dhcpOpt(53, []byte{5}))})),
		// A bad UDP checksum whose right value is minus zero: tcpdump says
		// it should be 0xffff.
		func() []byte {
			data := []byte("<13>xy\x00\x00")
			seg := udpv(ipA, ipB, 40000, 514, data)
			copy(data[6:], seg[6:8])
			seg = udpv(ipA, ipB, 40000, 514, data)
			copy(seg[6:], be16(0x1234))
			return eth(0x0800, ipv4(ipA, ipB, 17, seg, ip4opt{id: 5}))
		}(),
		// UDP lengths longer and shorter than the IP datagram's payload.
		badLen(udp4(ipA, ipB, 40000, 123, []byte{0x16, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}), 30),
		badLen(udp4(ipA, ipB, 40000, 514, []byte("<13>message")), 14),
		badLen(udp4(ipA, ipB, 40000, 69, cat(be16(1), []byte("f\x00octet\x00"))), 12),
		badLen(udp4(ipA, ipB, 546, 547, cat([]byte{1, 0, 0, 1}, d6opt(8, be16(0)))), 10),
		badLen(udp4(ipA, ipB, 40000, 3784, bfdCtl(1, 0, 0xc0, 3, 24)), 40),
	}})
	add(withSnaps(synthCapture{name: "udp-syslog", lt: pcapio.LinkTypeEthernet, pkts: syslogPackets()}, 42, 43, 44, 46, 50, 60)...)
	add(withSnaps(synthCapture{name: "udp-tftp", lt: pcapio.LinkTypeEthernet, pkts: tftpPackets()}, 42, 43, 44, 46, 48, 50, 55, 60)...)
	add(withSnaps(synthCapture{name: "udp-snmp", lt: pcapio.LinkTypeEthernet, pkts: snmpPackets()}, 42, 43, 44, 46, 48, 52, 56, 60, 70, 80, 100, 140)...)

	// Whole datagrams cut short (the IP length says so), as the short
	// capture does for the other families.
	var short [][]byte
	for _, c := range all {
		if c.snap != 0 {
			continue
		}
		for _, pkt := range c.pkts {
			for _, n := range []int{8, 9, 10, 12, 16, 20, 24, 30, 40, 50, 60, 100, 240, 250} {
				if sd := shortDatagram(pkt, n); sd != nil {
					short = append(short, sd)
				}
			}
		}
	}
	add(synthCapture{name: "udp-short", lt: pcapio.LinkTypeEthernet, pkts: short})
	return all
}

// ber encodes one BER element with a definite length.
func ber(tag byte, parts ...[]byte) []byte {
	v := cat(parts...)
	switch {
	case len(v) < 0x80:
		return cat([]byte{tag, byte(len(v))}, v)
	case len(v) < 0x100:
		return cat([]byte{tag, 0x81, byte(len(v))}, v)
	}
	return cat([]byte{tag, 0x82}, be16(len(v)), v)
}

func snmpPackets() [][]byte {
	s := func(sport, dport int, msg []byte) []byte { return udp4(ipA, ipB, sport, dport, msg) }
	oid := ber(6, []byte{0x2b, 6, 1, 2, 1, 1, 1, 0})
	integer := func(v ...byte) []byte { return ber(2, v) }
	msg := func(version byte, community string, pdu []byte) []byte {
		return ber(0x30, integer(version), ber(4, []byte(community)), pdu)
	}
	vbl := func(vals ...[]byte) []byte {
		var vbs [][]byte
		for _, v := range vals {
			vbs = append(vbs, ber(0x30, oid, v))
		}
		return ber(0x30, vbs...)
	}
	pdu := func(tag byte, errStatus, errIndex byte, vb []byte) []byte {
		return ber(tag, integer(0x12, 0x34), integer(errStatus), integer(errIndex), vb)
	}
	null := ber(5)
	values := [][]byte{integer(0xff, 0), integer(), integer(0x7f, 0xff, 0xff, 0xff, 0xff), ber(4, []byte("str")), ber(4, []byte{1, 2}),
		ber(4, []byte("a\x00b")), ber(4), null, oid, ber(6, []byte{0x81, 0x80, 0x80, 0x80, 0x00, 5, 0xff, 0x7f, 0x8f}), ber(6, []byte{0x78, 0x81}),
		ber(0x40, []byte{10, 0, 0, 1}), ber(0x40, []byte{10, 0, 0}), ber(0x41, []byte{0xff, 0xff, 0xff, 0xff}),
		ber(0x42, []byte{1}), ber(0x43, []byte{1, 0}), ber(0x44, []byte("op")), ber(0x46, []byte{1, 0, 0, 0, 0, 0}),
		ber(0x46, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), ber(0x80), ber(0x81), ber(0x82), ber(0x83),
		ber(1, []byte{1}), ber(0x45, []byte("x")), ber(0xc0, []byte("pp")), ber(0x30), ber(0x31), ber(0x61, []byte{5}), ber(0xe0),
		ber(0xa5, integer(1))}
	zeroLen := [][]byte{ber(0x41), ber(0x42), ber(0x43), ber(0x46), ber(0x40), ber(6), ber(0x44)}
	pkts := [][]byte{
		s(40000, 161, msg(1, "public", pdu(0xa0, 0, 0, vbl(null, null)))),
		s(161, 40000, msg(1, "public", pdu(0xa2, 0, 0, vbl(values...)))),
	}
	for _, v := range zeroLen {
		pkts = append(pkts, s(161, 40000, msg(1, "public", pdu(0xa2, 0, 0, vbl(v, null)))))
	}
	// Every PDU type in v1 and v2c, with error fields set.
	for _, version := range []byte{0, 1} {
		for tag := byte(0xa0); tag <= 0xa9; tag++ {
			pkts = append(pkts, s(40000, 161, msg(version, "comm", pdu(tag, 1, 2, vbl(null, integer(7))))))
		}
	}
	pkts = append(pkts,
		s(161, 40000, msg(1, "c", pdu(0xa2, 2, 0, vbl(null)))),
		s(161, 40000, msg(1, "c", pdu(0xa2, 0, 3, vbl(null)))),
		s(161, 40000, msg(1, "c", pdu(0xa2, 40, 1, vbl(null)))),
		s(161, 40000, msg(1, "c", pdu(0xa2, 0xff, 1, vbl(null)))),
		s(161, 40000, msg(1, "c", pdu(0xa0, 40, 0, vbl(null)))),
		s(40000, 161, msg(0, "c\x01m", pdu(0xa4, 0, 0, nil))),
		// v1 traps.
		s(40000, 162, msg(0, "public", ber(0xa4, oid, ber(0x40, []byte{10, 0, 0, 1}), integer(6), integer(42), ber(0x43, []byte{0x10}), vbl(ber(4, []byte("x")))))),
		s(40000, 162, msg(0, "public", ber(0xa4, oid, ber(0x40, []byte{10, 0, 0, 1}), integer(2), integer(42), ber(0x43, []byte{0x10}), vbl(ber(4, []byte("x")))))),
		s(40000, 162, msg(0, "public", ber(0xa4, oid, ber(0x40, []byte{10, 0, 0, 1}), integer(9), integer(0), ber(0x43, []byte{0x10}), vbl()))),
		s(40000, 162, msg(0, "public", ber(0xa4, integer(1)))),
		s(40000, 162, msg(0, "public", ber(0xa4, oid, integer(1)))),
		s(40000, 162, msg(0, "public", ber(0xa4, oid, ber(0x40, []byte{1, 2, 3, 4}), ber(4)))),
		s(40000, 162, msg(0, "public", ber(0xa4, oid, ber(0x40, []byte{1, 2, 3, 4}), integer(0), ber(4)))),
		s(40000, 162, msg(0, "public", ber(0xa4, oid, ber(0x40, []byte{1, 2, 3, 4}), integer(0), integer(0), integer(5)))),
		// v2c notifications and malformed structures.
		s(40000, 162, msg(1, "public", pdu(0xa7, 0, 0, vbl(ber(0x43, []byte{1, 2, 3}), ber(6, []byte{0x2b, 6, 1, 6, 3, 1, 1, 5, 1}))))),
		s(40000, 161, msg(1, "public", pdu(0xa0, 0, 0, integer(1)))),
		s(40000, 161, msg(1, "public", pdu(0xa0, 0, 0, cat(vbl(null), []byte{0, 0})))),
		s(40000, 161, msg(1, "public", pdu(0xa0, 0, 0, ber(0x30, integer(1))))),
		s(40000, 161, msg(1, "public", pdu(0xa0, 0, 0, ber(0x30, ber(0x30, integer(1), null))))),
		s(40000, 161, msg(1, "public", pdu(0xa0, 0, 0, ber(0x30, ber(0x30, oid))))),
		s(40000, 161, msg(1, "public", ber(0xa0, ber(4), integer(0), integer(0), vbl(null)))),
		s(40000, 161, msg(1, "public", ber(0xa0, integer(0), ber(4), integer(0), vbl(null)))),
		s(40000, 161, msg(1, "public", ber(0xa0, integer(0), integer(0), ber(4), vbl(null)))),
		s(40000, 161, cat(msg(1, "public", pdu(0xa0, 0, 0, vbl(null))), []byte{0, 0})),
		s(40000, 161, ber(0x30, integer(1), ber(4, []byte("public")), pdu(0xa0, 0, 0, vbl(null)), []byte{0, 0})),
		s(40000, 161, ber(0x30, integer(1), ber(4, []byte("public")), integer(5))),
		s(40000, 161, ber(0x30, integer(1), integer(5))),
		s(40000, 161, ber(0x30, ber(4), integer(5))),
		s(40000, 161, ber(0x30, integer(5))),
		s(40000, 161, ber(0x30, integer(2), ber(4, []byte("public")))),
		s(40000, 161, integer(5)),
		s(40000, 161, []byte{0x30, 0x10, 2, 1, 1}),
		s(40000, 161, []byte{0x30, 0x84, 0, 0, 0, 3, 2, 1, 1}),
		s(40000, 161, []byte{0x30, 0x83, 0, 0}),
		s(40000, 161, []byte{0x30}),
		s(40000, 161, []byte{0x3f, 0x81}),
		s(40000, 161, []byte{0x3f, 0x81, 0x01, 0}),
		s(40000, 161, []byte{0x3f, 0x10, 0}),
		s(40000, 161, []byte{0x3f, 0x82, 0x83, 0x05, 0}),
		s(40000, 161, []byte{0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x00, 0x00}),
		s(40000, 161, nil),
	)
	// SNMPv3: a discovery request, an authenticated report, odd headers.
	v3 := func(flags []byte, model byte, usm []byte, scoped []byte) []byte {
		return ber(0x30, integer(3), ber(0x30, integer(0x11), integer(0x05, 0xdc), ber(4, flags), integer(model)), ber(4, usm), scoped)
	}
	usm := func(engine, user string, boots, time byte) []byte {
		return ber(0x30, ber(4, []byte(engine)), integer(boots), integer(time), ber(4, []byte(user)), ber(4, make([]byte, 12)), ber(4))
	}
	scoped := ber(0x30, ber(4, []byte{0x80, 0, 0x1f, 0x88}), ber(4, []byte("ctx")), pdu(0xa0, 0, 0, vbl(null)))
	pkts = append(pkts,
		s(40000, 161, v3([]byte{4}, 3, usm("", "", 0, 0), ber(0x30, ber(4), ber(4), pdu(0xa0, 0, 0, ber(0x30))))),
		s(161, 40000, v3([]byte{1}, 3, usm("\x80\x00\x1f\x88", "admin", 3, 100), scoped)),
		s(161, 40000, v3([]byte{7}, 3, usm("e", "a\x00b", 3, 100), scoped)),
		s(161, 40000, v3([]byte{2}, 3, usm("e", "u", 1, 1), scoped)),
		s(161, 40000, v3([]byte{0xcb}, 3, usm("e", "u", 1, 1), scoped)),
		s(161, 40000, v3([]byte{1, 2}, 3, usm("e", "u", 1, 1), scoped)),
		s(161, 40000, v3([]byte{0}, 2, usm("e", "u", 1, 1), scoped)),
		s(161, 40000, v3([]byte{0}, 3, integer(1), scoped)),
		s(161, 40000, v3([]byte{0}, 3, usm("e", "u", 1, 1), integer(1))),
		s(161, 40000, v3([]byte{0}, 3, cat(usm("e", "u", 1, 1), []byte{0}), ber(0x30, ber(4), integer(1)))),
		s(161, 40000, ber(0x30, integer(3), ber(0x30, integer(0x11), integer(0x05, 0xdc), ber(4, []byte{0}), integer(3), ber(4, usm("e", "u", 1, 1)), integer(7)), scoped)),
		s(161, 40000, ber(0x30, integer(3), ber(0x30, integer(1)))),
		s(161, 40000, ber(0x30, integer(3), integer(1))),
	)
	return pkts
}

// badLen sets the UDP length field of an Ethernet/IPv4/UDP frame.
func badLen(frame []byte, ulen int) []byte {
	b := cat(frame)
	copy(b[14+20+4:], be16(ulen))
	return b
}

func syslogPackets() [][]byte {
	var pkts [][]byte
	for pri := 0; pri < 200; pri += 5 {
		pkts = append(pkts, udp4(ipA, ipB, 40000, 514, []byte("<"+itoa10(pri)+">msg")))
	}
	for _, m := range []string{"<13>Dec  3 10:00:00 node kubelet[1]: ok \x01\x80\xff\ttab", "<1234>x", "<123>", "<>x",
		"x<1>", "<12", "<", "", "<0001>a", "<191>\n", "<999>x", "<1000>", "<13>1 2026-12-03T10:00:00Z node app - - - msg"} {
		pkts = append(pkts, udp4(ipA, ipB, 40000, 514, []byte(m)))
	}
	return append(pkts, udp4(ipA, ipB, 514, 40000, []byte("<13>from the source port")))
}

func tftpPackets() [][]byte {
	t := func(op int, rest string) []byte { return udp4(ipA, ipB, 40000, 69, cat(be16(op), []byte(rest))) }
	return [][]byte{
		t(1, "pxelinux.0\x00octet\x00"),
		t(2, "file\x00netascii\x00blksize\x001428\x00tsize\x000\x00"),
		t(1, "file\x00octet\x00timeout\x005\x00windowsize\x00"),
		t(3, "\x00\x01data..."),
		t(4, "\x00\x07"),
		t(5, "\x00\x01File not found\x00"),
		t(5, "\x00\x09weird\x00"),
		t(5, "\x00\x00undefined\x00"), t(5, "\x00\x02x\x00"), t(5, "\x00\x03x\x00"), t(5, "\x00\x04x\x00"),
		t(5, "\x00\x05x\x00"), t(5, "\x00\x06x\x00"), t(5, "\x00\x07x\x00"), t(5, "\x00\x08x\x00"),
		t(6, "blksize\x001428\x00"),
		t(7, "x"), t(0, ""), t(1, "noterm"), t(1, "file\x00"), t(3, ""), t(3, "\x00"), t(5, "\x00\x01"),
		t(5, "\x00\x01no-nul"), t(1, "a\x01\x80b\x00octet\x00"), t(6, ""), t(1, "\x00\x00"), t(6, "\x00\x00x\x00"),
		udp4(ipA, ipB, 40000, 69, []byte{0}),
		udp4(ipA, ipB, 40000, 69, nil),
		udp4(ipB, ipA, 69, 40000, cat(be16(4), be16(7))),
	}
}

func bfdCtl(version, diag, flags, mult, blen byte, auth ...[]byte) []byte {
	return cat([]byte{version<<5 | diag, flags, mult, blen}, be32(0x11), be32(0x22), be32(300000), be32(1000000), be32(50000), cat(auth...))
}

func bfdPackets() [][]byte {
	b := func(sport, dport int, msg []byte) []byte { return udp4(ipA, ipB, sport, dport, msg) }
	seq := be32(0x1000)
	var pkts [][]byte
	// Each state, diagnostic and flag, on each control port.
	for i, port := range []int{3784, 4784, 6784} {
		for diag := byte(0); diag < 10; diag++ {
			pkts = append(pkts, b(49153+i, port, bfdCtl(1, diag, diag<<6|(1<<diag)&0x3b, 3, 24)))
		}
	}
	inner := udp4(ipA, ipB, 1000, 2000, []byte("li"))
	pkts = append(pkts,
		b(49160, 3784, bfdCtl(0, 1, 0xfb, 5, 24)),
		b(49160, 3784, bfdCtl(2, 0, 0xc0, 3, 24)),
		b(49160, 3784, bfdCtl(7, 31, 0, 3, 24)),
		b(49160, 3784, cat([]byte{0x20, 0xc0, 255, 24}, be32(1), be32(2), be32(0xffffffff), be32(0), be32(4294967))),
		// Authentication sections of each type, and malformed ones.
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 29, []byte{1, 5, 7, 'a', 'b'})),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 43, []byte{1, 19, 7}, []byte("0123456789abcdef"))),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 27, []byte{1, 3, 7})),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 44, []byte{1, 20, 7}, make([]byte, 17))),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 48, []byte{2, 24, 1, 0}, seq, []byte("0123456789abcdef"))),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 48, []byte{3, 24, 1, 0}, seq, make([]byte, 16))),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 52, []byte{4, 28, 2, 0}, seq, []byte("0123456789abcdefghij"))),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 52, []byte{5, 28, 2, 0}, seq, make([]byte, 20))),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 52, []byte{2, 28, 2, 0}, seq, make([]byte, 20))),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 52, []byte{5, 24, 2, 0}, seq, make([]byte, 20))),
		b(49160, 3784, bfdCtl(1, 0, 0xc4, 3, 52, []byte{9, 24, 2, 0}, seq, make([]byte, 20))),
		b(49160, 3784, bfdCtl(1, 0, 0x04, 3, 48, []byte{2, 24, 1, 0}, seq, make([]byte, 8))),
		b(49160, 3784, bfdCtl(1, 0, 0x04, 3, 48, []byte{2, 24, 1})),
		b(49160, 3784, bfdCtl(0, 0, 0x04, 3, 24)),
		// Echo, short packets, the source port only, and BCM-LI's source port.
		b(3785, 3785, []byte("echo 0123456789abcdef0123")),
		b(3785, 3785, nil),
		b(3784, 49160, bfdCtl(1, 0, 0xc0, 3, 24)),
		b(49160, 3784, bfdCtl(1, 0, 0xc0, 3, 24)[:20]),
		b(49160, 4784, []byte{0x20}),
		b(49152, 3784, bfdCtl(1, 0, 0xc0, 3, 24)),
		b(49152, 3784, bfdCtl(1, 8, 0xc0, 3, 24)),
		b(49152, 3784, cat(be32(3<<29|5<<25|1<<22|77), inner[14:])),
		b(49152, 3784, cat(be32(2<<29|4<<25|2<<22|78), ipv6(ip6A, ip6B, 17, udpv(ip6A, ip6B, 1, 2, []byte("6"))))),
		b(49152, 3784, cat(be32(2<<29|4<<25|2<<22|79), []byte{0x10, 0})),
		b(49152, 3784, cat(be32(2<<29|7<<25|3<<22|80), inner)),
		b(49152, 3784, cat(be32(2<<29|6<<25|3<<22|81), []byte{0x60})),
		b(49152, 4789, []byte{8, 0, 0, 0, 0, 0, 42, 0}),
		b(49152, 4789, []byte{8, 0}),
	)
	return pkts
}

type ntpHdr struct {
	li, vn, mode, stratum byte
	poll, prec            int8
	delay, disp           uint32
	refid                 []byte
	ts                    [4][2]uint32
}

func ntpMsg(h ntpHdr, extra ...[]byte) []byte {
	b := cat([]byte{h.li<<6 | h.vn<<3 | h.mode, h.stratum, byte(h.poll), byte(h.prec)}, be32(h.delay), be32(h.disp), h.refid)
	for _, t := range h.ts {
		b = cat(b, be32(t[0]), be32(t[1]))
	}
	return cat(b, cat(extra...))
}

func ntpPackets() [][]byte {
	n := func(sport, dport int, msg []byte) []byte { return udp4(ipA, ipB, sport, dport, msg) }
	ts := [4][2]uint32{{0xe9a1b2c3, 0x80000000}, {0xe9a1b2c4, 0x12345678}, {0xe9a1b2c3, 0x9abcdef0}, {0xe9a1b2c5, 1}}
	digest := make([]byte, 20)
	for i := range digest {
		digest[i] = byte(i * 7)
	}
	pkts := [][]byte{
		// A chrony client and the server's answer.
		n(40000, 123, ntpMsg(ntpHdr{vn: 4, mode: 3, poll: 6, prec: -20, delay: 0x10000, disp: 0xffff, refid: make([]byte, 4),
			ts: [4][2]uint32{3: {0xe9a1b2c3, 0x80000000}}})),
		n(123, 40000, ntpMsg(ntpHdr{vn: 4, mode: 4, stratum: 2, poll: 10, prec: -24, delay: 0x1234, disp: 0x20001, refid: []byte{198, 18, 1, 1}, ts: ts})),
		// Leap indicators, strata, polls, versions and every time mode.
		n(123, 40000, ntpMsg(ntpHdr{li: 3, vn: 3, mode: 4, stratum: 1, poll: -3, refid: []byte("GPS\x00"), ts: ts}, be32(7))),
		n(123, 40000, ntpMsg(ntpHdr{li: 1, vn: 4, mode: 5, stratum: 16, poll: 40, prec: 127, refid: []byte("ABCD"), ts: ts}, be32(7), digest[:16])),
		n(123, 40000, ntpMsg(ntpHdr{li: 2, vn: 4, mode: 1, stratum: 15, poll: 31, refid: []byte("ABCD"), ts: ts}, be32(8), digest)),
		n(123, 40000, ntpMsg(ntpHdr{li: 2, vn: 4, mode: 2, stratum: 62, refid: []byte("ABCD"), ts: ts})),
		n(123, 40000, ntpMsg(ntpHdr{li: 2, vn: 1, mode: 2, stratum: 63, refid: []byte("ABCD"), ts: ts}, make([]byte, 24))),
		n(123, 40000, ntpMsg(ntpHdr{vn: 2, mode: 0, stratum: 3, poll: -40, prec: -128, refid: []byte("ABCD"),
			ts: [4][2]uint32{{1, 0}, {0x7fffffff, 1}, {0x12345678, 0xffffffff}, {0xffffffff, 0x80000001}}}, make([]byte, 30))),
		n(123, 40000, ntpMsg(ntpHdr{vn: 4, mode: 4, stratum: 4, poll: -31, refid: []byte{1, 2, 3, 4},
			ts: [4][2]uint32{{5, 5}, {100, 0x80000000}, {100, 0x40000000}, {100, 0x80000000}}}, make([]byte, 8))),
		n(123, 40000, ntpMsg(ntpHdr{vn: 4, mode: 4, stratum: 4, poll: -32, refid: []byte{1, 2, 3, 4},
			ts: [4][2]uint32{{5, 5}, {100, 0x80000000}, {99, 0xc0000000}, {101, 0x00000001}}})),
		n(123, 40000, ntpMsg(ntpHdr{vn: 0, mode: 4, stratum: 2, refid: []byte{1, 2, 3, 4}, ts: ts})[:24]),
		// Control messages (ntpq, mode 6) and ntpdc's mode 7.
		n(40000, 123, []byte{0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}),
		n(123, 40000, cat([]byte{0x16, 0xc2, 0, 1, 0x06, 0x15, 0, 5, 0, 0, 0, 4}, []byte("ABCD"))),
		n(123, 40000, cat([]byte{0x16, 0xa1, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 40}, []byte("ABCD"))),
		n(123, 40000, cat([]byte{0x16, 0x1f, 0, 9, 0x80, 0, 0, 0, 0, 0, 0, 2}, []byte("v=1"))),
		n(123, 40000, []byte{0x16, 0x02, 0, 1, 0}),
		n(123, 40000, cat([]byte{0x17, 0x80, 0, 1, 0x06, 0x15, 0, 5, 0, 0, 0, 4}, []byte("ABCD"))),
		n(40000, 123, []byte{0x3f, 0x00, 0x03, 0x2a}),
		n(123, 40000, []byte{0x26}),
		n(123, 40000, []byte{0x00, 1, 2, 3}),
		n(123, 40000, nil),
	}
	return pkts
}

func d6opt(t int, v ...[]byte) []byte { c := cat(v...); return cat(be16(t), be16(len(c)), c) }

func dhcp6Packets() [][]byte {
	cli, srv := netip.MustParseAddr("fe80::a"), netip.MustParseAddr("ff02::1:2")
	d6 := func(sport, dport int, msg []byte) []byte {
		return eth(0x86dd, ipv6(cli, srv, 17, udpv(cli, srv, sport, dport, msg)))
	}
	a6 := func(s string) []byte { return addrBytes(netip.MustParseAddr(s)) }
	hdr := func(t byte) []byte { return []byte{t, 0xab, 0xcd, 0xef} }
	duidLLT := d6opt(1, be16(1), be16(1), be32(0x2a2b2c2d), macA)
	name := func(labels ...string) []byte {
		var b []byte
		for _, l := range labels {
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
		return append(b, 0)
	}
	iaaddr := d6opt(5, a6("2001:db8::9"), be32(3600), be32(7200))
	var pkts [][]byte
	// Every message type, then unknown ones.
	for t := 0; t <= 16; t++ {
		if t == 12 || t == 13 {
			continue
		}
		pkts = append(pkts, d6(546, 547, cat(hdr(byte(t)), duidLLT)))
	}
	pkts = append(pkts,
		d6(546, 547, cat(hdr(1), duidLLT, d6opt(6, be16(23), be16(24), be16(56), be16(64), be16(999)),
			d6opt(8, be16(0)), d6opt(3, be32(1), be32(0), be32(0)), d6opt(25, be32(2), be32(100), be32(200)),
			d6opt(14), d6opt(16, be32(311), be16(4), []byte("MSFT")), d6opt(39, []byte{0}, name("node-1")))),
		d6(547, 546, cat(hdr(7), d6opt(2, be16(2), be32(9), []byte{1, 2, 3}), duidLLT,
			d6opt(3, be32(1), be32(1800), be32(2880), iaaddr, d6opt(13, be16(0), []byte("ok"))),
			d6opt(25, be32(2), be32(1800), be32(2880), d6opt(26, be32(3600), be32(7200), []byte{56}, a6("2001:db8:1:100::"),
				d6opt(13, be16(6)))),
			d6opt(4, be32(5), iaaddr), d6opt(7, []byte{255}), d6opt(12, a6("2001:db8::53")),
			d6opt(23, a6("2001:db8::53"), a6("2001:db8::54")), d6opt(24, name("svc", "cluster", "local"), name("cluster", "local")),
			d6opt(21, name("sip", "example")), d6opt(22, a6("2001:db8::5")), d6opt(27, a6("::1")), d6opt(28, a6("::2")),
			d6opt(31, a6("2001:db8::123")), d6opt(34, a6("ff05::1:3")), d6opt(40, a6("::3")), d6opt(48, a6("::4")),
			d6opt(32, be32(86400)), d6opt(46, be32(60)), d6opt(20), d6opt(19, []byte{5}), d6opt(19, []byte{11}), d6opt(19, []byte{7}),
			d6opt(56, d6opt(1, a6("2001:db8::123")), d6opt(2, a6("ff05::101")), d6opt(3, name("ntp", "example")), d6opt(9, []byte{1}), d6opt(1, []byte{1, 2})),
			d6opt(64, name("aftr", "example", "net")), d6opt(41, []byte("EST5EDT4,M3.2.0/02:00,M11.1.0/02:00")),
			d6opt(42, []byte("Europe/Zurich")), d6opt(112, []byte("https://mud.example/x")),
			d6opt(29, []byte("nis")), d6opt(30, []byte("nisp")), d6opt(33, name("b")), d6opt(36, []byte{1, 2}), d6opt(15, be16(3), []byte("abc")),
			d6opt(17, be32(9), d6opt(1, []byte("v"))), d6opt(59, []byte("tftp://x/y")), d6opt(136, be16(1), []byte("u")))),
		// Status codes, every DUID type, and the malformed length of each option.
		d6(547, 546, cat(hdr(7), d6opt(13, be16(1)), d6opt(13, be16(2)), d6opt(13, be16(3)), d6opt(13, be16(4)), d6opt(13, be16(5)),
			d6opt(13, be16(7)), d6opt(13, be16(8)), d6opt(13, be16(9)), d6opt(13, be16(10)), d6opt(13, be16(11)), d6opt(13, be16(300)),
			d6opt(13, []byte{0}), d6opt(1, be16(2), be32(311), []byte{0xaa, 0xbb}), d6opt(1, be16(2), be32(311), []byte{1, 2, 3, 4, 5, 6}), d6opt(1, be16(3), be16(1), macA),
			d6opt(1, be16(4), make([]byte, 16)), d6opt(1, be16(4), make([]byte, 15)), d6opt(1, be16(9)), d6opt(1, []byte{1}),
			d6opt(1, be16(1), be16(1)), d6opt(1, be16(2), []byte{1}), d6opt(1, be16(3), []byte{1}), d6opt(5, make([]byte, 23)),
			d6opt(6, []byte{1}), d6opt(7), d6opt(8, []byte{1}), d6opt(19), d6opt(22, make([]byte, 15)), d6opt(3, make([]byte, 11)),
			d6opt(4, make([]byte, 3)), d6opt(26, make([]byte, 24)), d6opt(32, make([]byte, 3)), d6opt(37, make([]byte, 3)),
			d6opt(44, make([]byte, 16)), d6opt(47, make([]byte, 15)), d6opt(56, make([]byte, 3)), d6opt(64, []byte{1, 'a'}),
			d6opt(41, []byte("EST")), d6opt(11, make([]byte, 10)))),
		// Relay agents, interface and remote IDs, leasequery, authentication.
		d6(547, 547, cat([]byte{12, 1}, a6("2001:db8::1"), a6("fe80::a"), d6opt(18, []byte("eth0/1/2/3/4/5")),
			d6opt(37, be32(9), []byte("remote-agent-id")), d6opt(38, []byte("sub")),
			d6opt(9, hdr(1), duidLLT, d6opt(8, be16(100))))),
		d6(547, 547, cat([]byte{13, 0}, a6("2001:db8::1"), a6("fe80::a"),
			d6opt(9, []byte{12, 0}, a6("::"), a6("fe80::b"), d6opt(9, hdr(7), d6opt(14))))),
		d6(546, 547, cat(hdr(14), d6opt(44, []byte{1}, a6("2001:db8::9"), duidLLT), d6opt(44, []byte{2}, a6("::")), d6opt(44, []byte{3}, a6("::")))),
		d6(547, 546, cat(hdr(15), d6opt(45, duidLLT, iaaddr, d6opt(46, be32(5))), d6opt(47, a6("2001:db8::1"), []byte("0123456789abc")),
			d6opt(48, a6("2001:db8::1")))),
		d6(547, 546, cat(hdr(10), d6opt(11, []byte{3, 1, 0}, be32(0), be32(1), []byte{1}, be32(1), be32(2), be32(3), be32(4)),
			d6opt(11, []byte{3, 1, 0}, be32(0), be32(1), []byte{2}, make([]byte, 16)), d6opt(11, []byte{3, 1, 0}, be32(0), be32(1), []byte{9}, make([]byte, 16)),
			d6opt(11, []byte{3, 1, 0}, be32(0), be32(1), []byte{1}), d6opt(11, []byte{2, 1, 0}, be32(0), be32(1)),
			d6opt(11, []byte{2, 2, 1}, be32(0), be32(1), []byte("realm"), be32(7), be32(1), be32(2), be32(3), be32(4)),
			d6opt(11, []byte{2, 1, 0}, be32(0), be32(1), be32(7)), d6opt(11, []byte{9, 1, 0}, be32(0), be32(1)))),
		// Options running past the message, inside a nested list too; a
		// name running past its option; messages cut short.
		d6(546, 547, cat(hdr(1), duidLLT, be16(8), be16(100), []byte{1, 2})),
		d6(546, 547, cat(hdr(1), duidLLT, []byte{0, 8})),
		d6(546, 547, cat(hdr(1), d6opt(3, be32(1), be32(0), be32(0), be16(5), be16(30)), duidLLT)),
		d6(546, 547, cat(hdr(1), d6opt(24, []byte{3, 'a', 'b'}), duidLLT)),
		// Compression pointers count from the option's end in tcpdump.
		d6(546, 547, cat(hdr(1), d6opt(24, []byte{0xc0, 0x0c}), duidLLT)),
		d6(546, 547, cat(hdr(1), d6opt(24, []byte{1, 'x', 0xc0, 0x04}), d6opt(99, name("svc", "local")))),
		d6(546, 547, cat(hdr(1), d6opt(24, []byte{0xc0, 0x04, 0xc0, 0x00}), d6opt(99, []byte{1, 'a', 0xc0, 0x10}))),
		d6(546, 547, cat(hdr(1), d6opt(24, []byte{0xc0, 0x04}), d6opt(99, []byte{1, 'a', 0xc0, 0x04}))),
		d6(546, 547, cat(hdr(1), d6opt(24, []byte{0xff, 0xff}))),
		d6(546, 547, cat(hdr(1), d6opt(21, []byte{0x41, 0x08, 0xaa, 0}))),
		d6(546, 547, cat(hdr(1), d6opt(56, be16(3), be16(4), []byte{0xc0, 0x04, 0, 0}), d6opt(99, name("ntp")))),
		d6(546, 547, cat(hdr(1), d6opt(9, []byte{12, 0}, a6("::")))),
		d6(546, 547, cat(hdr(1), d6opt(9, []byte{1, 2}))),
		d6(546, 547, cat(hdr(1), d6opt(56, be16(1), be16(40), make([]byte, 16)))),
		d6(546, 547, cat(hdr(1), d6opt(64, []byte{3, 'a', 'b', 'c', 5, 'x'}))),
		d6(546, 547, []byte{1, 2, 3}),
		d6(546, 547, []byte{12, 2, 3, 4, 5}),
		d6(546, 547, nil),
	)
	return pkts
}
