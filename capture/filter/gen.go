package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// loc is a packet offset: k bytes past the start of the packet, or past
// the offset held in scratch word reg when reg >= 0 (after geneve and vxlan
// the inner headers sit where only the running program knows).
type loc struct{ reg, k int }

func abs(k int) loc                   { return loc{reg: -1, k: k} }
func (l loc) add(d int) loc           { l.k += d; return l }
func (l loc) variable() bool          { return l.reg >= 0 }
func (l loc) ldx() bpf.RawInstruction { return ins(opLDX|mMEM, uint32(l.reg)) }

// gen holds libpcap's compiler state: the current link type and the offsets
// that vlan, mpls, pppoes, geneve and vxlan move as the expression is read
// left to right.
type gen struct {
	lt          LinkType
	savefile    bool // compiling for tcpdump -r
	offLinkHdr  loc
	offLinkType loc
	offLinkPL   loc
	offNL       int
	offNLNoSnap int
	hasLinkType bool
	vlanDepth   int
	labelDepth  int
	snaplen     uint32
	names       *resolver

	nextReg    int  // scratch words below it hold encapsulation offsets
	encap      bool // inside geneve/vxlan, until pppoes
	noOptimize bool // libpcap does not optimize programs with geneve
}

type genError struct{ err *Error }

func (g *gen) fail(t token, format string, args ...any) {
	e := &Error{Pos: t.pos, Token: t.text, Msg: fmt.Sprintf(format, args...)}
	if t.kind == tEOF {
		e.Token = ""
	}
	panic(genError{e})
}

func newGen(lt LinkType, snaplen uint32, r *resolver) *gen {
	g := &gen{lt: lt, snaplen: snaplen, names: r, offLinkHdr: abs(0), hasLinkType: true}
	switch lt {
	case EN10MB:
		g.offLinkType, g.offLinkPL, g.offNL, g.offNLNoSnap = abs(12), abs(14), 0, 3
	case LINUX_SLL:
		// libpcap assumes no SNAP header on cooked captures.
		g.offLinkType, g.offLinkPL, g.offNL, g.offNLNoSnap = abs(14), abs(16), 0, 0
	case LINUX_SLL2:
		g.offLinkType, g.offLinkPL, g.offNL, g.offNLNoSnap = abs(0), abs(20), 0, 0
	default:
		g.offLinkType, g.offLinkPL, g.offNL, g.offNLNoSnap = abs(0), abs(0), 0, 0
		g.hasLinkType = false
	}
	return g
}

// ---- statement helpers ----

func sizeCode(size uint32) uint16 {
	switch size {
	case 1:
		return szB
	case 2:
		return szH
	}
	return szW
}

func ldAbs(size uint32, off int) bpf.RawInstruction {
	return ins(opLD|sizeCode(size)|mABS, uint32(off))
}

func (g *gen) linkPL(off int) loc   { return g.offLinkPL.add(g.offNL + off) }
func (g *gen) nosnap(off int) loc   { return g.offLinkPL.add(g.offNLNoSnap + off) }
func (g *gen) linkType(off int) loc { return g.offLinkType.add(off) }
func (g *gen) linkHdr(off int) loc  { return g.offLinkHdr.add(off) }

// load returns statements leaving size bytes at l in A.
func load(size uint32, l loc) []bpf.RawInstruction {
	if !l.variable() {
		return []bpf.RawInstruction{ldAbs(size, l.k)}
	}
	return []bpf.RawInstruction{l.ldx(), ins(opLD|sizeCode(size)|mIND, uint32(l.k))}
}

