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
	return all
}
