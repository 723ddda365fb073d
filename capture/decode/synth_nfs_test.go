package decode

import (
	"github.com/netdiag/netdiag/capture/pcapio"
)

// NFSv3 over UDP and TCP (record marking) between a kubelet's mount and a
// storage server, and the portmapper on port 111.

func init() { synthFamilies = append(synthFamilies, nfsCaptures()) }

// rpcCallMsg is an ONC RPC call (RFC 5531) with AUTH_UNIX credentials.
func rpcCallMsg(xid, prog, vers, proc uint32, args ...[]byte) []byte {
	cred := cat(be32(0x5f5e0f00), be32(5), []byte("node1\x00\x00\x00"), be32(0), be32(0), be32(0))
	return cat(be32(xid), be32(0), be32(2), be32(prog), be32(vers), be32(proc),
		be32(1), be32(uint32(len(cred))), cred, be32(0), be32(0), cat(args...))
}

// rpcReplyMsg is an accepted, successful RPC reply.
func rpcReplyMsg(xid uint32, results ...[]byte) []byte {
	return cat(be32(xid), be32(1), be32(0), be32(0), be32(0), be32(0), cat(results...))
}

// nfsFH is an NFSv3 file handle shaped like Linux knfsd's.
func nfsFH(ino byte) []byte {
	fh := []byte{1, 0, 1, 0, 0x61, 0x62, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		0x99, 0xaa, 0xbb, 0xcc, ino, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef}
	return cat(be32(uint32(len(fh))), fh)
}