// loadXIPHdr leaves in X the IPv4 header length plus the variable part of
// the link-layer payload's offset, for loads at [x + linkPL(0).k + …].
func (g *gen) loadXIPHdr() []bpf.RawInstruction {
	pl := g.linkPL(0)
	if !pl.variable() {
		return []bpf.RawInstruction{ins(opLDX|szB|mMSH, uint32(pl.k))}
	}
	return []bpf.RawInstruction{pl.ldx(), ins(opLD|szB|mIND, uint32(pl.k)), ins(opALU|aluAND|srcK, 0xf),
		ins(opALU|aluLSH|srcK, 2), ins(opALU|aluADD|srcX, 0), ins(opMISC|miscTAX, 0)}
}

func cmp(l loc, size uint32, v uint32) cond {
	return newTest(load(size, l), jJEQ, v)
}

func mcmp(l loc, size uint32, v, mask uint32) cond {
	s := load(size, l)
	if mask != 0xffffffff {
		s = append(s, ins(opALU|aluAND|srcK, mask))
	}
	return newTest(s, jJEQ, v)
}

func cmpOp(l loc, size uint32, op uint16, v uint32) cond {
	return newTest(load(size, l), op, v)
}

func gtrue() cond  { return newTest([]bpf.RawInstruction{ins(opLD|mIMM, 0)}, jJEQ, 0) }
func gfalse() cond { return newTest([]bpf.RawInstruction{ins(opLD|mIMM, 1)}, jJEQ, 0) }

// ---- link layer ----

func ethertypeToPPP(p uint32) uint32 {
	switch p {
	case 0x0800:
		return 0x0021
	case 0x86dd:
		return 0x0057
	case 0x6003:
		return 0x0027
	case 0x809b:
		return 0x0029
	case 0x0600:
		return 0x0025
	case 0xfe:
		return 0x0023
	case 0x42:
		return 0x0031
	case 0xe0:
		return 0x002b
	}
	return p
}

func (g *gen) linktype(t token, p uint32) cond {
	if g.labelDepth > 0 {
		var v uint32
		switch p {
		case 0x0800:
			v = 0x40
		case 0x86dd:
			v = 0x60
		default:
			g.fail(t, "unsupported protocol over mpls")
		}
		return and(mcmp(g.linkPL(-2), 1, 1, 1), mcmp(g.linkPL(0), 1, v, 0xf0))
	}
	switch g.lt {
	case EN10MB:
		switch {
		case p == 0xfe || p == 0x06 || p == 0xf0:
			return and(not(cmpOp(g.linkType(0), 2, jJGT, 1500)), cmp(g.offLinkPL, 2, p<<8|p))
		case p == 0xe0:
			// IPX in Ethernet II, 802.2 SNAP, 802.2 (SAP 0xe0) or raw 802.3.
			llc := or(g.snap(0, 0x8137), or(cmp(g.offLinkPL, 1, 0xe0), cmp(g.offLinkPL, 2, 0xffff)))
			return or(cmp(g.linkType(0), 2, 0x8137), and(not(cmpOp(g.linkType(0), 2, jJGT, 1500)), llc))
		case p == 0x809b || p == 0x80f3:
			// AppleTalk (phase 2 in SNAP) and AARP, in Ethernet II or 802.2.
			return or(cmp(g.linkType(0), 2, p), and(not(cmpOp(g.linkType(0), 2, jJGT, 1500)), g.atalkSNAP(p)))
		case p <= 1500:
			return and(not(cmpOp(g.linkType(0), 2, jJGT, 1500)), cmp(g.linkType(2), 1, p))
		}
		return cmp(g.linkType(0), 2, p)
	case LINUX_SLL2:
		// libpcap 1.10 compares the SLL2 protocol field directly.
		return cmp(g.linkType(0), 2, p)
	case LINUX_SLL:
		switch {
		case p == 0xfe || p == 0x06 || p == 0xf0:
			return and(cmp(g.linkType(0), 2, 4), cmp(g.offLinkPL, 2, p<<8|p))
		case p == 0xe0:
			// Ethernet II, then 802.3 (protocol 1), then 802.2 and SNAP (4).
			llc := and(cmp(g.linkType(0), 2, 4), or(cmp(g.offLinkPL, 1, 0xe0), g.snap(0, 0x8137)))
			return or(cmp(g.linkType(0), 2, 0x8137), or(cmp(g.linkType(0), 2, 1), llc))
		case p == 0x809b || p == 0x80f3:
			return or(cmp(g.linkType(0), 2, p), and(cmp(g.linkType(0), 2, 4), g.atalkSNAP(p)))
		case p <= 1500:
			return and(cmp(g.linkType(0), 2, 4), cmp(g.offLinkPL, 1, p))
		}
		return cmp(g.linkType(0), 2, p)
	case linkPPP:
		return cmp(g.linkType(0), 2, ethertypeToPPP(p))
	case RAW:
		switch p {
		case 0x0800:
			return mcmp(abs(0), 1, 0x40, 0xf0)
		case 0x86dd:
			return mcmp(abs(0), 1, 0x60, 0xf0)
		}
		return gfalse()
	case IPV4:
		if p == 0x0800 {
			return gtrue()
		}
		return gfalse()
	case IPV6:
		if p == 0x86dd {
			return gtrue()
		}
		return gfalse()
	}
	g.fail(t, "unsupported link type %s", g.lt)
	return cond{}
}

