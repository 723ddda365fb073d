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
	add(withSnaps(synthCapture{name: "tcpapp-bgp", lt: pcapio.LinkTypeEthernet, pkts: bgpPkts()}, 60, 70, 73, 80, 100, 120, 150)...)

	// Over IPv6, with MD5 signatures and MPTCP options, several messages a
	// segment, as a node's BGP daemon talks to a route reflector.
	v6seg := func(sport, dport int, opts []byte, data ...[]byte) []byte {
		return eth(0x86dd, ipv6(ip6A, ip6B, 6, tcpv(ip6A, ip6B, tcpSeg{sport: sport, dport: dport, seq: 10, ack: 20,
			flags: thACK | thPSH, opts: opts, data: cat(data...)})))
	}
	md5 := cat([]byte{19, 18}, repeat(0x30, 16), []byte{1, 1})
	mpdss := padOpts(mpOpt(2, 0, cat([]byte{0x05}, be32(7), be32(100), be32(1), be16(2))...))
	add(withSnaps(synthCapture{name: "tcpapp-v6", lt: pcapio.LinkTypeEthernet, pkts: [][]byte{
		v6seg(40800, 179, md5, bgpMsg(4), bgpOpen(bgpCaps([]byte{1, 4, 0, 2, 0, 1}, []byte{65, 4, 0, 0, 0xfd, 0xe8}))),
		v6seg(179, 40800, md5, bgpUpdate(nil, bgpAttr(0x90, 15, be16(2), []byte{1}), nil), bgpMsg(4)),
		v6seg(40801, 6379, mpdss, []byte("*1\r\n$4\r\nPING\r\n")),
		v6seg(22, 40802, mpdss, []byte("SSH-2.0-dropbear\r\n")),
		v6seg(40803, 179, nil, []byte{0xff, 0xff, 0xff}),
	}}, 74, 94, 100, 110, 120, 140)...)
	add(withSnaps(synthCapture{name: "tcpapp-ssh", lt: pcapio.LinkTypeEthernet, pkts: sshPkts()}, 56, 58, 60, 66, 80)...)
	add(withSnaps(synthCapture{name: "tcpapp-resp", lt: pcapio.LinkTypeEthernet, pkts: respPkts()}, 55, 56, 58, 60, 62, 66, 70, 80, 100)...)

	// The same segments cut short with the IP length saying so: the TCP
	// length, not the capture, ends them.
	var short [][]byte
	for _, c := range all {
		if c.snap != 0 || c.name == "tcpapp-bigtcp" {
			continue
		}
		for _, pkt := range c.pkts {
			for _, n := range []int{21, 22, 24, 26, 28, 30, 34, 40, 44, 52, 60} {
				if s := shortDatagram(pkt, n); s != nil {
					short = append(short, s)
				}
			}
		}
	}
	add(synthCapture{name: "tcpapp-short", lt: pcapio.LinkTypeEthernet, pkts: short})
	return all
}

func appSeg(sport, dport int, data string) []byte {
	return tcp4(ipA, ipB, tcpSeg{sport: sport, dport: dport, seq: 1, ack: 1, flags: thACK | thPSH, data: []byte(data)})
}