func xdrString(s string) []byte {
	b := cat(be32(uint32(len(s))), []byte(s))
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// fattr3 is a regular file's attributes.
func fattr3(typ, mode uint32, size uint64) []byte {
	return cat(be32(typ), be32(mode), be32(1), be32(0), be32(0), be64(size), be64(size),
		be32(0), be32(0), be64(0x1234), be64(0x5678),
		be32(1700000000), be32(1), be32(1700000001), be32(2), be32(1700000002), be32(3))
}

func nfsCaptures() []synthCapture {
	const nfs = 100003
	c, s := ipA, ipB
	udpCall := func(xid, proc uint32, args ...[]byte) []byte {
		return udp4(c, s, 801, 2049, rpcCallMsg(xid, nfs, 3, proc, args...))
	}
	udpReply := func(xid uint32, res ...[]byte) []byte {
		return udp4(s, c, 2049, 801, rpcReplyMsg(xid, res...))
	}
	udp := synthCapture{name: "nfs-udp", lt: pcapio.LinkTypeEthernet, pkts: [][]byte{
		udpCall(0x1001, 1, nfsFH(7)),
		udpReply(0x1001, be32(0), fattr3(1, 0644, 1234)),
		udpCall(0x1002, 3, nfsFH(2), xdrString("kubelet")),
		udpReply(0x1002, be32(2), be32(0)),
		udpCall(0x1003, 4, nfsFH(7), be32(0x1f)),
		udpReply(0x1003, be32(0), be32(1), fattr3(1, 0644, 1234), be32(0x1f)),
		udpCall(0x1004, 6, nfsFH(7), be64(4096), be32(8192)),
		udpReply(0x1004, be32(0), be32(1), fattr3(1, 0644, 1234), be32(5), be32(1), be32(5), []byte("hello\x00\x00\x00")),
		udpReply(0x9999, be32(0), be32(0)),
		udpCall(0x1005, 0),
		udpReply(0x1005),
		// Procedures past the table: v3's 22 and up, v2's 18 and up.
		udpCall(0x1006, 22, nfsFH(7)),
		udpReply(0x1006, be32(0)),
		udpCall(0x1007, 25, nfsFH(7)),
		udp4(c, s, 801, 2049, rpcCallMsg(0x1008, nfs, 2, 18, nfsFH(7))),
		udp4(c, s, 801, 2049, rpcCallMsg(0x1009, nfs, 2, 22, nfsFH(7))),
		udp4(c, s, 801, 2049, rpcCallMsg(0x100a, nfs, 2, 30, nfsFH(7))),
		udpReply(0x1009, be32(0)),
	}}
	// Over TCP each message follows a record mark: last-fragment bit and
	// length.
	mark := func(m []byte) []byte { return cat(be32(0x80000000|uint32(len(m))), m) }
	wcc := cat(be32(1), be64(100), be32(1700000000), be32(5), be32(1700000000), be32(6),
		be32(1), fattr3(1, 0600, 4096))
	seq, ack := uint32(1000), uint32(5000)
	tcpCall := func(xid, proc uint32, args ...[]byte) []byte {
		m := mark(rpcCallMsg(xid, nfs, 3, proc, args...))
		pkt := tcp4(c, s, tcpSeg{sport: 871, dport: 2049, seq: seq, ack: ack, flags: thACK | thPSH, data: m})
		seq += uint32(len(m))
		return pkt
	}
	tcpReply := func(xid uint32, res ...[]byte) []byte {
		m := mark(rpcReplyMsg(xid, res...))
		pkt := tcp4(s, c, tcpSeg{sport: 2049, dport: 871, seq: ack, ack: seq, flags: thACK | thPSH, data: m})
		ack += uint32(len(m))
		return pkt
	}
	verf := be64(0x0102030405060708)
	tcp := synthCapture{name: "nfs-tcp", lt: pcapio.LinkTypeEthernet, pkts: [][]byte{
		tcp4(c, s, tcpSeg{sport: 871, dport: 2049, seq: seq - 1, flags: thSYN}),
		tcp4(s, c, tcpSeg{sport: 2049, dport: 871, seq: ack - 1, ack: seq, flags: thSYN | thACK}),
		tcpCall(0x2001, 19, nfsFH(1)),
		tcpReply(0x2001, be32(0), be32(1), fattr3(2, 0755, 4096), be32(1048576), be32(1048576), be32(4096),
			be32(1048576), be32(1048576), be32(4096), be32(4096), be64(1<<62), be32(0), be32(1), be32(0x1b)),
		tcpCall(0x2002, 18, nfsFH(1)),
		tcpReply(0x2002, be32(0), be32(0), be64(1<<40), be64(1<<39), be64(1<<38), be64(1000), be64(900), be64(800), be32(0)),
		tcpCall(0x2003, 20, nfsFH(1)),
		tcpReply(0x2003, be32(0), be32(0), be32(32000), be32(255), be32(1), be32(1), be32(0), be32(1)),
		tcpCall(0x2004, 7, nfsFH(9), be64(65536), be32(5), be32(2), be32(5), []byte("data\n\x00\x00\x00")),
		tcpReply(0x2004, be32(0), wcc, be32(5), be32(2), verf),
		tcpCall(0x2005, 8, nfsFH(1), xdrString("pod.log"), be32(0), be32(1), be32(0644), be32(0), be32(0), be32(0), be32(0), be32(0)),
		tcpReply(0x2005, be32(0), be32(1), nfsFH(10), be32(1), fattr3(1, 0644, 0), wcc),
		tcpCall(0x2006, 16, nfsFH(1), be64(0), verf, be32(4096)),
		tcpReply(0x2006, be32(0), be32(1), fattr3(2, 0755, 4096), verf, be32(0), be32(1)),
		tcpCall(0x2007, 17, nfsFH(1), be64(12), verf, be32(4096), be32(32768)),
		tcpReply(0x2007, be32(0), be32(0), verf, be32(0), be32(1)),
		tcpCall(0x2008, 21, nfsFH(9), be64(0), be32(0)),
		tcpReply(0x2008, be32(0), wcc, verf),
		tcpCall(0x2009, 2, nfsFH(9), be32(1), be32(0600), be32(0), be32(0), be32(0), be32(0), be32(0), be32(0)),
		tcpReply(0x2009, be32(0), wcc),
		tcpCall(0x200a, 12, nfsFH(1), xdrString("old.log")),
		tcpReply(0x200a, be32(13), wcc),
		tcpCall(0x200b, 3, nfsFH(1), xdrString("data")),
		tcpReply(0x200b, be32(0), nfsFH(11), be32(1), fattr3(2, 0755, 4096), be32(1), fattr3(2, 0755, 4096)),
		tcpCall(0x200c, 99),
		tcpReply(0x200c),
		// Record marks shorter than the message: tcpdump measures the
		// credentials against the whole message length.
		tcp4(c, s, tcpSeg{sport: 871, dport: 2049, seq: seq, ack: ack, flags: thACK | thPSH,
			data: cat(be32(0x80000000|60), rpcCallMsg(0x2010, nfs, 3, 16, nfsFH(1), be64(0), verf, be32(4096)))}),
		tcp4(c, s, tcpSeg{sport: 871, dport: 2049, seq: seq, ack: ack, flags: thACK | thPSH,
			data: cat(be32(0x80000000|65), rpcCallMsg(0x2011, nfs, 3, 17, nfsFH(1), be64(0), verf, be32(4096), be32(8192)))[:69]}),
		// Rejected and unaccepted replies.
		tcp4(s, c, tcpSeg{sport: 2049, dport: 871, seq: ack, ack: seq, flags: thACK | thPSH,
			data: mark(cat(be32(0x200c), be32(1), be32(1), be32(1), be32(5)))}),
		tcpCall(0x200d, 1, nfsFH(1)),
		tcp4(s, c, tcpSeg{sport: 2049, dport: 871, seq: ack, ack: seq, flags: thACK | thPSH,
			data: mark(cat(be32(0x200d), be32(1), be32(0), be32(0), be32(0), be32(3)))}),
	}}
	// Procedures of less common use, NFSv2 with its fixed 32-byte handles,
	// IPv6, and handles that tcpdump takes for other servers' layouts.
	fh2 := func(b byte) []byte { return cat([]byte{0, 0, 8, b, 0, 0, 0, 3}, repeat(0x40, 24)) }
	sattr := cat(be32(1), be32(0755), be32(1), be32(1000), be32(0), be32(1), be64(10), be32(2), be32(1700000000), be32(7), be32(1))
	call6 := func(xid, proc uint32, args ...[]byte) []byte {
		return eth(0x86dd, ipv6(ip6A, ip6B, 17, udpv(ip6A, ip6B, 802, 2049, rpcCallMsg(xid, nfs, 3, proc, args...))))
	}
	reply6 := func(xid uint32, res ...[]byte) []byte {
		return eth(0x86dd, ipv6(ip6B, ip6A, 17, udpv(ip6B, ip6A, 2049, 802, rpcReplyMsg(xid, res...))))
	}
	v2Call := func(xid, proc uint32, args ...[]byte) []byte {
		return udp4(c, s, 803, 2049, rpcCallMsg(xid, nfs, 2, proc, args...))
	}
	v2Reply := func(xid uint32, res ...[]byte) []byte {
		return udp4(s, c, 2049, 803, rpcReplyMsg(xid, res...))
	}
	fattr2 := cat(be32(1), be32(0644), be32(1), be32(0), be32(0), be32(77), be32(4096), be32(0),
		be32(1), be32(9), be32(123), be32(1700000000), be32(1), be32(1700000000), be32(2), be32(1700000000), be32(3))
	bsdFH := cat(be32(32), []byte{5, 1, 0, 0, 9, 9, 0, 0, 0, 0, 0, 0, 0x34, 0x12, 0, 0}, repeat(0, 16))
	shortFH := cat(be32(12), repeat(0x41, 12))
	longFH := cat(be32(48), []byte{1, 0, 7, 0}, repeat(0x90, 44))
	more := synthCapture{name: "nfs-more", lt: pcapio.LinkTypeEthernet, pkts: [][]byte{
		udpCall(0x3001, 10, nfsFH(1), xdrString("link"), sattr, xdrString("target/path")),
		udpReply(0x3001, be32(0), be32(1), nfsFH(12), be32(0), wcc),
		udpCall(0x3002, 11, nfsFH(1), xdrString("dev"), be32(4), sattr, be32(8), be32(1)),
		udpReply(0x3002, be32(17), be32(0), be32(0)),
		udpCall(0x3003, 5, nfsFH(12)),
		udpReply(0x3003, be32(0), be32(0), xdrString("target/path")),
		udpCall(0x3004, 14, nfsFH(1), xdrString("a"), nfsFH(2), xdrString("b")),
		udpReply(0x3004, be32(0), wcc, wcc),
		udpCall(0x3005, 15, nfsFH(9), nfsFH(2), xdrString("hard")),
		udpReply(0x3005, be32(0), be32(0), wcc),
		udpCall(0x3006, 13, nfsFH(1), xdrString("dir")),
		udpReply(0x3006, be32(66), be32(0), be32(0)),
		udpCall(0x3007, 9, nfsFH(1), xdrString("newdir"), sattr),
		udpReply(0x3007, be32(0), be32(0), wcc),
		v2Call(0x4001, 1, fh2(1)),
		v2Reply(0x4001, be32(0), fattr2),
		v2Call(0x4002, 4, fh2(1), xdrString("etc")),
		v2Reply(0x4002, be32(0), fh2(2), fattr2),
		v2Call(0x4003, 6, fh2(2), be32(0), be32(8192), be32(0)),
		v2Reply(0x4003, be32(0), fattr2, xdrString("abc")),
		v2Call(0x4004, 8, fh2(2), be32(0), be32(512), be32(3), xdrString("abc")),
		v2Reply(0x4004, be32(0), fattr2),
		v2Call(0x4005, 16, fh2(1), be32(0), be32(1024)),
		v2Reply(0x4005, be32(0), be32(0), be32(1)),
		v2Call(0x4006, 17, fh2(1)),
		v2Reply(0x4006, be32(0), be32(8192), be32(4096), be32(1000), be32(500), be32(400)),
		v2Call(0x4007, 9, fh2(1), xdrString("new"), repeat(0, 32)),
		v2Reply(0x4007, be32(13)),
		v2Call(0x4008, 10, fh2(1), xdrString("old")),
		v2Reply(0x4008, be32(0)),
		v2Call(0x4009, 2, fh2(1), repeat(0xff, 32)),
		v2Reply(0x4009, be32(0), fattr2),
		call6(0x5001, 1, bsdFH),
		reply6(0x5001, be32(0), fattr3(1, 0644, 1)),
		call6(0x5002, 1, shortFH),
		reply6(0x5002, be32(70)),
		call6(0x5003, 1, longFH),
		call6(0x5004, 1, cat(be32(16), []byte{5, 1, 0, 0, 9, 9, 0, 0, 0, 0, 0, 0, 0x34, 0x12, 0, 0})),
		call6(0x5005, 1, cat(be32(20), []byte{0, 0, 0, 0, 9, 9, 3, 4, 0, 0, 0, 0, 0x34, 0x12, 0, 0, 1, 2, 3, 4})),
		call6(0x5006, 1, cat(be32(4), []byte{0, 0, 1, 2})),
		call6(0x5007, 1, cat(be32(0))),
		call6(0x5008, 1, cat(be32(16), []byte("\x01DKA0        \x00\x00"))),
		call6(0x5009, 1, cat(be32(28), []byte("\x01DKA0 USER\x00\x00\x00\x00\x00"), repeat(7, 14))),
		call6(0x500a, 1, cat(be32(24), []byte{8, 1, 0, 0, 0x78, 0x56, 1, 1}, repeat(0, 16))),
		call6(0x500b, 1, cat(be32(16), []byte{0, 0, 1, 2, 5, 0, 0, 0, 12, 0, 0, 0, 0x10, 0x20, 0, 0})),
		call6(0x500c, 1, cat(be32(16), []byte{0, 0, 1, 2, 0, 8, 0, 0, 0, 0, 0, 0x2a, 0x10, 0x20, 0, 0})),
		call6(0x500d, 1, cat(be32(16), []byte{1, 2, 3, 4, 0, 0, 0, 0, 0, 10, 0, 0, 0x10, 0x20, 0, 0})),
		call6(0x500e, 1, cat(be32(16), []byte{1, 2, 3, 4, 0, 0, 0, 2, 0, 10, 0, 0, 0x10, 0x20, 0, 0})),
		call6(0x500f, 1, cat(be32(16), []byte{1, 2, 0, 0, 0, 0, 1, 2, 0, 10, 0, 0, 0x10, 0x20, 0, 0})),
		// The same xid from another server is not a match.
		udp4(ipR, c, 2049, 801, rpcReplyMsg(0x3003, be32(0), be32(0), xdrString("x"))),
		// A call to port 111 and its reply: tcpdump leaves the portmapper
		// undecoded.
		udp4(c, s, 804, 111, rpcCallMsg(0x6001, 100000, 2, 3, be32(nfs), be32(3), be32(17), be32(0))),
		udp4(s, c, 111, 804, rpcReplyMsg(0x6001, be32(2049))),
		tcp4(c, s, tcpSeg{sport: 805, dport: 111, seq: 1, ack: 1, flags: thACK | thPSH,
			data: mark(rpcCallMsg(0x6002, 100000, 2, 3, be32(nfs), be32(3), be32(6), be32(0)))}),
	}}
	var all []synthCapture
	all = append(all, withSnaps(more, 100, 150)...)
	all = append(all, withSnaps(udp, 80, 120, 160)...)
	all = append(all, withSnaps(tcp, 90, 130, 200)...)
	return all
}