// atalkSNAP matches the SNAP header of AppleTalk phase 2 or of AARP.
func (g *gen) atalkSNAP(p uint32) cond {
	if p == 0x809b {
		return g.snap(0x080007, p)
	}
	return g.snap(0, p)
}

// ---- protocols ----

var ipProtoOf = map[string]uint32{"sctp": 132, "tcp": 6, "udp": 17, "icmp": 1, "igmp": 2, "igrp": 9, "pim": 103, "vrrp": 112, "carp": 112, "icmp6": 58, "ah": 51, "esp": 50}

var ethertypeOf = map[string]uint32{"ip": 0x0800, "arp": 0x0806, "rarp": 0x8035, "ip6": 0x86dd, "decnet": 0x6003, "lat": 0x6004, "sca": 0x6007, "moprc": 0x6002, "mopdl": 0x6001, "iso": 0xfe, "stp": 0x42, "netbeui": 0xf0, "atalk": 0x809b, "aarp": 0x80f3, "ipx": 0xe0}

func (g *gen) abbrev(t token, p string) cond {
	switch p {
	case "sctp", "tcp", "udp", "pim", "ah", "esp":
		return g.proto(t, ipProtoOf[p], "")
	case "icmp", "igmp", "igrp", "vrrp", "carp":
		return g.proto(t, ipProtoOf[p], "ip")
	case "icmp6":
		return g.proto(t, 58, "ip6")
	case "link":
		g.fail(t, "link layer applied in wrong context")
	}
	if c, ok := g.osiAbbrev(t, p); ok {
		return c
	}
	if et, ok := ethertypeOf[p]; ok {
		return g.linktype(t, et)
	}
	g.fail(t, "'%s' is not supported by netdiag", p)
	return cond{}
}

func (g *gen) proto(t token, v uint32, p string) cond {
	switch p {
	case "":
		return or(g.proto(t, v, "ip"), g.proto(t, v, "ip6"))
	case "link":
		return g.linktype(t, v)
	case "ip":
		return and(g.linktype(t, 0x0800), cmp(g.linkPL(9), 1, v))
	case "ip6":
		b := or(cmp(g.linkPL(6), 1, v), and(cmp(g.linkPL(6), 1, 44), cmp(g.linkPL(40), 1, v)))
		return and(g.linktype(t, 0x86dd), b)
	case "arp", "rarp", "lat", "sca", "moprc", "mopdl":
		name := strings.ToUpper(p)
		if p == "arp" || p == "rarp" {
			name = p
		}
		g.fail(t, "%s does not encapsulate another protocol", name)
	case "decnet":
		g.fail(t, "DECNET encapsulation is not specifiable")
	case "atalk":
		g.fail(t, "AppleTalk encapsulation is not specifiable")
	case "iso":
		return and(g.linktype(t, 0xfe), cmp(g.nosnap(0), 1, v))
	case "isis":
		// v is the IS-IS PDU type, 4 bytes into the IS-IS header.
		return and(g.proto(t, nlpidISIS, "iso"), cmp(g.nosnap(4), 1, v))
	case "clnp":
		g.fail(t, "'clnp proto' is not supported")
	}
	g.fail(t, "'%s proto' is bogus", p)
	return cond{}
}