func sshPkts() [][]byte {
	c := func(s string) []byte { return appSeg(40600, 22, s) }
	d := func(s string) []byte { return appSeg(22, 40600, s) }
	return [][]byte{
		d("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		c("SSH-2.0-Go\r\n"),
		c("SSH-1.99-old\n"),
		c("SSH-2.0-cr only\rx\n"),
		c("SSH-2.0-no end"),
		c("SSH-2.0-ends with cr\r"),
		c("SSH-2.0-bin\x01ary\r\n"),
		c("SSH-2.0-high\xc3\xa9\r\n"),
		c("SSH-\r\n"),
		c("SSH"),
		c("SSX-2.0\r\n"),
		c("\x00\x00\x05\xdc\x07\x14binary packet"),
		d("SSH-2.0-srv\r\n\x00\x00\x01\x0c\x0a\x14kexinit"),
		appSeg(22, 22, "SSH-2.0-both\r\n"),
	}
}

func respPkts() [][]byte {
	c := func(s string) []byte { return appSeg(40700, 6379, s) }
	d := func(s string) []byte { return appSeg(6379, 40700, s) }
	return [][]byte{
		c("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"),
		d("+OK\r\n"),
		c("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*2\r\n$4\r\nINCR\r\n$1\r\nz\r\n"),
		d("$5\r\nvalue\r\n:42\r\n-ERR unknown command 'FOO'\r\n"),
		d("$-1\r\n*-1\r\n*0\r\n$0\r\n\r\n"),
		d("$-2\r\n"),
		d("*-5\r\n"),
		d("$99999999999\r\n"),
		d("*2147483648\r\n"),
		d("$2147483647\r\nabc"),
		d("$-99999999999\r\n"),
		d("$x\r\n+OK\r\n"),
		d("$3x\r\nabc\r\n"),
		d("$3\rx\r\nabc\r\n"),
		d("$3\r\nabcdef\r\n"),
		d("$3\r\nab"),
		d("$3\r"),
		d("$"),
		d("*"),
		d("+no crlf"),
		d(":12\r"),
		c("PING\r\nPING\nPING\r\r\n"),
		c("\r\n\nINFO server\r\n"),
		c("\r\n"),
		c("PING"),
		c("*2\r\n$4\r\nECHO\r\n$4\r\n\x01\x7f\xff\xe9\r\n"),
		c("*3\r\n$1\r\na\r\n"),
		c("*1\r\n*1\r\n*1\r\n:1\r\n"),
		appSeg(179, 6379, "+OK\r\n"),
		appSeg(6379, 22, "+OK\r\n"),
	}
}

// bgpMsg is a BGP message: marker, length, type and body.
func bgpMsg(typ byte, body ...[]byte) []byte {
	b := cat(body...)
	return cat(repeatByte(0xff, 16), be16(19+len(b)), []byte{typ}, b)
}

func repeatByte(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

// bgpAttr is a path attribute; flag 0x10 makes its length two bytes.
func bgpAttr(flags, typ byte, val ...[]byte) []byte {
	v := cat(val...)
	if flags&0x10 != 0 {
		return cat([]byte{flags, typ}, be16(len(v)), v)
	}
	return cat([]byte{flags, typ, byte(len(v))}, v)
}

func bgpUpdate(withdrawn, attrs, nlri []byte) []byte {
	return bgpMsg(2, be16(len(withdrawn)), withdrawn, be16(len(attrs)), attrs, nlri)
}

func bgpOpen(optParams ...[]byte) []byte {
	o := cat(optParams...)
	return bgpMsg(1, []byte{4}, be16(64512), be16(90), ipR.AsSlice(), []byte{byte(len(o))}, o)
}

func bgpCaps(caps ...[]byte) []byte {
	c := cat(caps...)
	return cat([]byte{2, byte(len(c))}, c)
}

func bgpNotify(major, minor byte, data ...byte) []byte {
	return bgpMsg(3, []byte{major, minor}, data)
}

func bgpPkts() [][]byte {
	seq := uint32(1000)
	seg := func(fromPeer bool, msgs ...[]byte) []byte {
		d := cat(msgs...)
		s := tcpSeg{sport: 40500, dport: 179, seq: seq, ack: 1, flags: thACK | thPSH, data: d}
		src, dst := ipA, ipB
		if fromPeer {
			s.sport, s.dport = 179, 40500
			src, dst = ipB, ipA
		}
		seq += uint32(len(d))
		return tcp4(src, dst, s)
	}
	keep := bgpMsg(4)
	cap := func(code byte, data ...byte) []byte { return cat([]byte{code, byte(len(data))}, data) }
	v4, v6 := ipA.AsSlice(), netipSlice(ip6A)
	ip6G := []byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	mpReach := func(af uint16, safi byte, nh []byte, nlri ...byte) []byte {
		return bgpAttr(0x90, 14, be16(int(af)), []byte{safi, byte(len(nh))}, nh, []byte{0}, nlri)
	}
	mpUnreach := func(af uint16, safi byte, nlri ...byte) []byte {
		return bgpAttr(0x90, 15, be16(int(af)), []byte{safi}, nlri)
	}
	attrs := cat(
		bgpAttr(0x40, 1, []byte{0}),
		bgpAttr(0x40, 2, []byte{2, 3}, be16(64512), be16(65000), be16(3), []byte{1, 2}, be16(7), be16(8)),
		bgpAttr(0x40, 3, v4),
		bgpAttr(0x80, 4, be32(100)),
		bgpAttr(0x40, 5, be32(200)),
		bgpAttr(0x40, 6),
		bgpAttr(0xc0, 7, be16(64512), v4),
		bgpAttr(0xc0, 8, be32(64512<<16|100), be32(0xffffff01), be32(0xffffff02), be32(0xffffff03), be32(1<<16|2)),
		bgpAttr(0x80, 9, v4),
		bgpAttr(0x80, 10, v4, ipR.AsSlice()),
	)
	extComms := bgpAttr(0xc0, 16,
		[]byte{0, 2}, be16(64512), be32(0x0a000001),
		[]byte{1, 2}, v4, be16(7),
		[]byte{2, 2}, be32(4200000000), be16(9),
		[]byte{0x40, 4}, be16(64512), be32(0x4b3ebc20),
		[]byte{0, 5}, v4, be16(0),
		[]byte{3, 6}, v4, []byte{5, 1},
		[]byte{3, 6}, v4, []byte{9, 0},
		[]byte{0, 9}, be16(65000), be32(0),
		[]byte{3, 0x0c}, be32(0), be16(8),
		[]byte{0xc3, 0x99}, []byte{1, 2, 3, 4, 5, 6},
		[]byte{0x80, 0x00}, v4, []byte{7, 0},
	)
	large := bgpAttr(0xc0, 32, be32(4200000000), be32(1), be32(2), be32(64512), be32(0), be32(4294967295))
	as4 := cat(
		bgpAttr(0x40, 2, []byte{2, 2}, be32(4200000000), be32(64512), []byte{1, 1}, be32(70000)),
		bgpAttr(0xc0, 17, []byte{2, 1}, be32(4200000001), []byte{3, 1}, be32(5), []byte{4, 2}, be32(6), be32(7)),
		bgpAttr(0xc0, 18, be32(4200000000), v4),
		bgpAttr(0xc0, 7, be32(4200000000), v4),
	)
	return [][]byte{
		seg(false, bgpOpen(bgpCaps(
			cap(1, 0, 1, 0, 1), cap(1, 0, 2, 0, 1), cap(2), cap(128), cap(65, 0xfa, 0x56, 0xea, 0),
			cap(64, 0x80, 120, 0, 1, 1, 0x80, 0, 2, 1, 0), cap(69, 0, 1, 1, 3, 0, 2, 1, 1, 0, 1, 4, 9),
			cap(70), cap(71), cap(8, 0, 1, 4, 2), cap(5, 0, 1, 0, 1, 0, 2), cap(99, 1, 2, 3),
		))),
		seg(true, bgpOpen(bgpCaps(cap(1, 0, 1)), bgpCaps(cap(65, 1)), bgpCaps(cap(64, 1)), bgpCaps(cap(69)),
			bgpCaps(cap(69, 0, 1, 1, 3, 9)), []byte{1, 2, 0xaa, 0xbb}, []byte{7, 0}, []byte{2, 9, 1})),
		seg(true, bgpOpen(bgpCaps(cap(1, 0, 1, 0, 1)), bgpCaps(cap(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))),
		seg(false, bgpMsg(1, []byte{4, 1, 2})),
		seg(true, keep, keep, bgpMsg(5, be16(1), []byte{0, 1})),
		seg(true, bgpUpdate([]byte{8, 10, 24, 198, 18, 7, 32, 198, 18, 0, 9, 0}, attrs, []byte{24, 198, 18, 5, 16, 172, 16, 0})),
		seg(false, bgpUpdate(nil, cat(extComms, large), []byte{22, 100, 64, 4})),
		seg(false, bgpUpdate(nil, as4, []byte{32, 1, 2, 3, 4})),
		seg(false, bgpUpdate(nil, nil, nil), bgpUpdate(nil, mpUnreach(2, 1), nil), bgpUpdate(nil, mpUnreach(1, 1), nil)),
		seg(true, bgpUpdate(nil, cat(bgpAttr(0x40, 1, []byte{2}), bgpAttr(0x40, 2),
			mpReach(2, 1, cat(ip6G, v6), 64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 48, 0xfd, 0, 0, 0, 0, 1, 128, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa)), nil)),
		seg(true, bgpUpdate(nil, mpUnreach(2, 1, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0), nil)),
		seg(true, bgpUpdate(nil, cat(mpReach(1, 4, v4, 48, 0, 0x3e, 0x81, 10, 1, 56, 0, 0x3e, 0x80, 10, 2, 3)), nil)),
		seg(true, bgpUpdate(nil, cat(mpReach(1, 128, cat(repeatByte(0, 8), v4),
			112, 0, 0x01, 0x41, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 10, 9, 8,
			112, 0, 0x01, 0x41, 0, 1, 198, 18, 0, 1, 0, 5, 10, 9, 8,
			112, 0, 0x01, 0x41, 0, 2, 0, 1, 0, 2, 0, 7, 10, 9, 8,
			112, 0, 0x01, 0x41, 0, 7, 0, 1, 0, 2, 0, 7, 10, 9, 8,
		)), nil)),
		seg(true, bgpUpdate(nil, cat(mpReach(2, 128, cat(repeatByte(0, 8), ip6G), 120, 0, 0x01, 0x41, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0x20, 0x01, 0x0d, 0xb8)), nil)),
		seg(true, bgpUpdate(nil, cat(mpReach(1, 1, v4, 16, 10, 1), mpReach(2, 2, ip6G, 8, 0xff), mpReach(1, 1, v4[:3], 8, 10), mpReach(2, 1, v4, 8, 10)), nil)),
		seg(true, bgpUpdate(nil, cat(mpReach(3, 1, []byte{0x49, 0, 1}), mpReach(1, 77, v4, 1, 2), mpReach(9, 1, nil), mpUnreach(1, 200, 1)), nil)),
		seg(true, bgpUpdate(nil, cat(
			mpReach(3, 1, []byte{0x47, 0, 6, 1, 10, 0, 0, 1}, 40, 0x49, 0, 1, 0x19, 0x21, 0, 0x49, 0, 0, 0, 0),
			mpReach(3, 128, cat(repeatByte(0, 8), []byte{0x47, 0, 6, 1}, v4), 112, 0, 0x01, 0x41, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0x49, 0, 1),
			mpReach(3, 128, cat(repeatByte(0, 8), []byte{0x35, 0, 0}, ip6G), 95, 0, 0, 0),
			mpReach(3, 129, []byte{1, 2, 3})), nil)),
		seg(true, bgpUpdate(nil, cat(
			mpReach(1, 132, v4, 0, 96, 0, 0, 0xfd, 0xe8, 0, 2, 0xfd, 0xe8, 0, 0, 0, 100,
				64, 0, 0, 0xfd, 0xe8, 1, 2, 198, 18, 0, 1, 0, 7, 72, 0, 0, 0, 1, 2, 2, 0xfa, 0x56, 0xea, 0,
				40, 0, 0, 0, 1, 0, 44, 0, 0, 0, 1, 0x99, 0x99, 31, 1, 2, 3),
			mpReach(1, 66, v4, 128, 0, 0, 0, 1, 0, 0, 0, 9, 10, 0, 0, 1, 239, 1, 1, 1, 120),
			mpReach(1, 5, v4,
				1, 12, 0, 0, 0, 1, 0, 0, 0, 2, 198, 18, 0, 1,
				1, 24, 0, 0, 0, 1, 0, 0, 0, 2, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
				2, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0xfd, 0xe8,
				3, 22, 0, 0, 0, 1, 0, 0, 0, 2, 32, 10, 0, 0, 1, 32, 239, 1, 1, 1, 198, 18, 0, 1,
				4, 3, 1, 2, 3,
				5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 32, 10, 0, 0, 1, 32, 239, 1, 1, 1,
				6, 22, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0xfd, 0xe8, 32, 10, 0, 0, 1, 32, 239, 1, 1, 1,
				7, 14, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0xfd, 0xe8, 0, 0,
				9, 0)), nil)),
		seg(true, bgpUpdate(nil, cat(
			mpReach(25, 65, v4, 0, 12, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 198, 18, 0, 1,
				0, 21, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 5, 0, 0, 0, 8, 0, 0x10, 1, 0, 12, 0xab, 0xcd,
				0, 24, 0, 1, 198, 18, 0, 1, 0, 7, 0, 5, 0, 0, 0, 8, 0, 0x10, 7, 0, 9, 1, 2, 1, 0, 2, 0xff,
				0, 14, 1, 2, 3),
			mpReach(196, 128, v4, 0, 19, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 5, 0, 0, 0, 8, 0, 0x10, 1, 1, 0),
			bgpAttr(0xc0, 16, []byte{0x80, 0x0a, 4, 3}, be16(1500), be16(0), []byte{0x80, 0x0a, 99, 0}, be16(9000), be16(0))), nil)),
		seg(true, bgpUpdate(nil, cat(
			mpReach(196, 128, v4, 0, 12, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 198, 18, 0, 1,
				0, 25, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 5, 0, 0, 0, 0x80, 1, 1, 0, 12, 0xab, 0xcd, 2, 0, 9, 0x77, 0x88),
			bgpAttr(0xc0, 16, []byte{0x80, 0x0a, 4, 3}, be16(1500), be16(0), []byte{0x80, 0x0a, 99, 0}, be16(9000), be16(0)),
			bgpAttr(0xc0, 16, []byte{0x80, 0x0a, 5, 0}, be16(1500), be16(0), []byte{0x00, 0x0a}, be16(1), be32(2), []byte{0xf1, 0x0a}, v4, be16(3)),
			mpReach(196, 128, v4, 0, 15)), nil)),
		seg(true, bgpUpdate(nil, cat(bgpAttr(0x50, 1, []byte{1}), bgpAttr(0, 1, []byte{3}), bgpAttr(0x4f, 99, []byte{1, 2, 3}),
			bgpAttr(0x40, 1, []byte{1, 2}), bgpAttr(0x40, 2, []byte{2}), bgpAttr(0x40, 2, []byte{5, 1, 0, 1}), bgpAttr(0x40, 3, v4[:3]),
			bgpAttr(0x80, 4, be16(1)), bgpAttr(0x40, 6, []byte{1}), bgpAttr(0xc0, 7, v4), bgpAttr(0xc0, 8, v4[:3]),
			bgpAttr(0x80, 9, v4[:2]), bgpAttr(0x80, 10, v4[:2]), bgpAttr(0xc0, 16, v4), bgpAttr(0xc0, 32, v4), bgpAttr(0xc0, 32),
			bgpAttr(0xc0, 18, v4), bgpAttr(0xe0, 26, []byte{1, 0, 11}, be64(12345), []byte{2, 0, 4, 1}),
			bgpAttr(0xc0, 22, []byte{1, 6, 0, 0, 0x10}, v4, v4), bgpAttr(0xc0, 22, []byte{0, 3, 0, 0, 0x10}, v4, v4),
			bgpAttr(0xc0, 22, []byte{0, 9, 0, 0, 0x10}, v4),
			bgpAttr(0xc0, 128, be32(64512), bgpAttr(0x40, 1, []byte{0}), bgpAttr(0x40, 2, []byte{2, 1}, be16(1)), []byte{0x40})),
			[]byte{33, 1, 2, 3, 4, 5})),
		seg(true, bgpUpdate(nil, cat(bgpAttr(0x40, 1, []byte{0}), []byte{0x40}), nil)),
		seg(true, bgpUpdate(nil, bgpAttr(0x40, 1, []byte{0}), []byte{24, 10, 0})),
		seg(true, bgpUpdate([]byte{0, 0, 0, 1, 8, 10, 0, 0, 0, 2, 8, 11}, nil, []byte{0, 0, 0, 1, 24, 10, 1, 2, 0, 0, 0, 2, 0})),
		seg(true, bgpUpdate([]byte{40}, nil, nil), bgpUpdate([]byte{1}, nil, nil)),
		seg(true, bgpMsg(2, be16(50))),
		seg(true, bgpNotify(1, 2, 0, 10), bgpNotify(2, 2), bgpNotify(2, 9), bgpNotify(3, 11), bgpNotify(4, 0), bgpNotify(5, 2), bgpNotify(7, 4)),
		seg(true, bgpNotify(6, 1, 0, 1, 1, 0, 0, 3, 0xe8), bgpNotify(6, 1), bgpNotify(6, 2, 11, 'm', 'a', 'i', 'n', 't', 0xc3, 0xa9, 'n', 'a', 'n', 'c')),
		seg(true, bgpNotify(6, 2, 0), bgpNotify(6, 4, 3, 'a', 'b', 'c', 1, 2, 3), bgpNotify(6, 4, 9, 'a'), bgpNotify(6, 3), bgpNotify(6, 8), bgpNotify(9, 1, 1, 2)),
		seg(true, bgpNotify(6, 2, cat([]byte{255}, repeatByte('z', 255), []byte{1, 2})...)),
		seg(true, bgpMsg(5, be16(2), []byte{0, 1}), bgpMsg(5, be16(1), []byte{0, 128}, []byte{9}), bgpMsg(5, be16(1)), bgpMsg(9, []byte{1, 2, 3})),
		seg(true, []byte("junk"), keep, cat(repeatByte(0xff, 16), be16(10), []byte{4})),
		seg(true, keep, cat(repeatByte(0xff, 16), be16(60), []byte{2, 0, 0})),
		seg(true, []byte{0xff, 0xff, 1}, keep, []byte{0xff}),
	}
}

func netipSlice(a interface{ AsSlice() []byte }) []byte { return a.AsSlice() }