// ---- hosts and nets ----

func (g *gen) hostop(addr, mask uint32, dir string, et uint32, src, dst int, t token) cond {
	switch dir {
	case "src":
		return and(g.linktype(t, et), mcmp(g.linkPL(src), 4, addr, mask))
	case "dst":
		return and(g.linktype(t, et), mcmp(g.linkPL(dst), 4, addr, mask))
	case "and":
		return and(g.hostop(addr, mask, "src", et, src, dst, t), g.hostop(addr, mask, "dst", et, src, dst, t))
	}
	return or(g.hostop(addr, mask, "src", et, src, dst, t), g.hostop(addr, mask, "dst", et, src, dst, t))
}

func typestr(addr string) string {
	if addr == "net" {
		return "net"
	}
	return "host"
}

func (g *gen) host(addr, mask uint32, q qual, t token) cond {
	switch q.proto {
	case "":
		b := g.host(addr, mask, qual{proto: "ip", dir: q.dir, addr: q.addr}, t)
		if g.labelDepth == 0 {
			b = or(b, g.host(addr, mask, qual{proto: "arp", dir: q.dir, addr: q.addr}, t))
			b = or(b, g.host(addr, mask, qual{proto: "rarp", dir: q.dir, addr: q.addr}, t))
		}
		return b
	case "link":
		g.fail(t, "link-layer modifier applied to %s", typestr(q.addr))
	case "ip":
		return g.hostop(addr, mask, q.dir, 0x0800, 12, 16, t)
	case "arp":
		return g.hostop(addr, mask, q.dir, 0x0806, 14, 24, t)
	case "rarp":
		return g.hostop(addr, mask, q.dir, 0x8035, 14, 24, t)
	case "decnet":
		return g.dnhost(addr, q.dir, t)
	case "ip6":
		g.fail(t, "'ip6' modifier applied to ip host")
	case "atalk":
		g.fail(t, "AppleTalk host filtering not implemented")
	case "lat", "sca", "moprc", "mopdl", "iso", "ipx", "aarp":
		g.fail(t, "%s host filtering not implemented", strings.ToUpper(q.proto))
	}
	g.fail(t, "'%s' modifier applied to %s", q.proto, typestr(q.addr))
	return cond{}
}

func (g *gen) hostop6(a, m [16]byte, dir string, t token) cond {
	switch dir {
	case "and":
		return and(g.hostop6(a, m, "src", t), g.hostop6(a, m, "dst", t))
	case "src", "dst":
	default:
		return or(g.hostop6(a, m, "src", t), g.hostop6(a, m, "dst", t))
	}
	off := 8
	if dir == "dst" {
		off = 24
	}
	word := func(b [16]byte, i int) uint32 {
		return uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3])
	}
	// libpcap compares the last word first.
	b := mcmp(g.linkPL(off+12), 4, word(a, 3), word(m, 3))
	for i := 2; i >= 0; i-- {
		b = and(mcmp(g.linkPL(off+4*i), 4, word(a, i), word(m, i)), b)
	}
	return and(g.linktype(t, 0x86dd), b)
}

func (g *gen) host6(a, m [16]byte, q qual, t token) cond {
	switch q.proto {
	case "", "ip6":
		return g.hostop6(a, m, q.dir, t)
	case "link":
		g.fail(t, "link-layer modifier applied to ip6 %s", typestr(q.addr))
	case "atalk":
		g.fail(t, "AppleTalk modifier applied to ip6 %s", typestr(q.addr))
	}
	g.fail(t, "'%s' modifier applied to ip6 %s", q.proto, typestr(q.addr))
	return cond{}
}

// atoin parses a dotted IPv4 prefix as libpcap's __pcap_atoin: it returns the
// value in the low bits and the number of bits given. Each part is decimal,
// even with a leading 0 (010.0.0.1 is 10.0.0.1); hex parts are invalid.
func atoin(s string) (uint32, int, bool) {
	var v uint32
	n := 0
	for _, part := range strings.Split(s, ".") {
		x := 0
		for _, c := range []byte(part) {
			if c < '0' || c > '9' {
				return 0, 0, false
			}
			if x = x*10 + int(c-'0'); x > 255 {
				return 0, 0, false
			}
		}
		v = v<<8 | uint32(x)
		n += 8
	}
	return v, n, true
}

// ---- ports ----

func (g *gen) portop(port uint32, proto uint32, dir string, v6 bool, lo, hi uint32, rng bool) cond {
	var atom func(off int) cond
	if v6 {
		atom = func(off int) cond {
			if rng {
				return and(cmpOp(g.linkPL(40+off), 2, jJGE, lo), not(cmpOp(g.linkPL(40+off), 2, jJGT, hi)))
			}
			return cmp(g.linkPL(40+off), 2, port)
		}
	} else {
		atom = func(off int) cond {
			mk := func(op uint16, v uint32) cond {
				return newTest(append(g.loadXIPHdr(), ins(opLD|szH|mIND, uint32(g.linkPL(off).k))), op, v)
			}
			if rng {
				return and(mk(jJGE, lo), not(mk(jJGT, hi)))
			}
			return mk(jJEQ, port)
		}
	}
	var b cond
	switch dir {
	case "src":
		b = atom(0)
	case "dst":
		b = atom(2)
	case "and":
		b = and(atom(0), atom(2))
	default:
		b = or(atom(0), atom(2))
	}
	var pre cond
	if v6 {
		pre = cmp(g.linkPL(6), 1, proto)
	} else {
		pre = and(cmp(g.linkPL(9), 1, proto), g.ipfrag())
	}
	return and(pre, b)
}

func (g *gen) ipfrag() cond {
	return not(newTest(load(2, g.linkPL(6)), jJSET, 0x1fff))
}

func (g *gen) port(t token, proto uint32, dir string, lo, hi uint32, rng bool) cond {
	one := func(v6 bool) cond {
		var b cond
		if proto == 0 {
			b = or(g.portop(lo, 132, dir, v6, lo, hi, rng), or(g.portop(lo, 6, dir, v6, lo, hi, rng), g.portop(lo, 17, dir, v6, lo, hi, rng)))
		} else {
			b = g.portop(lo, proto, dir, v6, lo, hi, rng)
		}
		et := uint32(0x0800)
		if v6 {
			et = 0x86dd
		}
		return and(g.linktype(t, et), b)
	}
	return or(one(true), one(false))
}

func (g *gen) portProto(q qual, t token, what string) uint32 {
	switch q.proto {
	case "udp":
		return 17
	case "tcp":
		return 6
	case "sctp":
		return 132
	case "":
		return 0
	}
	g.fail(t, "illegal qualifier of '%s'", what)
	return 0
}

// ---- ids ----

func (g *gen) id(n *nID) cond {
	q, t := n.q, n.tok
	if q.undef {
		g.fail(t, "%s needs a qualifier such as host, net or port", t.String())
	}
	switch t.kind {
	case tNUM:
		return g.ncode(q, t, t.num, 32, false)
	case tHID:
		// libpcap's grammar refuses a bare dotted address after these
		// before it looks at the address or the protocol.
		if n.maskLen < 0 && n.maskTok == nil {
			switch q.addr {
			case "port", "portrange", "proto", "protochain":
				g.fail(t, "'%s' modifier applied to ip host", q.addr)
			}
		}
		if q.proto == "decnet" && n.maskLen < 0 && n.maskTok == nil {
			v, ok := atodn(t.text)
			if !ok {
				g.fail(t, "malformed decnet address '%s'", t.text)
			}
			return g.ncode(q, t, v, 32, true)
		}
		v, bits, ok := atoin(t.text)
		if !ok {
			g.fail(t, "invalid IPv4 address '%s'", t.text)
		}
		if n.maskLen >= 0 || n.maskTok != nil {
			return g.mcode(n, v, bits)
		}
		return g.ncode(q, t, v, bits, true)
	case tHID6:
		a, err := netip.ParseAddr(t.text)
		if err != nil {
			g.fail(t, "invalid IPv6 address %s", t.text)
		}
		l := 128
		if n.maskLen >= 0 {
			l = n.maskLen
			if l > 128 {
				g.fail(n.lenTok, "mask length must be <= 128")
			}
		}
		return g.mcode6(n, a.As16(), l)
	case tEID:
		mac, ok := parseMAC(t.text)
		if !ok {
			g.fail(t, "invalid ethernet address %s", t.text)
		}
		if (q.addr == "host" || q.addr == "") && q.proto == "link" {
			return g.ehost(mac, q.dir, t)
		}
		g.fail(t, "ethernet address used in non-ether expression")
	case tID:
		return g.scode(q, t)
	case tAID:
		// ARCnet station addresses; no link type netdiag compiles for
		// is ARCnet.
		g.fail(t, "aid supported only on ARCnet")
	}
	g.fail(t, "syntax error")
	return cond{}
}

func (g *gen) ncode(q qual, t token, v uint32, bits int, dotted bool) cond {
	switch q.addr {
	case "", "host", "net":
		if q.proto == "link" {
			g.fail(t, "illegal link layer address")
		}
		mask := uint32(0xffffffff)
		if !dotted && q.addr == "net" {
			for v != 0 && v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
		} else {
			v <<= uint(32 - bits)
			mask <<= uint(32 - bits)
			if bits == 0 {
				mask = 0
			}
		}
		return g.host(v, mask, q, t)
	case "port":
		p := g.portProto(q, t, "port")
		if dotted {
			g.fail(t, "illegal port number %s", t.text)
		}
		if v > 65535 {
			g.fail(t, "illegal port number %d > 65535", v)
		}
		return g.port(t, p, q.dir, v, v, false)
	case "portrange":
		p := g.portProto(q, t, "portrange")
		if dotted {
			g.fail(t, "illegal port number %s", t.text)
		}
		if v > 65535 {
			g.fail(t, "illegal port number %d > 65535", v)
		}
		return g.port(t, p, q.dir, v, v, true)
	case "gateway":
		g.fail(t, "'gateway' requires a name")
	case "proto":
		if dotted {
			g.fail(t, "syntax error: protocol number expected")
		}
		return g.proto(t, v, q.proto)
	case "protochain":
		if dotted {
			g.fail(t, "syntax error: protocol number expected")
		}
		return g.protochain(t, v, q.proto)
	}
	g.fail(t, "syntax error")
	return cond{}
}

func (g *gen) mcode(n *nID, v uint32, bits int) cond {
	t := n.tok
	// A short address or mask is left-aligned: 10.0/16 is 10.0.0.0/16.
	v <<= uint(32 - bits)
	var m uint32
	if n.maskTok != nil {
		mv, mb, ok := atoin(n.maskTok.text)
		if !ok {
			g.fail(*n.maskTok, "invalid IPv4 address '%s'", n.maskTok.text)
		}
		m = mv << uint(32-mb)
	} else {
		if n.maskLen > 32 {
			g.fail(n.lenTok, "mask length must be <= 32")
		}
		if n.maskLen == 0 {
			m = 0
		} else {
			m = 0xffffffff << uint(32-n.maskLen)
		}
	}
	if v&^m != 0 {
		if n.maskTok != nil {
			g.fail(t, "non-network bits set in \"%s mask %s\"", t.text, n.maskTok.text)
		}
		g.fail(t, "non-network bits set in \"%s/%d\"", t.text, n.maskLen)
	}
	if n.q.addr != "net" {
		g.fail(t, "Mask syntax for networks only")
	}
	return g.host(v, m, n.q, t)
}

func (g *gen) mcode6(n *nID, a [16]byte, l int) cond {
	t := n.tok
	var m [16]byte
	for i := 0; i < l; i++ {
		m[i/8] |= 0x80 >> uint(i%8)
	}
	for i := range a {
		if a[i]&^m[i] != 0 {
			g.fail(t, "non-network bits set in \"%s/%d\"", t.text, l)
		}
	}
	switch n.q.addr {
	case "", "host":
		if l != 128 {
			g.fail(t, "Mask syntax for networks only")
		}
		return g.host6(a, m, n.q, t)
	case "net":
		return g.host6(a, m, n.q, t)
	}
	g.fail(t, "invalid qualifier against IPv6 address")
	return cond{}
}

func parseMAC(s string) ([6]byte, bool) {
	var m [6]byte
	var parts []string
	switch {
	case strings.Count(s, ":") == 5:
		parts = strings.Split(s, ":")
	case strings.Count(s, "-") == 5:
		parts = strings.Split(s, "-")
	case strings.Count(s, ".") == 5:
		parts = strings.Split(s, ".")
	case strings.Count(s, ".") == 2:
		for _, w := range strings.Split(s, ".") {
			parts = append(parts, w[:2], w[2:])
		}
	case len(s) == 12:
		for i := 0; i < 12; i += 2 {
			parts = append(parts, s[i:i+2])
		}
	default:
		return m, false
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return m, false
		}
		m[i] = byte(v)
	}
	return m, true
}

func (g *gen) ehost(mac [6]byte, dir string, t token) cond {
	if g.lt != EN10MB {
		g.fail(t, "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel")
	}
	at := func(off int) cond {
		w := uint32(mac[2])<<24 | uint32(mac[3])<<16 | uint32(mac[4])<<8 | uint32(mac[5])
		return and(cmp(g.linkHdr(off+2), 4, w), cmp(g.linkHdr(off), 2, uint32(mac[0])<<8|uint32(mac[1])))
	}
	var b cond
	switch dir {
	case "src":
		b = at(6)
	case "dst":
		b = at(0)
	case "and":
		b = and(at(6), at(0))
	default:
		b = or(at(6), at(0))
	}
	return g.withLinkHeader(b)
}

// withLinkHeader guards a test of Ethernet header fields inside geneve or
// vxlan with a check that the encapsulated packet has an Ethernet header:
// its link header and payload offsets differ.
func (g *gen) withLinkHeader(b cond) cond {
	if !g.encap {
		return b
	}
	s := []bpf.RawInstruction{ins(opLD|mMEM, uint32(g.offLinkHdr.reg)), g.offLinkPL.ldx()}
	return and(not(newTest(s, jJEQ|srcX, 0)), b)
}

func (g *gen) scode(q qual, t token) cond {
	name := t.text
	switch q.addr {
	case "", "host", "net":
		if q.addr == "net" {
			v, found, err := g.names.lookupNet(name)
			if err != nil {
				g.fail(t, "resolve network '%s': %v", name, err)
			}
			// libpcap takes network 0 (networks(5)'s "default") for a
			// failed lookup.
			if !found || v == 0 {
				g.fail(t, "unknown network '%s'", name)
			}
			mask := uint32(0xffffffff)
			for v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
			return g.host(v, mask, q, t)
		}
		if q.proto == "link" {
			if g.lt != EN10MB {
				g.fail(t, "only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name")
			}
			mac, found, err := g.names.lookupEther(name)
			if err != nil {
				g.fail(t, "resolve ether host '%s': %v", name, err)
			}
			if !found {
				g.fail(t, "unknown ether host '%s'", name)
			}
			return g.ehost(mac, q.dir, t)
		}
		if q.proto == "decnet" {
			g.fail(t, "decnet name support not included, '%s' cannot be translated", name)
		}
		addrs, err := g.names.lookupHost(name)
		if err != nil {
			g.fail(t, "resolve host '%s': %v", name, err)
		}
		tp, tp6 := q.proto, q.proto
		if !g.hasLinkType && tp == "" {
			tp, tp6 = "ip", "ip6"
		}
		var b *cond
		for _, a := range addrs {
			var c cond
			if a.Is4() {
				if tp == "ip6" {
					continue
				}
				v := a.As4()
				c = g.host(uint32(v[0])<<24|uint32(v[1])<<16|uint32(v[2])<<8|uint32(v[3]), 0xffffffff, qual{proto: tp, dir: q.dir, addr: q.addr}, t)
			} else {
				if tp6 == "ip" {
					continue
				}
				var m [16]byte
				for i := range m {
					m[i] = 0xff
				}
				c = g.host6(a.As16(), m, qual{proto: tp6, dir: q.dir, addr: q.addr}, t)
			}
			if b != nil {
				c = or(*b, c)
			}
			b = &c
		}
		if b == nil {
			suffix := ""
			if q.proto != "" {
				suffix = " for specified address family"
			}
			g.fail(t, "unknown host '%s'%s", name, suffix)
		}
		return *b
	case "port":
		p := g.portProto(q, t, "port")
		port, pp, ok := lookupPort(name)
		if !ok {
			g.fail(t, "unknown port '%s'", name)
		}
		if p != 0 && pp != 0 && p != pp {
			g.fail(t, "port '%s' is %s", name, protoName(pp))
		}
		if p == 0 {
			p = pp
		}
		return g.port(t, p, q.dir, port, port, false)
	case "portrange":
		p := g.portProto(q, t, "portrange")
		for _, part := range strings.SplitN(name, "-", 2) {
			if v, err := parseNum(part); err == nil && v > 65535 {
				g.fail(t, "illegal port number %d > 65535", v)
			}
		}
		lo, hi, pp, ok := lookupPortRange(name)
		if !ok {
			g.fail(t, "unknown port in range '%s'", name)
		}
		if p != 0 && pp != 0 && p != pp {
			g.fail(t, "port in range '%s' is %s", name, protoName(pp))
		}
		if p == 0 {
			p = pp
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		return g.port(t, p, q.dir, lo, hi, true)
	case "gateway":
		// libpcap 1.10 built with IPv6, as every distribution's is,
		// refuses gateway altogether.
		g.fail(t, "'gateway' not supported in this configuration")
	case "proto":
		v, ok := lookupProto(name, q.proto)
		if !ok {
			g.unknownProto(t, q.proto, name)
		}
		return g.proto(t, v, q.proto)
	case "protochain":
		v, ok := lookupProto(name, q.proto)
		if !ok {
			g.unknownProto(t, q.proto, name)
		}
		return g.protochain(t, v, q.proto)
	}
	g.fail(t, "syntax error")
	return cond{}
}

// unknownProto fails on a NAME that `PQ proto NAME` cannot resolve.
func (g *gen) unknownProto(t token, pq, name string) {
	switch pq {
	case "", "ip", "ip6":
		g.fail(t, "unknown ip proto '%s'", name)
	case "link":
		g.fail(t, "unknown ether proto '%s'", name)
	case "iso":
		g.fail(t, "unknown osi proto '%s'", name)
	}
	g.fail(t, "unknown protocol: %s", name)
}
